"""Writes for re-identification: request, decide, use, break-glass, review.

The steps, each audited in its own transaction:

1. A follow-up team member asks for one token's name, with a purpose from
   the catalogue and a written reason (``reidentification_request``).
2. Someone else with the privacy role approves or refuses
   (``reidentification_decide``); the policy refuses the requester, and the
   database refuses a row where decider and requester are the same.
3. The requester reads the name (``identity_reveal``) while the grant lives,
   proving their second factor again at that moment; the participant is told
   in the app and by e-mail unless the privacy officer recorded an exception.
4. The privacy role reviews used and expired grants (``grant_review``).

Break-glass (``breakglass_open``) is step 3 without step 2, for a specialist
in a safety emergency: the privacy role is alerted at once and reviews it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import Decision, can, decide_break_glass
from wellkept.access.purposes import PROHIBITED, Purpose, UnknownPurpose, parse_purpose
from wellkept.accounts.decorators import recently_authenticated
from wellkept.accounts.selectors import user_has_mfa
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record, lock_rows
from wellkept.consent.selectors import current_notice
from wellkept.followup import notify
from wellkept.followup.identity import Identity, identity_of
from wellkept.followup.models import (
    BREAK_GLASS_MINUTES,
    DEFAULT_GRANT_HOURS,
    MAX_GRANT_HOURS,
    Case,
    GrantKind,
    GrantStatus,
    IdentityGrant,
)
from wellkept.followup.scopes import (
    case_resource,
    grant_resource,
    identity_resource,
    new_grant_resource,
)
from wellkept.followup.selectors import followup_consent
from wellkept.reasons import reason_text

REASON_MIN = 20
REASON_MAX = 1000
# Purposes a re-identification may name. The form offers only these; the
# prohibited ones are refused by the policy and audited as such.
REIDENTIFICATION_PURPOSES: tuple[Purpose, ...] = (
    Purpose.SAFETY_EMERGENCY,
    Purpose.BURNOUT_FOLLOW_UP,
)
OVERSIGHT = Purpose.AUDIT_OVERSIGHT


class ReauthenticationNeeded(PermissionDenied):
    """The identity is behind a fresh second-factor check, which is missing or too old."""


def _reason(value: str, *, what: str = "the reason") -> str:
    return reason_text(
        value,
        minimum=REASON_MIN,
        maximum=REASON_MAX,
        what=what,
        too_short=(
            f"Write {what} in a sentence or two (at least {REASON_MIN} characters): the "
            "privacy officer and, unless an exception is recorded, the participant read it."
        ),
    )


def parse_request_purpose(value: str) -> Purpose:
    """Return the purpose named, or raise: unknown and unsuitable ones get a clear message.

    A prohibited purpose is returned as is: the policy refuses it, which is
    how the refusal reaches the audit trail and the privacy officer's report.
    """
    try:
        purpose = parse_purpose(value)
    except UnknownPurpose:
        raise ValidationError("Choose a purpose from the list.", code="purpose_unknown") from None
    if purpose not in PROHIBITED and purpose not in REIDENTIFICATION_PURPOSES:
        raise ValidationError(
            "A name can only be looked up for a safety emergency or burnout follow-up.",
            code="purpose_unsuitable",
        )
    return purpose


def reidentification_request(
    *,
    actor: Any,
    case: Case,
    purpose: Purpose | str,
    reason: str,
    request: HttpRequest | None = None,
) -> IdentityGrant:
    """Ask for the name behind one case's token; a privacy officer decides."""
    chosen = parse_request_purpose(str(purpose))
    participant = case.participant
    resource = new_grant_resource(actor=actor, participant=participant)
    consents = followup_consent(participant)
    if chosen in PROHIBITED:
        # Recorded as access.purpose_refused by the policy, then refused here.
        can(actor, Action.CREATE, resource, chosen, request=request, consent_ok=consents)
        raise PermissionDenied(
            f"“{chosen.label}” is a prohibited purpose: the programme's data serve burnout "
            "mitigation only. The attempt was recorded."
        )
    text = _reason(reason)
    if not can(actor, Action.CREATE, resource, chosen, request=request, consent_ok=consents):
        raise PermissionDenied("You cannot ask for this participant's identity.")
    with transaction.atomic():
        waiting = IdentityGrant.objects.filter(
            participant=participant,
            requested_by_id=actor.pk,
            status=GrantStatus.PENDING,
        ).exists()
        if waiting:
            raise ValidationError(
                "You already have a request for this participant waiting for a decision.",
                code="already_pending",
            )
        grant = IdentityGrant(
            organisation_id=participant.organisation_id,
            participant=participant,
            case=case,
            kind=GrantKind.TWO_PERSON,
            requested_by=actor,
            purpose=chosen.value,
            requested_at=clock.now(),
        )
        grant.reason = text
        grant.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.REIDENTIFICATION_REQUESTED,
            target=f"participant:{participant.token}/grant:{grant.pk}",
            purpose=chosen.value,
            role="",
            request=request,
        )
        notify.privacy_officers_alerted(
            participant.organisation,
            what="request",
            path=reverse("followup:privacy_grant", args=[grant.pk]),
            exclude=actor.pk,
        )
    return grant


