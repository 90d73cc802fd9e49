"""Writes for the clinician's side: joining the programme, checking in, reminders.

Every write is a keyword-only service that decides through the access policy
(which also checks consent), writes in one transaction with its audit event,
and stores answers only through the vault.
"""

from __future__ import annotations

import datetime as dt
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.actors import Actor, PseudonymousActor, SystemActor, person
from wellkept.assessments import periods
from wellkept.assessments.hooks import (
    RESPONSES_STORED,
    SAFETY_ALERT_RAISED,
    ResponsesStored,
    SafetyAlertRaised,
    StoredResponse,
)
from wellkept.assessments.instruments import (
    Instrument,
    Score,
    UnknownInstrument,
    check_answers,
    get_instrument,
    score,
)
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
    Programme,
    ProgrammeStatus,
    ReminderOptOut,
    Response,
    SafetyAlert,
    Schedule,
    today,
)
from wellkept.assessments.selectors import open_programme, programme_units
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.consent.hooks import ConsentWithdrawn
from wellkept.consent.models import Notice
from wellkept.consent.selectors import consent_state
from wellkept.consent.services import consent_record
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Organisation, Participant, RoleCategory, ShiftType, Unit
from wellkept.orgs.scopes import participant_resource

NOT_COLLECTING = (
    "Your answers are not being collected because you are not taking part at the moment. "
    "You can join again from the programme page."
)


class CheckInClosed(ValidationError):
    """The check-in cannot take answers (programme closed, already submitted, consent gone)."""


def _purpose(actor: Actor) -> Purpose:
    return (
        Purpose.SERVICE_ADMINISTRATION if isinstance(actor, SystemActor) else Purpose.SELF_SERVICE
    )


def _token_actor(actor: Actor, participant: Participant) -> Actor:
    """Record a clinician's own action under their token, never their user id."""
    return actor if isinstance(actor, SystemActor) else PseudonymousActor(participant.token)


@transaction.atomic
def programme_join(
    *,
    actor: Actor,
    organisation: Organisation,
    notice: Notice,
    unit: Unit,
    shift_type: ShiftType,
    role_category: RoleCategory | str,
    follow_up_contact: bool,
    safety_alert: bool,
    request: HttpRequest | None = None,
) -> Participant:
    """Enrol the signed-in clinician under a new token and record their consent, together."""
    programme = open_programme(organisation)
    if programme is None:
        raise ValidationError(
            "The wellbeing programme is not open at the moment, so there is nothing to join.",
            code="programme_closed",
        )
    if not programme_units(programme).filter(pk=unit.pk).exists():
        raise ValidationError(
            "That unit does not take part in the programme. Choose your unit from the list.",
            code="unit_not_in_programme",
        )
    # Joining is a person's own act: their login is what the keyed link binds.
    user = person(actor)
    participant = org_services.participant_enrol(
        actor=user,
        user=user,
        organisation=organisation,
        unit=unit,
        shift_type=shift_type,
        role_category=role_category,
    )
    consent_record(
        actor=actor,
        participant=participant,
        notice=notice,
        take_part=True,
        follow_up_contact=follow_up_contact,
        safety_alert=safety_alert,
        request=request,
    )
    return participant


def _schedule_instruments(schedule: Schedule) -> list[Instrument]:
    try:
        return [get_instrument(code) for code in schedule.instruments]
    except UnknownInstrument as exc:
        # A programme set up with an instrument that has since been removed.
        raise CheckInClosed(
            f"This check-in cannot be taken at the moment ({exc}). Please tell the programme team.",
            code="instrument_missing",
        ) from None


def _collecting(
    actor: Actor, participant: Participant, reference: str, request: HttpRequest | None
) -> bool:
    """Ask the policy (which checks consent) whether new answers may be collected.

    Callers check inside their transaction but raise only after it: a
    refusal's audit entry must commit, not roll back with the refused work.
    """
    resource = participant_resource(participant, reference)
    return can(actor, Action.CREATE, resource, _purpose(actor), request=request)


def _lock_checkin(checkin: CheckIn, *related: str) -> CheckIn:
    """Lock the check-in's row only (related rows are read, not locked), or say it is gone."""
    locked = lock_rows(CheckIn.objects.all()).select_related(*related).filter(pk=checkin.pk).first()
    if locked is None:
        # Erased (or discarded) in another tab between the page and this lock.
        raise CheckInClosed(
            "This check-in is no longer there: it was discarded, or your data was erased. "
            "Start again from the programme page.",
            code="gone",
        )
    return locked


