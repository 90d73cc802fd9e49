"""Erasure, retention settings and legal holds.

``participant_erase`` is the one path by which everything about a
participant is destroyed: My data, the privacy officer's requests received
outside the app, retention (consent records past their period) and a backup
restore re-applying a tombstone all call it. Order matters: the aggregates
lose the person while their answers can still be read, then the data key is
shredded in the same transaction as the deletions, so even a row that some
bug left behind (or a copy in a backup) can no longer be read. The tombstone
goes to the journal outside the database before the commit, and the signed
receipt is the last thing written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.access.twoperson import decide_once
from wellkept.actors import Actor, PseudonymousActor, SystemActor, person
from wellkept.assessments.models import CheckIn, ReminderOptOut, ReminderSent, Response, SafetyAlert
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.consent.models import ConsentRecord
from wellkept.followup.erasure import followup_erase, followup_rows
from wellkept.followup.identity import login_for_participant
from wellkept.followup.models import Case
from wellkept.insights.store import participant_leaves_aggregates
from wellkept.lifecycle.models import (
    AUDIT_TRAIL_MINIMUM_MONTHS,
    BOUNDS,
    DataCategory,
    DeletionReceipt,
    ErasureRule,
    LegalHold,
    RetentionPeriod,
)
from wellkept.lifecycle.receipts import receipt_sign
from wellkept.lifecycle.tombstones import (
    tombstone_digest,
    tombstone_write,
)
from wellkept.orgs.models import Clinician, Organisation, Participant, StaffMembership
from wellkept.orgs.scopes import participant_resource
from wellkept.practice.models import Client
from wellkept.reasons import reason_text
from wellkept.vault.services import datakey_shred

OVERSIGHT = Purpose.AUDIT_OVERSIGHT
HOLD_REASON_MIN = 10
HOLD_REASON_MAX = 1000


class ErasureHeld(ValidationError):
    """A legal hold is in force on the person: erasure waits until it is lifted."""


@dataclass(frozen=True)
class Erasure:
    token: str
    counts: dict[str, int]
    rule: str = ErasureRule.SUBJECT_REQUEST
    receipt: dict[str, Any] = field(default_factory=dict)
    receipt_id: str = ""

    @property
    def summary(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in self.counts.items())


def held(participant: Participant) -> bool:
    """True when a legal hold (on the person or one of their cases) is in force."""
    return LegalHold.objects.filter(participant=participant, lifted_at__isnull=True).exists()


def _authorise_erasure(
    *,
    actor: Actor,
    participant: Participant,
    rule: ErasureRule,
    subject_request: Any,
    request: HttpRequest | None,
) -> Purpose:
    """Ask the policy (audited) whether ``actor`` may erase under ``rule``; return the purpose."""
    if rule == ErasureRule.OUTSIDE_REQUEST:
        # Imported here: subject_requests needs the accounts and followup
        # modules, and this module is imported by apps that load before them.
        from wellkept.lifecycle.subject_requests import (
            ERASE_KINDS,
            PURPOSE,
            get_subject_request_for,
        )

        if subject_request is None:
            raise PermissionDenied(
                "An outside request is answered under a data-subject request approved by a "
                "second privacy officer."
            )
        found = get_subject_request_for(
            actor=actor,
            id=subject_request.pk,
            action=Action.DELETE,
            what="erase",
            kinds=ERASE_KINDS,
            request=request,
        )
        if found.participant_id != participant.pk:
            raise PermissionDenied("The request reaches someone else.")
        return PURPOSE
    purpose = (
        Purpose.SERVICE_ADMINISTRATION if isinstance(actor, SystemActor) else Purpose.SELF_SERVICE
    )
    resource = participant_resource(participant, "everything")
    # Decided in its own transaction, so that a refusal is audited.
    if not can(actor, Action.DELETE, resource, purpose, request=request, consent_ok=True):
        raise PermissionDenied("You cannot erase this participant's data.")
    return purpose


def participant_erase(
    *,
    actor: Actor,
    participant: Participant,
    request: HttpRequest | None = None,
    rule: ErasureRule | str | None = None,
    subject_request: Any = None,
    close_account: bool = False,
) -> Erasure:
    """Shred the participant's data key, delete every row under their token, sign a receipt.

    ``rule`` says why (it goes on the receipt): by default the person's own
    request for a signed-in user and an automatic job for a command. A
    legal hold in force refuses every rule but the automatic job, which
    re-applies an erasure that already happened (a tombstone after a
    restore) and must not be held back by a hold restored with the backup.

    ``close_account`` (a request received outside the app only) also
    deletes the person's sign-in, with its second factors, when it is a
    participant-only account: see ``_account_close``.
    """
    if rule is None:
        rule = ErasureRule.JOB if isinstance(actor, SystemActor) else ErasureRule.SUBJECT_REQUEST
    rule = ErasureRule(rule)
    if close_account and rule != ErasureRule.OUTSIDE_REQUEST:
        raise PermissionDenied("Only the privacy officer's outside request closes an account.")
    token = participant.token
    purpose = _authorise_erasure(
        actor=actor,
        participant=participant,
        rule=rule,
        subject_request=subject_request,
        request=request,
    )
    with transaction.atomic():
        # The hold is checked under a lock on the participant's row, which
        # legal_hold_set takes too: a hold set while this erasure runs either
        # commits first and is seen here, or waits and finds nobody to hold.
        lock_rows(Participant.objects.all()).filter(pk=participant.pk).exists()
        if rule != ErasureRule.JOB and held(participant):
            raise ErasureHeld(
                "A legal hold is in force on this data, so it cannot be erased yet. The privacy "
                "officer lifts the hold once it is no longer needed; the erasure can then go "
                "ahead.",
                code="held",
            )
        counts = {
            "responses": Response.objects.filter(participant=participant).count(),
            "check-ins": CheckIn.objects.filter(participant=participant).count(),
            "safety alerts": SafetyAlert.objects.filter(participant=participant).count(),
            "follow-up records": followup_rows(participant),
            "consent records": ConsentRecord.objects.filter(participant=participant).count(),
            "reminder records": ReminderSent.objects.filter(participant=participant).count()
            + ReminderOptOut.objects.filter(participant=participant).count(),
            "legal holds": LegalHold.objects.filter(participant=participant).count(),
        }
        # Found before the participant row goes: the keyed link needs it.
        login = login_for_participant(participant) if close_account else None
        recorded_as: Actor = actor if isinstance(actor, SystemActor) else PseudonymousActor(token)
        if rule == ErasureRule.OUTSIDE_REQUEST:
            # The privacy officer acts as themselves, not as the participant.
            recorded_as = actor
        # The aggregates lose this person first, while their answers can
        # still be read; after the shred nothing could subtract them.
        participant_leaves_aggregates(participant)
        datakey_shred(actor=recorded_as, subject=participant.dek_subject)
        # Children first, explicitly: no reliance on cascades reaching every table.
        followup_erase(participant)
        LegalHold.objects.filter(participant=participant).delete()
        SafetyAlert.objects.filter(participant=participant).delete()
        Response.objects.filter(participant=participant).delete()
        CheckIn.objects.filter(participant=participant).delete()
        ConsentRecord.objects.filter(participant=participant).delete()
        ReminderSent.objects.filter(participant=participant).delete()
        ReminderOptOut.objects.filter(participant=participant).delete()
        organisation = participant.organisation
        Participant.objects.filter(pk=participant.pk).delete()
        if login is not None:
            counts.update(_account_close(actor=recorded_as, user=login))
        now = clock.now()
        tombstone_write(token=token, at=now)
        receipt = DeletionReceipt(organisation=organisation, rule=rule.value, issued_at=now)
        receipt.document = receipt_sign(
            subject_digest=tombstone_digest(token),
            organisation=organisation.name,
            rule=rule.value,
            rule_label=str(rule.label),
            counts=counts,
            erased_at=now,
            receipt_id=str(receipt.pk),
        )
        receipt.save(force_insert=True)
        if subject_request is not None:
            # The request's participant went with the row above (SET_NULL);
            # the receipt is what tells its officer the request was answered.
            subject_request.receipt = receipt
            subject_request.save(update_fields=["receipt"])
        audit_record(
            actor=recorded_as,
            event=EventType.SUBJECT_ERASED,
            target=f"participant:{token}",
            purpose=purpose.value,
            # Only how many rows went: kinds such as "safety alerts" are
            # clinical facts, and the trail outlives the erasure.
            reason=f"{rule.value}; rows deleted: {sum(counts.values())}; receipt {receipt.pk}",
            request=request if rule == ErasureRule.OUTSIDE_REQUEST else None,
        )
    return Erasure(
        token=token,
        counts=counts,
        rule=rule.value,
        receipt=receipt.document,
        receipt_id=str(receipt.pk),
    )


def _account_close(*, actor: Actor, user: Any) -> dict[str, int]:
    """Delete a participant-only login with its second factors, e-mail rows and sessions.

    allauth's MFA secrets are encrypted under one service key, not the
    user's (issue 2), so shredding the user's key would not reach them: the
    authenticator rows are deleted explicitly. A login holding a staff role
    or enrolled elsewhere is kept: it is not only this person's
    participation, and the system administrator manages staff accounts.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.usersessions.models import UserSession
    from django.contrib.sessions.models import Session

    if StaffMembership.objects.filter(user_id=user.pk).exists():
        return {"sign-in account kept (staff)": 0}
    if Clinician.objects.filter(user_id=user.pk).values("organisation_id").distinct().count() > 1:
        return {"sign-in account kept (other organisations)": 0}
    sessions = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    factors = Authenticator.objects.filter(user=user).delete()[0]
    EmailAddress.objects.filter(user=user).delete()
    UserSession.objects.filter(user=user).delete()
    Session.objects.filter(session_key__in=sessions).delete()
    datakey_shred(actor=actor, subject=user.dek_subject)
    type(user).objects.filter(pk=user.pk).delete()
    return {"sign-in account": 1, "second factors": factors}


