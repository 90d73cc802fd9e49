"""A request one person opens and another decides, once: the two-person rule in one place.

Identity grants (``followup.reidentification``) and data-subject requests
(``lifecycle.subject_requests``) are both a request that one person opens
with a reason and someone else with the approving role approves (for a
limited time) or refuses. Legal holds (``lifecycle.services``) are the other
half of the shape: set by one person, ended once. What they share lives here:

- ``TwoPersonRequest``, an abstract model: who asked and when, the state,
  who decided and when, and when an approval ends; its database constraints
  (``two_person_constraints``) refuse a decider who is the requester and an
  approval without an end, whatever path the row took; ``is_live`` and
  ``live`` say which approvals have not yet expired.
- ``request_open``: saves the new request as its requester's, audited in the
  same transaction.
- ``request_authorise``: the policy's decision on the approving role, the
  requester never deciding their own, and a fresh second factor to approve,
  each refusal audited.
- ``request_approve`` and ``request_refuse``: the decision, once, under a
  lock, audited in the same transaction; an approval always ends.
- ``decide_once``: the lock-check-change-audit step on its own, for rows that
  are ended once but not approved (a legal hold's lifting).

The audit events are the workflows' own (``reidentification.*``,
``subject_request.*``, ``legal_hold.*``): each passes its event, target and
payload, so ``docs/audit-events.md`` stays as it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Q
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource
from wellkept.actors import Actor, person
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record, lock_rows

if TYPE_CHECKING:
    from wellkept.accounts.models import User


class TwoPersonState(models.TextChoices):
    PENDING = "pending", "Waiting for a decision"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


class TwoPersonRequest(models.Model):
    """Asked by one person, decided once by another; an approval lasts until ``expires_at``.

    A concrete model may redefine ``status`` with its own labels, as long as
    the values stay ``TwoPersonState``'s, and lists
    ``two_person_constraints(<prefix>)`` in its ``Meta.constraints``.
    """

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(default=clock.now)
    status = models.CharField(
        max_length=16, choices=TwoPersonState.choices, default=TwoPersonState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    def is_live(self, at: dt.datetime | None = None) -> bool:
        """True when approved and not yet expired."""
        at = at or clock.now()
        return (
            self.status == TwoPersonState.APPROVED
            and self.expires_at is not None
            and at < self.expires_at
        )


def two_person_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The database's share of the rule, named ``<prefix>_<what>``, for ``Meta.constraints``."""
    return [
        models.CheckConstraint(
            name=f"{prefix}_status_valid", condition=Q(status__in=TwoPersonState.values)
        ),
        # Two people: the decider is never the requester, whatever wrote the row.
        models.CheckConstraint(
            name=f"{prefix}_two_people",
            condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
        ),
        # An approval always ends.
        models.CheckConstraint(
            name=f"{prefix}_approved_expires",
            condition=~Q(status=TwoPersonState.APPROVED) | Q(expires_at__isnull=False),
        ),
    ]


R = TypeVar("R", bound=TwoPersonRequest)
M = TypeVar("M", bound=models.Model)


def live(queryset: models.QuerySet[R]) -> models.QuerySet[R]:
    """The approved requests of ``queryset`` whose approval has not yet ended."""
    return queryset.filter(status=TwoPersonState.APPROVED, expires_at__gt=clock.now())


class ReauthenticationNeeded(PermissionDenied):
    """Approving needs a second-factor check just now, which is missing or too old."""


class AlreadyDecided(ValidationError):
    """The request was approved or refused already: it is decided once."""


@dataclass(frozen=True)
class Approving:
    """Who may decide one request: the policy's question, and what a refusal says.

    ``fresh_reason`` is what the trail records when an approval lacks a
    fresh second factor; ``audit_self`` records a self-decision attempt too.
    """

    resource: Resource
    purpose: Purpose
    refused: str
    own_refused: str
    fresh_reason: str
    audit_self: bool = False


def _denied(
    *, actor: User, target: str, reason: str, purpose: Purpose, request: HttpRequest | None
) -> None:
    audit_record(
        actor=actor,
        event=EventType.ACCESS_DENIED,
        target=target,
        outcome=Outcome.DENIED,
        reason=reason,
        purpose=purpose.value,
        request=request,
    )


def request_open(
    *,
    actor: Actor,
    row: R,
    event: EventType,
    target: str,
    purpose: Purpose,
    reason: str = "",
    request: HttpRequest | None = None,
) -> R:
    """Save a new request as ``actor``'s, pending, and audit it in the same transaction."""
    requester = person(actor)
    with transaction.atomic():
        row.requested_by = requester
        row.requested_at = clock.now()
        row.status = TwoPersonState.PENDING
        row.save(force_insert=True)
        audit_record(
            actor=requester,
            event=event,
            target=target,
            purpose=purpose.value,
            reason=reason,
            request=request,
        )
    return row