def reidentification_decide(
    *,
    actor: Any,
    grant: IdentityGrant,
    approve: bool,
    note: str = "",
    hours: int = DEFAULT_GRANT_HOURS,
    notify_participant: bool = True,
    exception_reason: str = "",
    request: HttpRequest | None = None,
) -> IdentityGrant:
    """Approve (for ``hours``) or refuse a request; never the requester's own."""
    resource = grant_resource(grant)
    if not can(actor, Action.UPDATE, resource, OVERSIGHT, request=request):
        raise PermissionDenied(
            "Only someone with the privacy role, other than the requester, can decide."
        )
    if grant.requested_by_id is not None and str(grant.requested_by_id) == str(actor.pk):
        # The policy already refused (OWN is not the privacy role's); kept
        # here too so that no change to the table can make one person two.
        raise PermissionDenied("Nobody can decide their own request.")
    if approve and not 1 <= hours <= MAX_GRANT_HOURS:
        raise ValidationError(f"A grant lasts between 1 and {MAX_GRANT_HOURS} hours.", code="hours")
    if approve and not _fresh_second_factor(actor, request):
        # Checked here, not only in the view: a stolen session whose second
        # factor is hours old must not mint grants through any caller.
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target=resource.reference,
            outcome=Outcome.DENIED,
            reason="approving a re-identification needs a second-factor check just now",
            purpose=OVERSIGHT.value,
            request=request,
        )
        raise ReauthenticationNeeded("Prove your second factor again, then approve.")
    exception = ""
    if approve and not notify_participant:
        exception = _reason(exception_reason, what="why the participant is not told")
    clean_note = " ".join((note or "").split())[:REASON_MAX]
    with transaction.atomic():
        locked = (
            lock_rows(IdentityGrant.objects.all()).select_related("participant").get(pk=grant.pk)
        )
        if locked.status != GrantStatus.PENDING:
            raise ValidationError(
                "This request was decided already; see the list of grants.", code="decided"
            )
        now = clock.now()
        locked.status = GrantStatus.APPROVED if approve else GrantStatus.REFUSED
        locked.decided_by = actor
        locked.decided_at = now
        locked.decision_note = clean_note
        fields = ["status", "decided_by", "decided_at", "decision_note"]
        if approve:
            locked.expires_at = now + dt.timedelta(hours=hours)
            locked.notify_participant = notify_participant
            locked.exception_reason = exception
            fields += ["expires_at", "notify_participant", "exception_reason"]
        locked.save(update_fields=fields)
        target = f"participant:{locked.participant.token}/grant:{locked.pk}"
        audit_record(
            actor=actor,
            event=(
                EventType.REIDENTIFICATION_APPROVED
                if approve
                else EventType.REIDENTIFICATION_REFUSED
            ),
            target=target,
            purpose=OVERSIGHT.value,
            reason=f"for {hours} h, requested for {locked.purpose}" if approve else "",
            request=request,
        )
        if approve and not notify_participant:
            audit_record(
                actor=actor,
                event=EventType.REIDENTIFICATION_EXCEPTION,
                target=target,
                purpose=OVERSIGHT.value,
                reason="participant not told; reason recorded on the grant",
                request=request,
            )
    return locked