# --- retention settings -------------------------------------------------------


def retention_resource(organisation: Organisation, what: str) -> Resource:
    return Resource(
        kind=ResourceKind.RETENTION_CONFIG,
        reference=f"setting:retention/{organisation.slug}/{what}",
        organisation_id=organisation.pk,
    )


def validate_months(category: DataCategory | str, months: int) -> None:
    """Raise ValidationError with a clear message when ``months`` is outside the lawful range."""
    category = DataCategory(category)
    bounds = BOUNDS[category]
    if category == DataCategory.AUDIT_TRAIL and months < AUDIT_TRAIL_MINIMUM_MONTHS:
        raise ValidationError(
            f"The audit trail must be kept for at least 6 years ({AUDIT_TRAIL_MINIMUM_MONTHS} "
            f"months); {months} months is too short. Choose {AUDIT_TRAIL_MINIMUM_MONTHS} or more.",
            code="audit_minimum",
        )
    if not bounds.minimum <= months <= bounds.maximum:
        raise ValidationError(
            f"{category.label}: choose between {bounds.minimum} and {bounds.maximum} months "
            f"(you gave {months}).",
            code="out_of_bounds",
        )


def retention_set(
    *,
    actor: Actor,
    organisation: Organisation,
    category: DataCategory | str,
    months: int,
    request: HttpRequest | None = None,
) -> RetentionPeriod:
    """Set how long the organisation keeps one category of data, within its bounds."""
    category = DataCategory(category)
    validate_months(category, months)
    purpose = Purpose.SERVICE_ADMINISTRATION if isinstance(actor, SystemActor) else OVERSIGHT
    resource = retention_resource(organisation, category.value)
    if not can(actor, Action.UPDATE, resource, purpose, request=request):
        raise PermissionDenied("Only the privacy officer can change retention periods.")
    with transaction.atomic():
        row = (
            lock_rows(RetentionPeriod.objects.all())
            .filter(organisation=organisation, category=category)
            .first()
        )
        before = row.months if row is not None else BOUNDS[category].default
        changed_by = None if isinstance(actor, SystemActor) else person(actor)
        if row is None:
            row = RetentionPeriod.objects.create(
                organisation=organisation,
                category=category,
                months=months,
                changed_at=clock.now(),
                changed_by=changed_by,
            )
        else:
            row.months, row.changed_at, row.changed_by = months, clock.now(), changed_by
            row.save(update_fields=["months", "changed_at", "changed_by"])
        audit_record(
            actor=actor,
            event=EventType.CONFIG_CHANGED,
            target=resource.reference,
            purpose=purpose.value,
            reason=f"retention {before} -> {months} months",
            request=request,
        )
    return row