def _require_open(programme: Programme) -> None:
    if programme.status != ProgrammeStatus.OPEN:
        raise CheckInClosed(
            "This programme is closed, so it is not taking check-ins any more. Nothing you "
            "answered was kept.",
            code="programme_closed",
        )


def checkin_start(
    *,
    actor: Actor,
    participant: Participant,
    schedule: Schedule,
    request: HttpRequest | None = None,
) -> CheckIn:
    """Return this period's check-in for the schedule, creating it if needed (resumable)."""
    programme = schedule.programme
    if programme.organisation_id != participant.organisation_id:
        raise CheckInClosed("This check-in belongs to another organisation.", code="foreign")
    _require_open(programme)
    _schedule_instruments(schedule)
    start = periods.period_start(schedule.frequency, today())
    checkin: CheckIn | None = None
    with transaction.atomic():
        if _collecting(actor, participant, f"checkin:{schedule.slug}", request):
            checkin = CheckIn.objects.filter(
                participant=participant, schedule=schedule, period_start=start
            ).first()
            if checkin is None:
                try:
                    with transaction.atomic():
                        checkin = CheckIn.objects.create(
                            participant=participant, schedule=schedule, period_start=start
                        )
                except IntegrityError:
                    # A second tab started the same check-in a moment earlier: use it.
                    checkin = CheckIn.objects.get(
                        participant=participant, schedule=schedule, period_start=start
                    )
    if checkin is None:
        raise PermissionDenied(NOT_COLLECTING)
    return checkin


def read_draft(checkin: CheckIn) -> dict[str, dict[str, int]]:
    """Return the answers saved so far, by instrument code."""
    if not checkin.draft or checkin.status != CheckInStatus.IN_PROGRESS:
        return {}
    value = checkin.draft
    if not isinstance(value, str):
        return {}
    loaded: dict[str, dict[str, int]] = json.loads(value)
    return loaded


def checkin_save_answers(
    *,
    actor: Actor,
    checkin: CheckIn,
    instrument_code: str,
    answers: dict[str, Any],
    request: HttpRequest | None = None,
) -> CheckIn:
    """Validate one instrument's answers and keep them, encrypted, in the check-in's draft.

    Raises ValidationError with a message per item for missing or invalid
    answers; nothing is saved then.
    """
    if instrument_code not in checkin.schedule.instruments:
        raise CheckInClosed(
            "That questionnaire is not part of this check-in. Please start again from the "
            "programme page.",
            code="tampered",
        )
    instrument = get_instrument(instrument_code)
    problems = check_answers(instrument, answers)
    if problems:
        raise ValidationError({item: [message] for item, message in problems.items()})
    clean = {
        item.id: int(answers[item.id])
        for item in instrument.items
        if answers.get(item.id) is not None
    }
    with transaction.atomic():
        locked = _lock_checkin(checkin, "participant")
        if locked.status != CheckInStatus.IN_PROGRESS:
            raise CheckInClosed(
                "This check-in was already submitted; your answers are kept.",
                code="already_submitted",
            )
        _require_open(locked.schedule.programme)
        allowed = _collecting(actor, locked.participant, f"checkin:{locked.pk}", request)
        if allowed:
            draft = read_draft(locked)
            draft[instrument_code] = clean
            locked.draft = json.dumps(draft, sort_keys=True)
            locked.save(update_fields=["draft"])
    if not allowed:
        raise PermissionDenied(NOT_COLLECTING)
    return locked


@dataclass(frozen=True)
class Submitted:
    checkin: CheckIn
    results: list[tuple[Instrument, Score, Response]]
    alert_raised: bool


def _payload(instrument: Instrument, answers: dict[str, int], result: Score) -> str:
    return json.dumps(
        {
            "instrument": instrument.code,
            "version": instrument.version,
            "answers": answers,
            "total": result.total,
            "raw": result.raw,
            "band": result.band.code if result.band else None,
            "band_label": result.band.label if result.band else None,
            "prorated": result.prorated,
            "safety": result.safety_signal,
            "suggestions": list(result.suggestions),
        },
        sort_keys=True,
    )