def _fresh_second_factor(actor: Any, request: HttpRequest | None) -> bool:
    return request is not None and user_has_mfa(actor) and recently_authenticated(request)


def identity_reveal(*, actor: Any, grant: IdentityGrant, request: HttpRequest | None) -> Identity:
    """Return the name behind the grant's token, to its requester, with a fresh second factor.

    Each reading is audited. The first one tells the participant (in the app
    and by e-mail) unless an exception was recorded.
    """
    participant = grant.participant
    resource = identity_resource(participant, grant)
    purpose = Purpose(grant.purpose)
    if not _fresh_second_factor(actor, request):
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target=resource.reference,
            outcome=Outcome.DENIED,
            reason="re-identification needs a second-factor check just now",
            purpose=purpose.value,
            request=request,
        )
        raise ReauthenticationNeeded("Prove your second factor again to see the name.")
    # Someone else's grant, one that ended, or another token: the policy's
    # grant check finds none and refuses (audited).
    if not can(actor, Action.READ_IDENTITY, resource, purpose, request=request):
        raise PermissionDenied("No live grant lets you see this name.")
    identity = identity_of(participant)
    with transaction.atomic():
        locked = lock_rows(IdentityGrant.objects.all()).get(pk=grant.pk)
        now = clock.now()
        if not locked.is_live(now) or locked.requested_by_id != getattr(actor, "pk", None):
            # The policy found *a* live grant of this actor for this token;
            # the use is counted on this one, so it must be that grant.
            raise PermissionDenied("No live grant lets you see this name.")
        first = locked.first_used_at is None
        locked.uses += 1
        fields = ["uses"]
        if first:
            locked.first_used_at = now
            fields.append("first_used_at")
        tell = locked.notify_participant and locked.participant_told_on is None
        if tell:
            locked.participant_told_on = now.date()
            fields.append("participant_told_on")
        locked.save(update_fields=fields)
        target = f"participant:{participant.token}/grant:{locked.pk}"
        audit_record(
            actor=actor,
            event=EventType.REIDENTIFICATION_USED,
            target=target,
            purpose=purpose.value,
            reason=f"use {locked.uses}" + ("" if identity.found else "; no login found"),
            request=request,
        )
        if tell:
            audit_record(
                actor=actor,
                event=EventType.REIDENTIFICATION_TOLD,
                target=target,
                purpose=purpose.value,
                reason="in the app and by e-mail",
                request=request,
            )
            notice = current_notice(participant.organisation_id)
            contact = str(notice.content.get("privacy_contact", "")) if notice else ""
            name = actor.display_name if isinstance(actor.display_name, str) else ""
            notify.participant_told(
                participant,
                who=name or "a member of the follow-up team",
                when=f"{now:%d %B %Y, %H:%M} UTC",
                purpose=str(purpose.label),
                contact=contact,
            )
    return identity


def _breakglass_case_check(actor: Any, case: Case, decision: Decision) -> Decision:
    """Narrow break-glass to the specialist working this open case.

    The policy lets any specialist of the organisation read the queue; one
    person alone opening a name is kept to the case's own specialist, while
    it is open: a colleague's or a closed case is no emergency of theirs.
    """
    if case.is_closed:
        return Decision(False, "Break-glass needs an open case.", role=decision.role)
    if case.assignee_id is None or str(case.assignee_id) != str(getattr(actor, "pk", None)):
        return Decision(
            False, "Break-glass is for the specialist the case is assigned to.", role=decision.role
        )
    return decision