# --- legal holds ----------------------------------------------------------------


# The shortest start of a code number a legal hold accepts (the consent
# register shows the first eight characters).
HOLD_TOKEN_MIN = 6


def _hold_reason(value: str, *, what: str = "the reason") -> str:
    return reason_text(
        value,
        minimum=HOLD_REASON_MIN,
        maximum=HOLD_REASON_MAX,
        what=what,
        too_short=(
            f"Write {what} (at least {HOLD_REASON_MIN} characters): a hold must say why it "
            "keeps data past its retention period."
        ),
    )


def hold_resource(organisation: Organisation, participant: Participant, what: str) -> Resource:
    return subject_hold_resource(organisation, f"participant:{participant.token}", what)


def subject_hold_resource(organisation: Organisation, subject: str, what: str) -> Resource:
    """A hold on ``subject`` (a participant's token or a client's row id), for the policy."""
    return Resource(
        kind=ResourceKind.RETENTION_CONFIG,
        reference=f"{subject}/{what}",
        organisation_id=organisation.pk,
    )


def _participant_by_token(organisation: Organisation, token: str) -> Participant:
    # The consent register and the follow-up pages show the start of a
    # code number with an ellipsis: accept that start when it names
    # exactly one participant of this organisation.
    cleaned = (token or "").strip().rstrip("…").rstrip(".")
    matches = (
        list(
            Participant.objects.filter(
                organisation=organisation, token__startswith=cleaned
            ).order_by("pk")[:2]
        )
        if len(cleaned) >= HOLD_TOKEN_MIN
        else []
    )
    if len(matches) > 1:
        raise ValidationError(
            "Several code numbers start with these characters: copy more of it.",
            code="ambiguous",
        )
    if not matches:
        # The same answer for a malformed and an unknown token.
        raise ValidationError(
            "No participant with this code number in this organisation. Copy the code "
            f"number (at least its first {HOLD_TOKEN_MIN} characters) as the consent "
            "register shows it.",
            code="unknown",
        )
    return matches[0]