def checkin_submit(
    *,
    actor: Actor,
    checkin: CheckIn,
    idempotency_key: str,
    request: HttpRequest | None = None,
) -> CheckIn:
    """Score and store every answered instrument, encrypted; a repeated submission is a no-op.

    The idempotency key comes from the form the person submitted; a key
    that does not match this check-in means a tampered or foreign form.
    """
    if not hmac.compare_digest(idempotency_key.encode(), checkin.idempotency_key.encode()):
        raise CheckInClosed(
            "This form does not belong to this check-in. Please start again from the "
            "programme page.",
            code="tampered",
        )
    with transaction.atomic():
        locked = _lock_checkin(checkin, "participant", "participant__unit", "schedule__programme")
        if locked.status == CheckInStatus.SUBMITTED:
            # The same form sent twice (a double tap, a retry): nothing more to do.
            return locked
        participant = locked.participant
        _require_open(locked.schedule.programme)
        instruments = _schedule_instruments(locked.schedule)
        draft = read_draft(locked)
        missing = [i.short_title for i in instruments if i.code not in draft]
        if missing:
            raise ValidationError(
                "Some questionnaires are not answered yet: " + ", ".join(missing) + ".",
                code="incomplete",
            )
        expired = locked.period_start != periods.period_start(locked.schedule.frequency, today())
        # Every check that can fail is done: the decision recorded next is
        # the last word, committed whether it allows or refuses.
        allowed = not expired and _collecting(actor, participant, f"checkin:{locked.pk}", request)
        if allowed:
            _store_results(actor, locked, instruments, draft)
            return locked
        if expired:
            # Answers meant for a period that has ended would be counted in
            # the wrong week; they are unfinished collection, so they go.
            locked.delete()
    if expired:
        raise CheckInClosed(
            "This check-in was for a period that has ended, so its unfinished answers were "
            "thrown away. Start this period's check-in from the programme page.",
            code="period_ended",
        )
    # Refused: the refusal's audit entry committed with the block above.
    raise PermissionDenied(NOT_COLLECTING)


def _store_results(
    actor: Actor, locked: CheckIn, instruments: list[Instrument], draft: dict[str, dict[str, int]]
) -> None:
    """Score every answered instrument and store it; the caller holds the row lock."""
    participant = locked.participant
    day = today()
    wants_alert = consent_state(participant).safety_alert
    stored: list[StoredResponse] = []
    for instrument in instruments:
        answers = draft[instrument.code]
        result = score(instrument, answers)
        response = Response(
            checkin=locked,
            participant=participant,
            instrument=instrument.code,
            instrument_version=instrument.version,
            submitted_on=day,
            unit_id=participant.unit_id,
            shift_type_id=participant.shift_type_id,
            role_category=participant.role_category,
        )
        response.payload = _payload(instrument, answers, result)
        response.save(force_insert=True)
        stored.append(
            StoredResponse(
                response_id=str(response.pk),
                participant_id=participant.pk,
                organisation_id=participant.organisation_id,
                instrument=instrument.code,
                day=day,
                unit_id=participant.unit_id,
                shift_type_id=participant.shift_type_id,
                role_category=participant.role_category,
                total=result.total,
                band=result.band.code if result.band else None,
            )
        )
        if result.safety_signal and wants_alert:
            alert = SafetyAlert.objects.create(
                participant=participant, response=response, raised_on=day
            )
            # References only: the event names the alert, never the answer.
            audit_record(
                actor=_token_actor(actor, participant),
                event=EventType.SAFETY_ALERT_RAISED,
                target=f"participant:{participant.token}/alert:{alert.pk}",
                purpose=Purpose.SAFETY_EMERGENCY.value,
            )
            # The alert joins the follow-up queue (followup connects), in
            # the same transaction: a failure there refuses the check-in.
            SAFETY_ALERT_RAISED.emit(SafetyAlertRaised(actor=actor, alert=alert))
    # The aggregates (insights connects) move with the answers, in the same
    # transaction, so they never count a response that was not stored.
    RESPONSES_STORED.emit(ResponsesStored(responses=tuple(stored)))
    locked.status = CheckInStatus.SUBMITTED
    locked.submitted_on = day
    locked.draft = None
    locked.save(update_fields=["status", "submitted_on", "draft"])
    audit_record(
        actor=_token_actor(actor, participant),
        event=EventType.CHECKIN_SUBMITTED,
        target=f"participant:{participant.token}/checkin:{locked.pk}",
        purpose=_purpose(actor).value,
        # Which questionnaires, never what was answered: the trail outlives
        # erasure, so nothing clinical (not even "a safety signal") goes in.
        reason=f"{locked.schedule.slug}: {', '.join(i.key for i in instruments)}",
    )


