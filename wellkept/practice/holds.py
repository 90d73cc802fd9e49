"""Whether a legal hold keeps a client's record: asked of the app that keeps the holds.

Legal holds live in ``lifecycle``, a layer above the practice, so the
practice cannot import them. ``lifecycle`` registers its check here at
``ready()`` (as ``consent`` registers its check with ``access``), and
``client_erase`` asks it before anything is shredded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError

HoldCheck = Callable[[Any], bool]
_HOLD_CHECK: list[HoldCheck] = []


class ClientHeld(ValidationError):
    """A legal hold is in force on the client: the record cannot be erased until it is lifted."""


def register_hold_check(check: HoldCheck) -> None:
    """Set the check that says whether a hold is in force on a client (from lifecycle's ready())."""
    _HOLD_CHECK[:] = [check]


def client_held(client: Any) -> bool:
    """True when a legal hold keeps the client's record, or when nobody can say it does not.

    Deny by default: with no holds app to ask, an erasure could destroy what
    a court ordered kept, and that cannot be undone; a refused erasure can
    simply be run again.
    """
    return not _HOLD_CHECK or _HOLD_CHECK[0](client)
