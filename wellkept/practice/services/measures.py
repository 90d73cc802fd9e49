"""Writes of measurement-based care: assigning instruments and recording answers in session.

Each service asks the policy first (one audited decision on the client's
clinical record) and records its own audit event in the same transaction.
Answers are scored by the instrument's published rules
(``assessments.instruments``) and stored, with the score, only as
ciphertext under the client's key.

An answer on a safety item (PHQ-9 item 9 above "not at all") alerts each of
the client's therapists at once: an audited in-app alert, and, after the
transaction commits, an e-mail saying only that a measure needs attention,
with the client's code. The page that recorded it shows crisis resources.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
import smtplib
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource
from wellkept.accounts.models import readable_email
from wellkept.actors import Actor, person
from wellkept.assessments.instruments import (
    Instrument,
    InvalidAnswers,
    UnknownInstrument,
    check_answers,
    get_instrument,
    score,
)
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.practice.models import (
    MAX_EVERY_WEEKS,
    Client,
    ClientAssignment,
    MeasureAlert,
    MeasureAssignment,
    MeasureResult,
)
from wellkept.practice.scopes import measure_resource
from wellkept.practice.services.deciding import today as _today

logger = logging.getLogger(__name__)

PURPOSE = Purpose.CLINICAL_CARE
# The instruments a practice assigns; the single-item burnout measure is the
# wellbeing programme's and has no place in a client's record.
PRACTICE_INSTRUMENTS = ("phq9", "gad7", "who5", "phq2")
ALERT_SUBJECT = "A measure needs your attention"
ALERT_BODY = """\
Hello,

A measure of client {code} needs your attention.

Open the client's measures in Wellkept.
"""


def _allow(actor: Actor, client: Client, reference: str, request: HttpRequest | None) -> None:
    if not can(actor, Action.UPDATE, measure_resource(client, reference), PURPOSE, request=request):
        raise PermissionDenied("You may not change this client's measures.")


def _works_with(actor: Actor, client: Client) -> None:
    if not ClientAssignment.objects.filter(
        client=client, therapist=person(actor), until__isnull=True
    ).exists():
        raise PermissionDenied("Only a therapist working with this client records measures.")


def practice_instrument(code: str) -> Instrument:
    """The current version of one of the practice's instruments, or a clear ValidationError."""
    if code not in PRACTICE_INSTRUMENTS:
        raise ValidationError({"instrument": "Choose one of the measures in the list."})
    try:
        return get_instrument(code)
    except UnknownInstrument:
        raise ValidationError({"instrument": "Choose one of the measures in the list."}) from None


def measure_assign(
    *,
    actor: Actor,
    client: Client,
    instrument: str,
    every_weeks: int | None,
    request: HttpRequest | None = None,
) -> MeasureAssignment:
    """Assign an instrument to the client, once (``every_weeks`` None) or every N weeks."""
    _allow(actor, client, "measure-assignment:new", request)
    _works_with(actor, client)
    chosen = practice_instrument(instrument)
    if every_weeks is not None and not 1 <= every_weeks <= MAX_EVERY_WEEKS:
        raise ValidationError(
            {"every_weeks": f"Repeat every 1 to {MAX_EVERY_WEEKS} weeks, or leave it empty."}
        )
    try:
        with transaction.atomic():
            assignment = MeasureAssignment.objects.create(
                client=client,
                instrument=chosen.code,
                every_weeks=every_weeks,
                assigned_by=person(actor),
            )
            audit_record(
                actor=actor,
                event=EventType.PRACTICE_MEASURE_ASSIGNED,
                target=f"client:{client.pk}/measure-assignment:{assignment.pk}",
                purpose=PURPOSE.value,
                reason=f"{chosen.code} "
                + (f"every {every_weeks} weeks" if every_weeks else "once"),
                request=request,
            )
    except IntegrityError:
        raise ValidationError(
            {"instrument": f"The {chosen.short_title} is already assigned to this client."}
        ) from None
    return assignment


