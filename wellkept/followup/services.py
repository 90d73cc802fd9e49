"""Writes for follow-up cases: opening, taking, messages both ways, notes, closing.

Every service decides through the access policy first (a refusal is
audited and committed on its own), then writes in one transaction with its
audit event. Participant-side events are recorded under the token, never
the login. E-mails go out only after the commit.

Messages and notes are idempotent: each form carries a random key, and the
same form sent twice (a double tap, a retry after a timeout) stores, audits
and e-mails once. A key sent again with different text is a new message.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can, roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.rules import AccessRole
from wellkept.actors import Actor, PseudonymousActor, person
from wellkept.assessments.hooks import SafetyAlertRaised
from wellkept.assessments.models import Response, SafetyAlert, today
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.followup import notify, ratelimit
from wellkept.followup.models import (
    Case,
    CaseMessage,
    CaseNote,
    CaseStatus,
    CloseReason,
    GrantStatus,
    IdentityGrant,
    MessageKind,
    Sender,
    Trigger,
)
from wellkept.followup.scopes import case_resource, new_case_resource
from wellkept.followup.selectors import followup_consent, plain
from wellkept.orgs.models import Participant

MESSAGE_MAX = 4000
NOTE_MAX = 4000
NAME_MAX = 200
CONTACT_MAX = 300
WHEN_MAX = 300
TEAM_PURPOSE = Purpose.BURNOUT_FOLLOW_UP
TEAM_ROLES = frozenset({AccessRole.WELLBEING_OFFICER, AccessRole.SPECIALIST})

CONVERSATION_WAYS = {
    "phone": "A phone call",
    "video": "A video call",
    "in_person": "In person",
    "chat": "Here, in writing",
}


def _text(value: str, *, limit: int, what: str, code: str) -> str:
    """Return the text trimmed, or raise a clear message when empty or too long."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"Write {what} first.", code=f"{code}_missing")
    if len(text) > limit:
        raise ValidationError(
            f"{what[0].upper()}{what[1:]} is too long: keep it under {limit} characters "
            f"(it has {len(text)}).",
            code=f"{code}_too_long",
        )
    return text


def _as_token(participant: Participant) -> PseudonymousActor:
    return PseudonymousActor(participant.token)


def _lock(case: Case) -> Case:
    locked = lock_rows(Case.objects.all()).select_related("participant").filter(pk=case.pk).first()
    if locked is None:
        # The participant erased their data between the page and this lock.
        raise ValidationError(
            "This case is no longer there: the participant's data was erased.", code="case_gone"
        )
    return locked


def _next_sequence(case: Case) -> int:
    top = CaseMessage.objects.filter(case=case).aggregate(top=Max("sequence"))["top"]
    return int(top or 0) + 1


IDEMPOTENCY_KEY_MAX = 64


def _key(value: str | None) -> str:
    """The form's idempotency key as stored: trimmed, bounded; "" for none."""
    return (value or "").strip()[:IDEMPOTENCY_KEY_MAX]


def _sent_before(case: Case, sender: Sender, key: str, text: str) -> CaseMessage | None:
    """The message this same form already stored, if it is the same text."""
    if not key:
        return None
    earlier = CaseMessage.objects.filter(case=case, sender=sender, idempotency_key=key).first()
    if earlier is not None and plain(earlier.body) == text:
        return earlier
    return None


def _fresh_key(case: Case, sender: Sender, key: str) -> str:
    """The key to store: "" when the form's key already holds another text (a new message)."""
    if key and CaseMessage.objects.filter(case=case, sender=sender, idempotency_key=key).exists():
        return ""
    return key


def _require_open(case: Case) -> None:
    if case.status == CaseStatus.CLOSED:
        raise ValidationError(
            "This case is closed, so nothing more can be added to it.", code="case_closed"
        )


# ---- Opening --------------------------------------------------------------------------


def _open_or_join(participant: Participant, trigger: Trigger, response: Response | None) -> Case:
    """Open a case for the participant, or add the signal to their open one; caller audits."""
    # The participant row's lock queues two signals at once, so both find
    # (or one creates) the same open case.
    lock_rows(Participant.objects.all()).filter(pk=participant.pk).first()
    case = (
        lock_rows(Case.objects.all())
        .filter(participant=participant)
        .exclude(status=CaseStatus.CLOSED)
        .first()
    )
    day = today()
    if case is None:
        return Case.objects.create(
            organisation_id=participant.organisation_id,
            participant=participant,
            trigger=trigger,
            response=response,
            opened_on=day,
            last_signal_on=day,
        )
    case.signals += 1
    case.last_signal_on = day
    fields = ["signals", "last_signal_on"]
    if response is not None:
        case.response = response
        fields.append("response")
    if trigger == Trigger.SAFETY_ALERT and case.trigger != Trigger.SAFETY_ALERT:
        # A risk signal makes an open request urgent.
        case.trigger = Trigger.SAFETY_ALERT
        fields.append("trigger")
    case.save(update_fields=fields)
    return case