def checkin_discard(*, actor: Actor, checkin: CheckIn, request: HttpRequest | None = None) -> None:
    """Throw away an unfinished check-in and its draft answers."""
    with transaction.atomic():
        locked = _lock_checkin(checkin, "participant")
        if locked.status != CheckInStatus.IN_PROGRESS:
            raise CheckInClosed(
                "A submitted check-in cannot be discarded; you can erase your data from "
                "My data instead.",
                code="already_submitted",
            )
        resource = participant_resource(locked.participant, f"checkin:{locked.pk}")
        allowed = can(actor, Action.DELETE, resource, _purpose(actor), request=request)
        if allowed:
            locked.delete()
    if not allowed:
        raise PermissionDenied("You cannot discard this check-in.")


DRAFT_DAYS = 7


def drafts_purge(*, actor: Actor, day: dt.date | None = None, dry_run: bool = False) -> int:
    """Delete unfinished check-ins older than a week or from a period that has ended.

    The notice promises that unfinished answers are kept for 7 days at most;
    this job keeps that promise. One audit entry with the count.
    """
    day = day or today()
    stale = CheckIn.objects.filter(status=CheckInStatus.IN_PROGRESS).filter(
        started_on__lt=day - dt.timedelta(days=DRAFT_DAYS)
    )
    ended = [
        c.pk
        for c in CheckIn.objects.filter(status=CheckInStatus.IN_PROGRESS).select_related("schedule")
        if c.period_start != periods.period_start(c.schedule.frequency, day)
    ]
    doomed = CheckIn.objects.filter(Q(pk__in=stale.values("pk")) | Q(pk__in=ended))
    count = doomed.count()
    if dry_run or not count:
        return count
    with transaction.atomic():
        doomed.delete()
        audit_record(
            actor=actor,
            event=EventType.RECORD_DELETE,
            target="checkins:unfinished",
            purpose=Purpose.SERVICE_ADMINISTRATION.value,
            reason=f"unfinished check-ins purged: {count}",
        )
    return count


def drafts_discard_all(*, participant: Participant) -> int:
    """Delete every unfinished check-in of a participant (on withdrawal); return how many."""
    deleted, _ = CheckIn.objects.filter(
        participant=participant, status=CheckInStatus.IN_PROGRESS
    ).delete()
    return deleted


def on_consent_withdrawn(event: ConsentWithdrawn) -> None:
    """Unfinished check-ins are collection in progress: they stop with the consent."""
    discarded = drafts_discard_all(participant=event.participant)
    if discarded:
        event.done.append(f"unfinished check-ins discarded: {discarded}")


def reminders_set(
    *, actor: Actor, participant: Participant, wanted: bool, request: HttpRequest | None = None
) -> bool:
    """Turn reminder e-mails on or off for the participant; return whether anything changed."""
    resource = participant_resource(participant, "reminders")
    action = Action.CREATE if wanted else Action.DELETE
    # Checked in its own transaction so a refusal's audit entry commits.
    # Turning reminders off must work even after leaving: it is not collection.
    if not can(actor, action, resource, _purpose(actor), request=request, consent_ok=True):
        raise PermissionDenied("You cannot change reminders for this participant.")
    with transaction.atomic():
        exists = ReminderOptOut.objects.filter(participant=participant).exists()
        if wanted and exists:
            ReminderOptOut.objects.filter(participant=participant).delete()
        elif not wanted and not exists:
            ReminderOptOut.objects.create(participant=participant, created_on=today())
        else:
            return False
        if not wanted:
            audit_record(
                actor=_token_actor(actor, participant),
                event=EventType.REMINDER_UNSUBSCRIBED,
                target=f"participant:{participant.token}",
                purpose=_purpose(actor).value,
            )
    return True