def measure_assignment_end(
    *, actor: Actor, assignment: MeasureAssignment, request: HttpRequest | None = None
) -> MeasureAssignment:
    """End an assignment: the instrument is no longer due; the assignment stays, as ended."""
    client = assignment.client
    _allow(actor, client, f"measure-assignment:{assignment.pk}", request)
    _works_with(actor, client)
    with transaction.atomic():
        locked = lock_rows(MeasureAssignment.objects.all()).get(pk=assignment.pk)
        if locked.ended_at is not None:
            raise ValidationError(
                f"This assignment was ended already, on {locked.ended_at.date().isoformat()}.",
                code="ended",
            )
        locked.ended_at = clock.now()
        locked.ended_by = person(actor)
        locked.save(update_fields=["ended_at", "ended_by"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_MEASURE_ASSIGNMENT_ENDED,
            target=f"client:{client.pk}/measure-assignment:{locked.pk}",
            purpose=PURPOSE.value,
            reason=locked.instrument,
            request=request,
        )
    return locked


def measure_alert_acknowledge(
    *, actor: Actor, alert: MeasureAlert, request: HttpRequest | None = None
) -> MeasureAlert:
    """Mark one's own alert seen: who and when are kept; it leaves the practice home."""
    client = alert.client
    _allow(actor, client, f"measure-alert:{alert.pk}", request)
    # An alert is its therapist's: a colleague on the same client has their own.
    if person(actor).pk != alert.therapist_id:
        raise PermissionDenied("Only the therapist alerted acknowledges this alert.")
    with transaction.atomic():
        locked = lock_rows(MeasureAlert.objects.all()).get(pk=alert.pk)
        if locked.acknowledged_at is not None:
            raise ValidationError(
                "This alert was acknowledged already, on "
                f"{locked.acknowledged_at.date().isoformat()}.",
                code="acknowledged",
            )
        locked.acknowledged_at = clock.now()
        locked.acknowledged_by = person(actor)
        locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_MEASURE_ALERT_ACKNOWLEDGED,
            target=f"client:{client.pk}/measure-alert:{locked.pk}",
            purpose=PURPOSE.value,
            request=request,
        )
    return locked


def measure_record(
    *,
    actor: Actor,
    client: Client,
    instrument: str,
    answers: Mapping[str, int | None],
    administered_on: dt.date,
    request: HttpRequest | None = None,
) -> MeasureResult:
    """Record the client's answers given in session; a safety answer alerts their therapists."""
    _allow(actor, client, "measure:new", request)
    _works_with(actor, client)
    chosen = practice_instrument(instrument)
    if administered_on > _today():
        raise ValidationError({"administered_on": "The date cannot be in the future."})
    problems = check_answers(chosen, {k: v for k, v in answers.items() if v is not None})
    if problems:
        raise ValidationError(problems)
    try:
        scored = score(chosen, answers)
    except InvalidAnswers as exc:
        raise ValidationError(exc.errors) from None
    with transaction.atomic():
        result = MeasureResult(
            client=client,
            instrument_key=chosen.key,
            administered_on=administered_on,
            recorded_by=person(actor),
        )
        result.result = json.dumps(
            {
                "answers": {k: v for k, v in answers.items() if v is not None},
                "total": scored.total,
                "band": scored.band.code if scored.band else "",
                "safety": scored.safety_signal,
            }
        )
        result.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_MEASURE_RECORDED,
            target=f"client:{client.pk}/measure:{result.pk}",
            purpose=PURPOSE.value,
            reason=f"{chosen.key} in session",
            request=request,
        )
        if scored.safety_signal:
            _alert_therapists(actor, client, result, request)
    return result