def _client_by_code(organisation: Organisation, code: str) -> Client:
    # Codes are random and carry no meaning: looking one up reads nothing
    # about the client, and the hold's reason is the only thing written.
    cleaned = (code or "").strip().upper()
    found = Client.objects.filter(organisation=organisation, code=cleaned).first()
    if found is None:
        raise ValidationError(
            "No client with this code at this practice. A client code looks like C-7K3Q9.",
            code="unknown",
        )
    return found


def legal_hold_set(
    *,
    actor: Actor,
    organisation: Organisation,
    token: str = "",
    case: Case | None = None,
    client_code: str = "",
    reason: str,
    request: HttpRequest | None = None,
) -> LegalHold:
    """Put a legal hold on a participant (by token), one follow-up case, or a client (by code)."""
    text = _hold_reason(reason)
    if client_code:
        return _client_hold_set(
            actor=actor,
            organisation=organisation,
            client=_client_by_code(organisation, client_code),
            text=text,
            request=request,
        )
    if case is not None:
        participant = case.participant
        if case.organisation_id != organisation.pk:
            raise ValidationError("No such case in this organisation.", code="unknown")
    else:
        participant = _participant_by_token(organisation, token)
    what = f"hold:case:{case.pk}" if case is not None else "hold:person"
    if not can(
        actor,
        Action.CREATE,
        hold_resource(organisation, participant, what),
        OVERSIGHT,
        request=request,
    ):
        raise PermissionDenied("Only the privacy officer can set a legal hold.")
    setter = person(actor)
    with transaction.atomic():
        # The lock participant_erase takes: a hold and an erasure never cross.
        if not lock_rows(Participant.objects.all()).filter(pk=participant.pk).exists():
            raise ValidationError(
                "No participant with this code number in this organisation (erased meanwhile).",
                code="unknown",
            )
        existing = lock_rows(LegalHold.objects.all()).filter(
            participant=participant, case=case, lifted_at__isnull=True
        )
        if existing.exists():
            raise ValidationError(
                "A hold is already in force on this; lift it first if its reason changed.",
                code="already_held",
            )
        hold = LegalHold(
            organisation=organisation,
            participant=participant,
            case=case,
            set_by=setter,
            set_at=clock.now(),
        )
        hold.reason = text
        hold.save(force_insert=True)
        audit_record(
            actor=setter,
            event=EventType.LEGAL_HOLD_SET,
            target=f"participant:{participant.token}/hold:{hold.pk}",
            purpose=OVERSIGHT.value,
            reason="case" if case is not None else "person",
            request=request,
        )
    return hold


