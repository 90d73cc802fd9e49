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
in a safety emergency on their own open safety-alert case: the privacy role
is alerted at once and reviews it. One unreviewed opening per specialist at a
time; a second needs the first reviewed, or a privacy officer's allowance
(``breakglass_allowance_grant``).

Every rule a page expresses by hiding a button is checked here too, where
any caller (a form, the JSON endpoint, a script) ends up: the case's kind
and state, and the requester's role when the request is decided and when
the grant is used (``grants.grant_void_reason``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.guards import recently_authenticated
from wellkept.access.policy import Decision, can, decide, decide_break_glass
from wellkept.access.purposes import PROHIBITED, Purpose, UnknownPurpose, parse_purpose
from wellkept.access.twoperson import (
    Approving,
    ReauthenticationNeeded,
    request_approve,
    request_authorise,
    request_open,
    request_refuse,
)
from wellkept.accounts.models import User
from wellkept.accounts.selectors import user_has_mfa
from wellkept.actors import Actor, person
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record, lock_rows
from wellkept.consent.selectors import current_notice
from wellkept.followup import notify
from wellkept.followup.grants import grant_void_reason
from wellkept.followup.identity import Identity, identity_of
from wellkept.followup.models import (
    BREAK_GLASS_ALLOWANCE_HOURS,
    BREAK_GLASS_MINUTES,
    DEFAULT_GRANT_HOURS,
    MAX_GRANT_HOURS,
    BreakGlassAllowance,
    Case,
    CaseStatus,
    GrantKind,
    GrantStatus,
    IdentityGrant,
    Trigger,
)
from wellkept.followup.scopes import (
    case_resource,
    grant_resource,
    identity_resource,
    new_grant_resource,
)
from wellkept.followup.selectors import followup_consent, plain
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


class CaseClosed(ValidationError):
    """The case is closed: nothing more can be asked or opened for it."""


class BreakGlassLimit(PermissionDenied):
    """An earlier break-glass opening waits for review, and no allowance covers another."""


def _reason(value: str, *, what: str = "the reason", previous: str | None = None) -> str:
    return reason_text(
        value,
        minimum=REASON_MIN,
        maximum=REASON_MAX,
        what=what,
        previous=previous,
        too_short=(
            f"Write {what} in a sentence or two (at least {REASON_MIN} characters): the "
            "privacy officer and, unless an exception is recorded, the participant read it."
        ),
    )


def _refuse(
    *, actor: Actor, target: str, reason: str, purpose: Purpose, request: HttpRequest | None
) -> None:
    """Record a refusal that the policy table cannot express (state, role history)."""
    audit_record(
        actor=actor,
        event=EventType.ACCESS_DENIED,
        target=target,
        outcome=Outcome.DENIED,
        reason=reason,
        purpose=purpose.value,
        request=request,
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
    actor: Actor,
    case: Case,
    purpose: Purpose | str,
    reason: str,
    request: HttpRequest | None = None,
) -> IdentityGrant:
    """Ask for the name behind one open case's token; a privacy officer decides."""
    chosen = parse_request_purpose(str(purpose))
    participant = case.participant
    # The id is chosen now so that the policy's entry for this request is
    # filed under the grant's own reference: the participant's access log
    # holds every entry of a look-up back by that one prefix.
    grant_id = uuid.uuid4()
    resource = new_grant_resource(actor=actor, participant=participant, grant_id=grant_id)
    consents = followup_consent(participant)
    if chosen in PROHIBITED:
        # Recorded as access.purpose_refused by the policy, then refused here.
        can(actor, Action.CREATE, resource, chosen, request=request, consent_ok=consents)
        raise PermissionDenied(
            f"“{chosen.label}” is a prohibited purpose: the programme's data serve burnout "
            "mitigation only. The attempt was recorded."
        )
    text = _reason(reason)
    if IdentityGrant.objects.filter(
        participant=participant, requested_by_id=actor.pk, status=GrantStatus.PENDING
    ).exists():
        # Checked before the policy writes its entry: a second, refused
        # request must leave nothing behind that the access log would show.
        raise ValidationError(
            "You already have a request for this participant waiting for a decision.",
            code="already_pending",
        )
    closed = (
        "This case is closed, so a name can no longer be asked for it. If the person needs "
        "follow-up again, a new case opens when they ask or an alert arrives."
    )
    allowed = decide(
        actor=actor, action=Action.CREATE, resource=resource, purpose=chosen, consent_ok=consents
    ).allowed
    if not allowed:
        # Recorded as the policy's refusal; nobody outside learns the case's state.
        can(actor, Action.CREATE, resource, chosen, request=request, consent_ok=consents)
        raise PermissionDenied("You cannot ask for this participant's identity.")
    if Case.objects.filter(pk=case.pk, status=CaseStatus.CLOSED).exists():
        # Before the policy's entry: a request that is refused leaves a
        # refusal in the trail, never an allowed "created".
        _refuse(
            actor=actor,
            target=resource.reference,
            reason="the case is closed",
            purpose=chosen,
            request=request,
        )
        raise CaseClosed(closed, code="case_closed")
    if not can(actor, Action.CREATE, resource, chosen, request=request, consent_ok=consents):
        raise PermissionDenied("You cannot ask for this participant's identity.")
    with transaction.atomic():
        locked = lock_rows(Case.objects.all()).get(pk=case.pk)
        if locked.is_closed:
            # Closed between the check above and this lock.
            raise CaseClosed(closed, code="case_closed")
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
            id=grant_id,
            organisation_id=participant.organisation_id,
            participant=participant,
            case=locked,
            kind=GrantKind.TWO_PERSON,
            purpose=chosen.value,
        )
        grant.reason = text
        request_open(
            actor=actor,
            row=grant,
            event=EventType.REIDENTIFICATION_REQUESTED,
            target=f"participant:{participant.token}/grant:{grant.pk}",
            purpose=chosen,
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
    actor: Actor,
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
    # The policy refuses the requester (OWN is not the privacy role's), the
    # two-person step refuses them again, and the database a third time.
    decider = request_authorise(
        actor=actor,
        row=grant,
        approving=Approving(
            resource=resource,
            purpose=OVERSIGHT,
            refused="Only someone with the privacy role, other than the requester, can decide.",
            own_refused="Nobody can decide their own request.",
            fresh_reason="approving a re-identification needs a second-factor check just now",
        ),
        approve=approve,
        fresh=approve and _fresh_second_factor(actor, request),
        request=request,
    )
    if approve and not 1 <= hours <= MAX_GRANT_HOURS:
        raise ValidationError(f"A grant lasts between 1 and {MAX_GRANT_HOURS} hours.", code="hours")
    exception = ""
    if approve and not notify_participant:
        exception = _reason(exception_reason, what="why the participant is not told")
    clean_note = " ".join((note or "").split())[:REASON_MAX]
    if approve:
        # The requester's role, the participant's consent and the case's
        # state are read now, at the decision, not as they were when it was
        # asked. The refusal is recorded on its own, then raised.
        current = IdentityGrant.objects.select_related("participant", "case").get(pk=grant.pk)
        void = grant_void_reason(current) if current.status == GrantStatus.PENDING else None
        if void is not None:
            _refuse(
                actor=decider,
                target=resource.reference,
                reason=f"approving refused: {void}",
                purpose=OVERSIGHT,
                request=request,
            )
            raise ValidationError(
                f"This request cannot be approved any more: {void}. Refuse it instead.",
                code="no_longer_approvable",
            )

    def still_approvable(locked: IdentityGrant) -> None:
        if grant_void_reason(locked) is not None:
            raise ValidationError(
                "This request cannot be approved any more. Refuse it instead.",
                code="no_longer_approvable",
            )

    def noted(locked: IdentityGrant) -> list[str]:
        locked.decision_note = clean_note
        if not approve:
            return ["decision_note"]
        locked.notify_participant = notify_participant
        locked.exception_reason = exception
        return ["decision_note", "notify_participant", "exception_reason"]

    def recorded(locked: IdentityGrant) -> None:
        target = f"participant:{locked.participant.token}/grant:{locked.pk}"
        audit_record(
            actor=decider,
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
                actor=decider,
                event=EventType.REIDENTIFICATION_EXCEPTION,
                target=target,
                purpose=OVERSIGHT.value,
                reason="participant not told; reason recorded on the grant",
                request=request,
            )

    grants = IdentityGrant.objects.select_related("participant", "case")
    closed = "This request was decided already; see the list of grants."
    if approve:
        return request_approve(
            actor=decider,
            row=grant,
            queryset=grants,
            lasts=dt.timedelta(hours=hours),
            closed=closed,
            check=still_approvable,
            change=noted,
            audit=recorded,
        )
    return request_refuse(
        actor=decider, row=grant, queryset=grants, closed=closed, change=noted, audit=recorded
    )


def _fresh_second_factor(actor: Actor, request: HttpRequest | None) -> bool:
    return request is not None and user_has_mfa(actor) and recently_authenticated(request)


def identity_reveal(*, actor: Actor, grant: IdentityGrant, request: HttpRequest | None) -> Identity:
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
        locked = (
            lock_rows(IdentityGrant.objects.all())
            .select_related("participant", "case")
            .get(pk=grant.pk)
        )
        now = clock.now()
        if (
            not locked.is_live(now)
            or locked.requested_by_id != getattr(actor, "pk", None)
            or grant_void_reason(locked, user_id=actor.pk) is not None
        ):
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
            _tell(actor=actor, grant=locked, request=request)
    return identity


def _tell(*, actor: Actor, grant: IdentityGrant, request: HttpRequest | None) -> None:
    """Record that the participant is told of a look-up, and e-mail them after the commit."""
    participant = grant.participant
    purpose = Purpose(grant.purpose)
    audit_record(
        actor=actor,
        event=EventType.REIDENTIFICATION_TOLD,
        target=f"participant:{participant.token}/grant:{grant.pk}",
        purpose=purpose.value,
        reason="in the app and by e-mail",
        request=request,
    )
    notice = current_notice(participant.organisation_id)
    contact = str(notice.content.get("privacy_contact", "")) if notice else ""
    requester = grant.requested_by
    name = plain(requester.display_name) if requester is not None else ""
    when = grant.first_used_at or clock.now()
    notify.participant_told(
        participant,
        who=name or "a member of the follow-up team",
        when=f"{when:%d %B %Y, %H:%M} UTC",
        purpose=str(purpose.label),
        contact=contact,
    )


def _breakglass_case_check(actor: Actor, case: Case, decision: Decision) -> Decision:
    """Narrow break-glass to the specialist working this open safety-alert case.

    The policy lets any specialist of the organisation read the queue; one
    person alone opening a name is kept to a safety alert (a participant's
    own request for contact is no emergency), to the case's own specialist,
    while it is open: a colleague's or a closed case is no emergency of theirs.
    """
    if case.trigger != Trigger.SAFETY_ALERT:
        return Decision(False, "Break-glass is for safety-alert cases only.", role=decision.role)
    if case.is_closed:
        return Decision(False, "Break-glass needs an open case.", role=decision.role)
    if case.assignee_id is None or str(case.assignee_id) != str(getattr(actor, "pk", None)):
        return Decision(
            False, "Break-glass is for the specialist the case is assigned to.", role=decision.role
        )
    return decision


def breakglass_decision(*, actor: Actor, case: Case) -> Decision:
    """Decide (purely) whether ``actor`` may break the glass on this case now."""
    resource = case_resource(case, "break-glass")
    decision = decide_break_glass(actor=actor, resource=resource, purpose=Purpose.SAFETY_EMERGENCY)
    return _breakglass_case_check(actor, case, decision) if decision.allowed else decision


def unreviewed_breakglass(actor: Actor) -> IdentityGrant | None:
    """The specialist's oldest break-glass opening still waiting for review, if any."""
    return (
        IdentityGrant.objects.filter(
            kind=GrantKind.BREAK_GLASS, requested_by_id=getattr(actor, "pk", None)
        )
        .filter(reviewed_at__isnull=True)
        .order_by("requested_at")
        .first()
    )


def _last_breakglass_reason(actor: Actor) -> str:
    last = (
        IdentityGrant.objects.filter(
            kind=GrantKind.BREAK_GLASS, requested_by_id=getattr(actor, "pk", None)
        )
        .select_related("participant")
        .order_by("-requested_at")
        .first()
    )
    return plain(last.reason) if last is not None else ""


def _usable_allowance(
    specialist_id: uuid.UUID | None, organisation_id: Any, now: dt.datetime
) -> BreakGlassAllowance | None:
    return (
        lock_rows(BreakGlassAllowance.objects.all())
        .filter(
            specialist_id=specialist_id,
            organisation_id=organisation_id,
            used_by__isnull=True,
            expires_at__gt=now,
        )
        .order_by("granted_at")
        .first()
    )


def breakglass_open(
    *, actor: Actor, case: Case, reason: str, request: HttpRequest | None
) -> tuple[IdentityGrant, Identity]:
    """Open the identity behind one case's token at once, in a safety emergency.

    The specialist of an open safety-alert case only; the privacy role is
    alerted immediately and the opening waits in their review queue. While
    one of the specialist's openings waits for review, another needs a
    privacy officer's allowance (``BreakGlassLimit`` otherwise, audited, and
    the privacy officers are alerted so that they can review or allow).
    """

    participant = case.participant
    resource = case_resource(case, "break-glass")
    purpose = Purpose.SAFETY_EMERGENCY
    text = _reason(reason, previous=_last_breakglass_reason(actor))
    if not _fresh_second_factor(actor, request):
        raise ReauthenticationNeeded("Prove your second factor again to use break-glass.")
    decision = breakglass_decision(actor=actor, case=case)
    if not decision.allowed:
        _refuse(
            actor=actor,
            target=resource.reference,
            reason=decision.reason,
            purpose=purpose,
            request=request,
        )
        raise PermissionDenied("Break-glass is for a specialist in a safety emergency only.")
    specialist = person(actor)
    blocking: IdentityGrant | None = None
    with transaction.atomic():
        # The specialist's own row is the lock: two openings at once by one
        # person queue here, so both cannot find "nothing waits for review".
        lock_rows(User.objects.filter(pk=specialist.pk)).exists()
        locked_case = lock_rows(Case.objects.all()).get(pk=case.pk)
        if not breakglass_decision(actor=actor, case=locked_case).allowed:
            # Closed or handed over between the page and this step.
            raise PermissionDenied("Break-glass is for a specialist in a safety emergency only.")
        now = clock.now()
        blocking = unreviewed_breakglass(actor)
        allowance = None
        if blocking is not None:
            allowance = _usable_allowance(specialist.pk, participant.organisation_id, now)
        if blocking is None or allowance is not None:
            grant = IdentityGrant(
                organisation_id=participant.organisation_id,
                participant=participant,
                case=locked_case,
                kind=GrantKind.BREAK_GLASS,
                requested_by=specialist,
                purpose=purpose.value,
                requested_at=now,
                status=GrantStatus.APPROVED,
                expires_at=now + dt.timedelta(minutes=BREAK_GLASS_MINUTES),
            )
            grant.reason = text
            grant.save(force_insert=True)
            if allowance is not None:
                allowance.used_by = grant
                allowance.save(update_fields=["used_by"])
            audit_record(
                actor=actor,
                event=EventType.BREAKGLASS_OPENED,
                target=f"participant:{participant.token}/grant:{grant.pk}",
                purpose=purpose.value,
                role=decision.role,
                reason="safety emergency; review pending"
                + (f"; under allowance {allowance.pk}" if allowance is not None else ""),
                request=request,
            )
            notify.privacy_officers_alerted(
                participant.organisation,
                what="break_glass",
                path=reverse("followup:privacy_grant", args=[grant.pk]),
                exclude=actor.pk,
            )
            blocking = None
    if blocking is not None:
        with transaction.atomic():
            _refuse(
                actor=actor,
                target=resource.reference,
                reason=(
                    f"break-glass limit: opening {blocking.pk} waits for review and no "
                    "allowance covers another"
                ),
                purpose=purpose,
                request=request,
            )
            notify.privacy_officers_alerted(
                participant.organisation,
                what="break_glass_blocked",
                path=reverse("followup:privacy_grant", args=[blocking.pk]),
                exclude=actor.pk,
            )
        raise BreakGlassLimit(
            f"Your break-glass opening of {blocking.requested_at:%d %B %Y, %H:%M} UTC waits for "
            "a privacy officer's review. Until it is reviewed, another opening needs a privacy "
            "officer's allowance; they have just been alerted. In immediate danger, follow "
            "your organisation's emergency procedure now."
        )
    identity = identity_reveal(actor=actor, grant=grant, request=request)
    grant.refresh_from_db()
    return grant, identity


def breakglass_allowance_grant(
    *,
    actor: Actor,
    grant: IdentityGrant,
    reason: str,
    request: HttpRequest | None = None,
) -> BreakGlassAllowance:
    """Allow the specialist of an unreviewed break-glass opening one more before its review.

    For a privacy officer other than the specialist, with a fresh second
    factor (the allowance lets a name be opened) and a written reason; one
    unused allowance per specialist at a time, for a few hours.
    """
    text = _reason(reason, what="why another opening is allowed")
    resource = grant_resource(grant)
    if not can(actor, Action.UPDATE, resource, OVERSIGHT, request=request):
        raise PermissionDenied(
            "Only someone with the privacy role, other than the specialist, can allow this."
        )
    if grant.kind != GrantKind.BREAK_GLASS or grant.reviewed_at is not None:
        raise ValidationError(
            "An allowance is given on a break-glass opening that still waits for review.",
            code="not_waiting",
        )
    if grant.requested_by_id is None or str(grant.requested_by_id) == str(actor.pk):
        raise PermissionDenied("Nobody can allow themselves another break-glass opening.")
    if not _fresh_second_factor(actor, request):
        _refuse(
            actor=actor,
            target=resource.reference,
            reason="allowing another break-glass opening needs a second-factor check just now",
            purpose=OVERSIGHT,
            request=request,
        )
        raise ReauthenticationNeeded("Prove your second factor again, then allow it.")
    with transaction.atomic():
        now = clock.now()
        if _usable_allowance(grant.requested_by_id, grant.organisation_id, now) is not None:
            raise ValidationError(
                "This specialist already has an unused allowance for another opening.",
                code="already_allowed",
            )
        allowance = BreakGlassAllowance(
            organisation_id=grant.organisation_id,
            specialist_id=grant.requested_by_id,
            granted_by=person(actor),
            granted_at=now,
            expires_at=now + dt.timedelta(hours=BREAK_GLASS_ALLOWANCE_HOURS),
        )
        allowance.reason = text
        allowance.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.BREAKGLASS_ALLOWED,
            # Filed under the specialist: it is about their next emergency,
            # not about the participant of the opening it follows.
            target=f"user:{grant.requested_by_id}/breakglass-allowance:{allowance.pk}",
            purpose=OVERSIGHT.value,
            reason=(
                f"one more opening within {BREAK_GLASS_ALLOWANCE_HOURS} h while grant "
                f"{grant.pk} waits for review"
            ),
            request=request,
        )
    return allowance


