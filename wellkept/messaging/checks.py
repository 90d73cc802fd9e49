"""Start-up check for messaging: the practice's hours must be readable before a client writes."""

from __future__ import annotations

from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register()
def check_practice_hours(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to start with hours the out-of-hours auto-reply could not read."""
    from wellkept.messaging.hours import practice_hours

    try:
        practice_hours()
    except ImproperlyConfigured as exc:
        return [
            checks.Error(
                str(exc),
                hint="docs/admin-guide.md, Secure messages.",
                id="wellkept.E060",
            )
        ]
    return []
