"""The one seam through which Wellkept reads the time, so tests can move it."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    """Return the current aware UTC datetime."""
    return timezone.now()