def case_open_for_alert(*, actor: Actor, alert: SafetyAlert) -> Case:
    """Open (or join) the follow-up case for a safety alert; call inside the alert's transaction.

    No separate policy decision: the alert exists only because the
    participant agreed to safety alerts beforehand, which the check-in's
    own decision checked in this same transaction.
    """
    participant = alert.participant
    case = _open_or_join(participant, Trigger.SAFETY_ALERT, alert.response)
    audit_record(
        actor=_as_token(participant),
        event=EventType.FOLLOWUP_CASE_OPENED,
        target=f"participant:{participant.token}/case:{case.pk}",
        purpose=Purpose.SAFETY_EMERGENCY.value,
        reason=f"safety alert; signals {case.signals}",
    )
    return case


def on_safety_alert_raised(event: SafetyAlertRaised) -> None:
    """A safety alert joins the follow-up queue, in the check-in's transaction."""
    case_open_for_alert(actor=event.actor, alert=event.alert)


def case_request(
    *, actor: Actor, participant: Participant, request: HttpRequest | None = None
) -> Case:
    """Open a case because the participant asked someone to contact them."""
    resource = new_case_resource(participant)
    consents = followup_consent(participant)
    if not can(actor, Action.CREATE, resource, Purpose.SELF_SERVICE, consent_ok=consents):
        raise PermissionDenied(
            "You can ask for follow-up while you take part in the programme. You can join "
            "again from the check-ins page."
        )
    with transaction.atomic():
        latest = Response.objects.filter(participant=participant).order_by("-submitted_on").first()
        case = _open_or_join(participant, Trigger.REQUEST, latest)
        audit_record(
            actor=_as_token(participant),
            event=EventType.FOLLOWUP_CASE_OPENED,
            target=f"participant:{participant.token}/case:{case.pk}",
            purpose=Purpose.SELF_SERVICE.value,
            reason=f"asked for follow-up; signals {case.signals}",
        )
    return case


# ---- The team's side -----------------------------------------------------------------


def _team_may(
    actor: Actor, action: Action, case: Case, what: str, request: HttpRequest | None
) -> None:
    resource = case_resource(case, what)
    consents = followup_consent(case.participant)
    if not can(actor, action, resource, TEAM_PURPOSE, request=request, consent_ok=consents):
        raise PermissionDenied("Only the person this case is assigned to can do that.")


def case_assign(
    *, actor: Actor, case: Case, assignee: Any, request: HttpRequest | None = None
) -> Case:
    """Give the case to ``assignee`` (oneself: take it); reassigning is the wellbeing officer's."""
    _team_may(actor, Action.FOLLOW_UP, case, "assign", request)
    if not roles_in(assignee, case.organisation_id) & TEAM_ROLES:
        raise ValidationError(
            "Cases can only go to a wellbeing officer or a specialist of this organisation.",
            code="assignee_not_team",
        )
    taking_over = case.assignee_id is not None and case.assignee_id != getattr(actor, "pk", None)
    for_someone_else = assignee.pk != getattr(actor, "pk", None)
    if (taking_over or for_someone_else) and AccessRole.WELLBEING_OFFICER not in roles_in(
        actor, case.organisation_id
    ):
        raise PermissionDenied(
            "Only the wellbeing officer can give a case to someone else or take over a "
            "case someone has."
        )
    with transaction.atomic():
        locked = _lock(case)
        _require_open(locked)
        if locked.assignee_id == assignee.pk:
            return locked
        locked.assignee = assignee
        locked.status = CaseStatus.OPEN
        locked.save(update_fields=["assignee", "status"])
        audit_record(
            actor=actor,
            event=EventType.FOLLOWUP_CASE_ASSIGNED,
            target=f"participant:{locked.participant.token}/case:{locked.pk}",
            purpose=TEAM_PURPOSE.value,
            reason=f"assigned to user:{assignee.pk}",
            request=request,
        )
    return locked