def breakglass_decision(*, actor: Any, case: Case) -> Decision:
    """Decide (purely) whether ``actor`` may break the glass on this case now."""
    resource = case_resource(case, "break-glass")
    decision = decide_break_glass(actor=actor, resource=resource, purpose=Purpose.SAFETY_EMERGENCY)
    return _breakglass_case_check(actor, case, decision) if decision.allowed else decision


def breakglass_open(
    *, actor: Any, case: Case, reason: str, request: HttpRequest | None
) -> tuple[IdentityGrant, Identity]:
    """Open the identity behind one case's token at once, in a safety emergency.

    Specialists only; the privacy role is alerted immediately and the
    opening waits in their review queue.
    """
    text = _reason(reason)
    participant = case.participant
    resource = case_resource(case, "break-glass")
    purpose = Purpose.SAFETY_EMERGENCY
    if not _fresh_second_factor(actor, request):
        raise ReauthenticationNeeded("Prove your second factor again to use break-glass.")
    decision = breakglass_decision(actor=actor, case=case)
    if not decision.allowed:
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target=resource.reference,
            outcome=Outcome.DENIED,
            reason=decision.reason,
            purpose=purpose.value,
            role=decision.role,
            request=request,
        )
        raise PermissionDenied("Break-glass is for a specialist in a safety emergency only.")
    with transaction.atomic():
        now = clock.now()
        grant = IdentityGrant(
            organisation_id=participant.organisation_id,
            participant=participant,
            case=case,
            kind=GrantKind.BREAK_GLASS,
            requested_by=actor,
            purpose=purpose.value,
            requested_at=now,
            status=GrantStatus.APPROVED,
            expires_at=now + dt.timedelta(minutes=BREAK_GLASS_MINUTES),
        )
        grant.reason = text
        grant.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.BREAKGLASS_OPENED,
            target=f"participant:{participant.token}/grant:{grant.pk}",
            purpose=purpose.value,
            role=decision.role,
            reason="safety emergency; review pending",
            request=request,
        )
        notify.privacy_officers_alerted(
            participant.organisation,
            what="break_glass",
            path=reverse("followup:privacy_grant", args=[grant.pk]),
            exclude=actor.pk,
        )
    identity = identity_reveal(actor=actor, grant=grant, request=request)
    grant.refresh_from_db()
    return grant, identity


def grant_review(
    *, actor: Any, grant: IdentityGrant, note: str, request: HttpRequest | None = None
) -> IdentityGrant:
    """Record that someone with the privacy role reviewed a used, expired or break-glass grant."""
    text = _reason(note, what="your review")
    if not can(actor, Action.UPDATE, grant_resource(grant), OVERSIGHT, request=request):
        raise PermissionDenied(
            "Only someone with the privacy role, other than the requester, can review."
        )
    with transaction.atomic():
        locked = (
            lock_rows(IdentityGrant.objects.all()).select_related("participant").get(pk=grant.pk)
        )
        if locked.status == GrantStatus.PENDING:
            raise ValidationError("Decide the request before reviewing it.", code="pending")
        if locked.reviewed_at is not None:
            return locked
        if (
            locked.kind == GrantKind.TWO_PERSON
            and locked.status == GrantStatus.APPROVED
            and (locked.first_used_at is None and locked.is_live())
        ):
            raise ValidationError(
                "This grant is still live and unused: review it once it is used or expired.",
                code="still_live",
            )
        locked.reviewed_by = actor
        locked.reviewed_at = clock.now()
        locked.review_note = text
        locked.save(update_fields=["reviewed_by", "reviewed_at", "review_note"])
        audit_record(
            actor=actor,
            event=EventType.GRANT_REVIEWED,
            target=f"participant:{locked.participant.token}/grant:{locked.pk}",
            purpose=OVERSIGHT.value,
            reason=locked.kind,
            request=request,
        )
    return locked