def _client_hold_set(
    *,
    actor: Actor,
    organisation: Organisation,
    client: Client,
    text: str,
    request: HttpRequest | None,
) -> LegalHold:
    subject = f"client:{client.pk}"
    if not can(
        actor,
        Action.CREATE,
        subject_hold_resource(organisation, subject, "hold:client"),
        OVERSIGHT,
        request=request,
    ):
        raise PermissionDenied("Only the privacy officer can set a legal hold.")
    setter = person(actor)
    with transaction.atomic():
        # The lock client_erase takes: a hold and an erasure never cross.
        if not lock_rows(Client.objects.all()).filter(pk=client.pk).exists():
            raise ValidationError(
                "No client with this code at this practice (erased meanwhile).", code="unknown"
            )
        if (
            lock_rows(LegalHold.objects.all())
            .filter(client=client, lifted_at__isnull=True)
            .exists()
        ):
            raise ValidationError(
                "A hold is already in force on this client; lift it first if its reason changed.",
                code="already_held",
            )
        hold = LegalHold(
            organisation=organisation, client=client, set_by=setter, set_at=clock.now()
        )
        hold.reason = text
        hold.save(force_insert=True)
        audit_record(
            actor=setter,
            event=EventType.LEGAL_HOLD_SET,
            target=f"{subject}/hold:{hold.pk}",
            purpose=OVERSIGHT.value,
            reason="client",
            request=request,
        )
    return hold


def legal_hold_lift(
    *, actor: Actor, hold: LegalHold, reason: str, request: HttpRequest | None = None
) -> LegalHold:
    """Lift a hold: retention then deletes what expired under it at its next run."""
    text = _hold_reason(reason, what="why the hold ends")
    subject = hold.subject_reference
    resource = subject_hold_resource(hold.organisation, subject, f"hold:{hold.pk}")
    if not can(actor, Action.UPDATE, resource, OVERSIGHT, request=request):
        raise PermissionDenied("Only the privacy officer can lift a legal hold.")
    lifter = person(actor)

    def lifted(locked: LegalHold) -> list[str]:
        locked.lifted_at, locked.lifted_by = clock.now(), lifter
        locked.lift_reason = text
        return ["lifted_at", "lifted_by", "lift_reason"]

    def recorded(locked: LegalHold) -> None:
        audit_record(
            actor=lifter,
            event=EventType.LEGAL_HOLD_LIFTED,
            target=f"{subject}/hold:{locked.pk}",
            purpose=OVERSIGHT.value,
            request=request,
        )

    # Ended once, under a lock, like a two-person request's decision; a hold
    # needs no second person, since lifting it only lets retention run.
    return decide_once(
        LegalHold.objects.all(),
        hold.pk,
        is_open=lambda locked: locked.in_force,
        closed="This hold was lifted already.",
        code="lifted",
        change=lifted,
        audit=recorded,
    )