def measure_due(assignment: MeasureAssignment, last: dt.date | None) -> bool:
    """Whether a running assignment is due today, given the last time it was answered."""
    if assignment.ended_at is not None:
        return False
    if last is None:
        return assignment.assigned_at.astimezone(dt.UTC).date() <= _today()
    if not assignment.every_weeks:
        return False
    return last + dt.timedelta(weeks=assignment.every_weeks) <= _today()


def measure_submit_by_client(
    *,
    actor: Actor,
    client: Client,
    instrument: str,
    answers: Mapping[str, int | None],
    own_portal: Resource,
    request: HttpRequest | None = None,
) -> MeasureResult:
    """Record the client's own answers to a due measure, given in the portal; audited.

    ``own_portal`` is the client's own portal resource, decided for
    self-service: a client never holds the therapist's measures. Scored as
    ``measure_record`` scores; a safety answer alerts the therapists.
    """
    if not own_portal.reference.startswith(f"client:{client.pk}/"):
        raise PermissionDenied("You may not answer for this client.")
    if not can(actor, Action.CREATE, own_portal, Purpose.SELF_SERVICE, request=request):
        raise PermissionDenied("You may not answer this questionnaire.")
    chosen = practice_instrument(instrument)
    assignment = MeasureAssignment.objects.filter(
        client=client, instrument=chosen.code, ended_at__isnull=True
    ).first()
    last = (
        MeasureResult.objects.filter(client=client, instrument_key__startswith=f"{chosen.code}@")
        .order_by("-administered_on")
        .values_list("administered_on", flat=True)
        .first()
    )
    if assignment is None or not measure_due(assignment, last):
        raise ValidationError("This questionnaire is not due now.", code="not_due")
    problems = check_answers(chosen, {k: v for k, v in answers.items() if v is not None})
    if problems:
        raise ValidationError(problems)
    try:
        scored = score(chosen, answers)
    except InvalidAnswers as exc:
        raise ValidationError(exc.errors) from None
    with transaction.atomic():
        result = MeasureResult(
            client=client,
            instrument_key=chosen.key,
            administered_on=_today(),
            recorded_by=person(actor),
        )
        result.result = json.dumps(
            {
                "answers": {k: v for k, v in answers.items() if v is not None},
                "total": scored.total,
                "band": scored.band.code if scored.band else "",
                "safety": scored.safety_signal,
            }
        )
        result.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_MEASURE_RECORDED,
            target=f"client:{client.pk}/measure:{result.pk}",
            purpose=Purpose.SELF_SERVICE.value,
            reason=f"{chosen.key} answered in the portal",
            request=request,
        )
        if scored.safety_signal:
            _alert_therapists(actor, client, result, request)
    return result


def _alert_therapists(
    actor: Actor, client: Client, result: MeasureResult, request: HttpRequest | None
) -> None:
    therapists = [
        a.therapist
        for a in ClientAssignment.objects.filter(client=client, until__isnull=True).select_related(
            "therapist"
        )
    ]
    for therapist in therapists:
        alert = MeasureAlert.objects.create(client=client, result=result, therapist=therapist)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_MEASURE_ALERT_RAISED,
            target=f"client:{client.pk}/measure-alert:{alert.pk}",
            purpose=PURPOSE.value,
            reason=f"therapist:{therapist.pk}",
            request=request,
        )
        address = readable_email(therapist)
        if address:
            # After commit: a result rolled back alerts nobody.
            transaction.on_commit(functools.partial(_alert_email, to=address, code=client.code))


def alert_text(code: str) -> tuple[str, str]:
    """The subject and body of a measure alert: the client's code, nothing else."""
    return ALERT_SUBJECT, ALERT_BODY.format(code=code)


def _alert_email(*, to: str, code: str) -> None:
    subject, body = alert_text(code)
    message = EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"Auto-Submitted": "auto-generated"},
    )
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as exc:
        # Never the address or the code: the in-app alert is the record.
        logger.warning("measure alert e-mail not sent (%s)", exc.__class__.__name__)