def request_authorise(
    *,
    actor: Actor,
    row: TwoPersonRequest,
    approving: Approving,
    approve: bool,
    fresh: bool,
    request: HttpRequest | None = None,
) -> User:
    """Return the deciding person, or refuse (audited) anyone but another holder of the role.

    ``fresh`` says whether the actor proved their second factor just now;
    only approving needs it: refusing opens nothing to anyone.
    """
    resource = approving.resource
    if not can(actor, Action.UPDATE, resource, approving.purpose, request=request):
        raise PermissionDenied(approving.refused)
    # A decision is a person's: a command the rules let through is still no decider.
    decider = person(actor)
    if row.requested_by_id is not None and str(row.requested_by_id) == str(decider.pk):
        # The policy refused already when the requester is the resource's
        # owner; kept here too so that no change to the rules makes one
        # person two (and the database refuses the row a third time).
        if approving.audit_self:
            _denied(
                actor=decider,
                target=resource.reference,
                reason="nobody decides a request they recorded themselves",
                purpose=approving.purpose,
                request=request,
            )
        raise PermissionDenied(approving.own_refused)
    if approve and not fresh:
        # Checked here, not only in the view: an abandoned or stolen session
        # must not open anything through any caller.
        _denied(
            actor=decider,
            target=resource.reference,
            reason=approving.fresh_reason,
            purpose=approving.purpose,
            request=request,
        )
        raise ReauthenticationNeeded("Prove your second factor again, then approve.")
    return decider


def decide_once(
    queryset: models.QuerySet[M],
    pk: object,
    *,
    is_open: Callable[[M], bool],
    closed: str,
    change: Callable[[M], Sequence[str]],
    audit: Callable[[M], None],
    code: str = "decided",
) -> M:
    """Lock the row, refuse it when already decided, change it and audit, in one transaction.

    ``change`` sets the fields and returns their names (saved with
    ``update_fields``); ``audit`` writes the event while the lock is held.
    """
    with transaction.atomic():
        locked = lock_rows(queryset).get(pk=pk)
        if not is_open(locked):
            raise AlreadyDecided(closed, code=code)
        fields = list(change(locked))
        locked.save(update_fields=fields)
        audit(locked)
    return locked


def _decide(
    *,
    actor: User,
    row: R,
    queryset: models.QuerySet[R],
    approve: bool,
    lasts: dt.timedelta | None,
    closed: str,
    check: Callable[[R], None] | None,
    change: Callable[[R], Sequence[str]] | None,
    audit: Callable[[R], None],
) -> R:
    def decided(locked: R) -> list[str]:
        if check is not None:
            check(locked)
        now = clock.now()
        locked.status = TwoPersonState.APPROVED if approve else TwoPersonState.REFUSED
        locked.decided_by = actor
        locked.decided_at = now
        fields = ["status", "decided_by", "decided_at"]
        if lasts is not None:
            locked.expires_at = now + lasts
            fields.append("expires_at")
        if change is not None:
            fields += change(locked)
        return fields

    return decide_once(
        queryset,
        row.pk,
        is_open=lambda locked: locked.status == TwoPersonState.PENDING,
        closed=closed,
        change=decided,
        audit=audit,
    )


def request_approve(
    *,
    actor: User,
    row: R,
    queryset: models.QuerySet[R],
    lasts: dt.timedelta,
    closed: str,
    audit: Callable[[R], None],
    check: Callable[[R], None] | None = None,
    change: Callable[[R], Sequence[str]] | None = None,
) -> R:
    """Approve a pending request for ``lasts``, once, under a lock; ``audit`` records it.

    Call ``request_authorise`` first. ``check`` may refuse the locked row
    (what changed since the page was shown); ``change`` sets the workflow's
    own fields and returns their names.
    """
    if lasts <= dt.timedelta(0):
        raise ValidationError("An approval must last a while.", code="lasts")
    return _decide(
        actor=actor,
        row=row,
        queryset=queryset,
        approve=True,
        lasts=lasts,
        closed=closed,
        check=check,
        change=change,
        audit=audit,
    )


def request_refuse(
    *,
    actor: User,
    row: R,
    queryset: models.QuerySet[R],
    closed: str,
    audit: Callable[[R], None],
    change: Callable[[R], Sequence[str]] | None = None,
) -> R:
    """Refuse a pending request, once, under a lock; ``audit`` records it."""
    return _decide(
        actor=actor,
        row=row,
        queryset=queryset,
        approve=False,
        lasts=None,
        closed=closed,
        check=None,
        change=change,
        audit=audit,
    )
