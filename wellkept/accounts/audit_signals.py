"""MFA changes into the audit trail, through allauth's signals.

House style audits our own services explicitly, never through signals. Adding
and removing an authenticator happens inside allauth's flows, and its MFA
adapter has no hook for either: these signals are the only seam. They are
sent inside the request that made the change, with that request.
"""

from __future__ import annotations

from typing import Any

from allauth.mfa import signals
from allauth.mfa.models import Authenticator

from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record


def _record(event: EventType, *, request: Any, user: Any, authenticator: Authenticator) -> None:
    audit_record(
        actor=user,
        event=event,
        target=f"user:{user.pk}",
        reason=f"type {authenticator.type}",
        request=request,
    )


def _added(sender: Any, request: Any, user: Any, authenticator: Authenticator, **_: Any) -> None:
    _record(EventType.MFA_ENROLLED, request=request, user=user, authenticator=authenticator)


def _removed(sender: Any, request: Any, user: Any, authenticator: Authenticator, **_: Any) -> None:
    _record(EventType.MFA_REMOVED, request=request, user=user, authenticator=authenticator)


def _reset(sender: Any, request: Any, user: Any, authenticator: Authenticator, **_: Any) -> None:
    _record(
        EventType.MFA_RECOVERY_CODES_REGENERATED,
        request=request,
        user=user,
        authenticator=authenticator,
    )


def connect() -> None:
    signals.authenticator_added.connect(_added, dispatch_uid="wellkept-audit-mfa-added")
    signals.authenticator_removed.connect(_removed, dispatch_uid="wellkept-audit-mfa-removed")
    signals.authenticator_reset.connect(_reset, dispatch_uid="wellkept-audit-mfa-reset")