def reidentification_exception_end(
    *, actor: Actor, grant: IdentityGrant, request: HttpRequest | None = None
) -> IdentityGrant:
    """End a recorded exception: the participant is told now (or at the first use).

    Everything the exception held back (the request, its decision, every
    reading) appears in the participant's access log once they are told.
    """
    resource = grant_resource(grant)
    if not can(actor, Action.UPDATE, resource, OVERSIGHT, request=request):
        raise PermissionDenied(
            "Only someone with the privacy role, other than the requester, can end an exception."
        )
    if grant.requested_by_id is not None and str(grant.requested_by_id) == str(actor.pk):
        raise PermissionDenied("Nobody can end the exception on their own request.")
    with transaction.atomic():
        locked = (
            lock_rows(IdentityGrant.objects.all())
            .select_related("participant", "requested_by")
            .get(pk=grant.pk)
        )
        if locked.status != GrantStatus.APPROVED or locked.notify_participant:
            raise ValidationError(
                "There is no exception in force on this grant.", code="no_exception"
            )
        now = clock.now()
        locked.notify_participant = True
        locked.exception_ended_by = person(actor)
        locked.exception_ended_at = now
        fields = ["notify_participant", "exception_ended_by", "exception_ended_at"]
        tell = locked.first_used_at is not None and locked.participant_told_on is None
        if tell:
            locked.participant_told_on = now.date()
            fields.append("participant_told_on")
        locked.save(update_fields=fields)
        audit_record(
            actor=actor,
            event=EventType.REIDENTIFICATION_EXCEPTION_ENDED,
            target=f"participant:{locked.participant.token}/grant:{locked.pk}",
            purpose=OVERSIGHT.value,
            reason="participant told now" if tell else "participant told at the first use",
            request=request,
        )
        if tell:
            _tell(actor=actor, grant=locked, request=request)
    return locked


def grant_review(
    *, actor: Actor, grant: IdentityGrant, note: str, request: HttpRequest | None = None
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
        if locked.status == GrantStatus.REFUSED:
            raise ValidationError(
                "A refused request gave nobody a name: there is nothing to review.",
                code="refused",
            )
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
        locked.reviewed_by = person(actor)
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