def message_send(
    *,
    actor: Actor,
    case: Case,
    body: str,
    request: HttpRequest | None = None,
    idempotency_key: str = "",
) -> CaseMessage:
    """Write to the participant's token; they get an e-mail that only says a message waits."""
    text = _text(body, limit=MESSAGE_MAX, what="a message", code="message")
    key = _key(idempotency_key)
    _team_may(actor, Action.UPDATE, case, "message", request)
    earlier = _sent_before(case, Sender.TEAM, key, text)
    if earlier is not None:
        return earlier
    ratelimit.message_allowance_take(
        sender=f"team:{actor.pk}:{case.pk}", limit=ratelimit.TEAM_MESSAGES_PER_HOUR
    )
    with transaction.atomic():
        locked = _lock(case)
        _require_open(locked)
        # Again under the case's lock: two copies of one form sent at once
        # queue here, and the second finds the first.
        earlier = _sent_before(locked, Sender.TEAM, key, text)
        if earlier is not None:
            return earlier
        # One e-mail per batch of unread messages: the first says a message
        # waits; more of them until it is opened would only fill a mailbox.
        already_waiting = CaseMessage.objects.filter(
            case=locked, sender=Sender.TEAM, read_on__isnull=True
        ).exists()
        message = CaseMessage(
            case=locked,
            sequence=_next_sequence(locked),
            sender=Sender.TEAM,
            kind=MessageKind.MESSAGE,
            author=person(actor),
            sent_on=today(),
            idempotency_key=_fresh_key(locked, Sender.TEAM, key),
        )
        message.body = text
        message.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.FOLLOWUP_MESSAGE_SENT,
            target=f"participant:{locked.participant.token}/case:{locked.pk}/message:{message.sequence}",
            purpose=TEAM_PURPOSE.value,
            reason="to the participant",
            request=request,
        )
        if not already_waiting:
            notify.message_waiting(locked.participant)
    return message


def note_add(
    *,
    actor: Actor,
    case: Case,
    body: str,
    request: HttpRequest | None = None,
    idempotency_key: str = "",
) -> CaseNote:
    """Add a working note to an open case, encrypted under the participant's key."""
    text = _text(body, limit=NOTE_MAX, what="the note", code="note")
    key = _key(idempotency_key)
    _team_may(actor, Action.UPDATE, case, "note", request)
    with transaction.atomic():
        locked = _lock(case)
        # The page offers no note on a closed case; the rule is kept here,
        # where a direct POST or a script ends up too.
        _require_open(locked)
        if key:
            earlier = CaseNote.objects.filter(case=locked, idempotency_key=key).first()
            if earlier is not None:
                if plain(earlier.body) == text:
                    return earlier
                key = ""
        # Dated here rather than by the field default, which holds the
        # clock function as it was at import and would bypass the seam.
        note = CaseNote(
            case=locked, author=person(actor), written_at=clock.now(), idempotency_key=key
        )
        note.body = text
        note.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.FOLLOWUP_NOTE_ADDED,
            target=f"participant:{locked.participant.token}/case:{locked.pk}/note:{note.pk}",
            purpose=TEAM_PURPOSE.value,
            request=request,
        )
    return note


def case_close(
    *, actor: Actor, case: Case, reason: str, request: HttpRequest | None = None
) -> Case:
    """Close the case with a reason; the conversation stays readable to the participant."""
    try:
        why = CloseReason(reason)
    except ValueError:
        raise ValidationError("Choose why the case is closed.", code="close_reason") from None
    _team_may(actor, Action.UPDATE, case, "close", request)
    with transaction.atomic():
        locked = _lock(case)
        if locked.status == CaseStatus.CLOSED:
            return locked
        ended = _close(locked, why)
        audit_record(
            actor=actor,
            event=EventType.FOLLOWUP_CASE_CLOSED,
            target=f"participant:{locked.participant.token}/case:{locked.pk}",
            purpose=TEAM_PURPOSE.value,
            reason=why.value + (f"; {ended} live grant(s) ended" if ended else ""),
            request=request,
        )
    return locked


def _close(case: Case, why: CloseReason) -> int:
    """Close the case and end every live grant asked for it; return how many ended.

    A name was needed for this case; once it is closed nobody needs it, so
    a grant (two-person or break-glass) ends now rather than when its hours
    run out. The policy checks the case's state at every use as well.
    """
    case.status = CaseStatus.CLOSED
    case.closed_on = today()
    case.close_reason = why
    case.save(update_fields=["status", "closed_on", "close_reason"])
    now = clock.now()
    return IdentityGrant.objects.filter(
        case=case, status=GrantStatus.APPROVED, expires_at__gt=now
    ).update(expires_at=now)


def messages_mark_read(*, case: Case, reader: Sender) -> int:
    """Mark the other side's messages as read by ``reader``; return how many."""
    other = Sender.PARTICIPANT if reader == Sender.TEAM else Sender.TEAM
    return CaseMessage.objects.filter(case=case, sender=other, read_on__isnull=True).update(
        read_on=today()
    )


# ---- The participant's side ----------------------------------------------------------


def _participant_may(actor: Actor, case: Case, what: str, key: str = "", text: str = "") -> bool:
    """Decide (audited) and count the message; False when this form was stored already."""
    resource = case_resource(case, what)
    consents = followup_consent(case.participant)
    if not can(actor, Action.CREATE, resource, Purpose.SELF_SERVICE, consent_ok=consents):
        raise PermissionDenied(
            "You can write to the follow-up team while you take part in the programme."
        )
    if _sent_before(case, Sender.PARTICIPANT, key, text) is not None:
        return False
    ratelimit.message_allowance_take(
        sender=f"participant:{case.pk}", limit=ratelimit.PARTICIPANT_MESSAGES_PER_HOUR
    )
    return True


def _participant_message(
    case: Case, kind: MessageKind, body: str, event: EventType, reason: str, key: str = ""
) -> CaseMessage:
    locked = _lock(case)
    _require_open(locked)
    earlier = _sent_before(locked, Sender.PARTICIPANT, key, body)
    if earlier is not None:
        return earlier
    message = CaseMessage(
        case=locked,
        sequence=_next_sequence(locked),
        sender=Sender.PARTICIPANT,
        kind=kind,
        sent_on=today(),
        idempotency_key=_fresh_key(locked, Sender.PARTICIPANT, key),
    )
    message.body = body
    message.save(force_insert=True)
    audit_record(
        actor=_as_token(locked.participant),
        event=event,
        target=f"participant:{locked.participant.token}/case:{locked.pk}/message:{message.sequence}",
        purpose=Purpose.SELF_SERVICE.value,
        reason=reason,
    )
    return message


def reply_send(*, actor: Actor, case: Case, body: str, idempotency_key: str = "") -> CaseMessage:
    """The participant writes back to the follow-up team."""
    text = _text(body, limit=MESSAGE_MAX, what="your reply", code="message")
    key = _key(idempotency_key)
    _participant_may(actor, case, "reply", key, text)
    with transaction.atomic():
        return _participant_message(
            case, MessageKind.MESSAGE, text, EventType.FOLLOWUP_MESSAGE_SENT, "to the team", key
        )


def identity_share(
    *, actor: Actor, case: Case, name: str, contact: str, idempotency_key: str = ""
) -> CaseMessage:
    """The participant tells the team their name and how to reach them: their choice alone."""
    clean_name = _text(name, limit=NAME_MAX, what="your name", code="name")
    clean_contact = (contact or "").strip()
    if len(clean_contact) > CONTACT_MAX:
        raise ValidationError(
            f"The contact details are too long: keep them under {CONTACT_MAX} characters.",
            code="contact_too_long",
        )
    body = json.dumps({"name": clean_name, "contact": clean_contact}, sort_keys=True)
    key = _key(idempotency_key)
    _participant_may(actor, case, "share", key, body)
    with transaction.atomic():
        return _participant_message(
            case,
            MessageKind.IDENTITY_SHARED,
            body,
            EventType.FOLLOWUP_IDENTITY_SHARED,
            "shared by the participant",
            key,
        )


def conversation_ask(
    *, actor: Actor, case: Case, way: str, when: str, idempotency_key: str = ""
) -> CaseMessage:
    """The participant asks for a conversation: how, and when suits them."""
    if way not in CONVERSATION_WAYS:
        raise ValidationError("Choose how you would like to talk.", code="way")
    clean_when = _text(when, limit=WHEN_MAX, what="when suits you", code="when")
    body = json.dumps({"way": way, "when": clean_when}, sort_keys=True)
    key = _key(idempotency_key)
    _participant_may(actor, case, "conversation", key, body)
    with transaction.atomic():
        return _participant_message(
            case, MessageKind.CONVERSATION, body, EventType.FOLLOWUP_CONVERSATION_ASKED, way, key
        )


def followup_decline(*, actor: Actor, case: Case) -> Case:
    """The participant says no to further contact: a last message, and the case closes."""
    # Declining must work even after leaving the programme.
    resource = case_resource(case, "decline")
    if not can(actor, Action.UPDATE, resource, Purpose.SELF_SERVICE, consent_ok=True):
        raise PermissionDenied("You cannot change this conversation.")
    with transaction.atomic():
        _participant_message(
            case,
            MessageKind.DECLINED,
            "The participant does not want further contact.",
            EventType.FOLLOWUP_DECLINED,
            "declined by the participant",
        )
        locked = _lock(case)
        ended = _close(locked, CloseReason.DECLINED)
        audit_record(
            actor=_as_token(locked.participant),
            event=EventType.FOLLOWUP_CASE_CLOSED,
            target=f"participant:{locked.participant.token}/case:{locked.pk}",
            purpose=Purpose.SELF_SERVICE.value,
            reason=CloseReason.DECLINED.value + (f"; {ended} live grant(s) ended" if ended else ""),
        )
    return locked
