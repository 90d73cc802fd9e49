"""A practice's year in bulk: sessions, notes, plans, scores and money, still sealed per client.

The demo's clients are taken in, assigned and supervised through the
practice's services (``wellkept.demo.practice``); what happened to them
over the year before the demo is written here at once. Every clinical
value is encrypted by the vault under the client's own data key and bound
to its table, row, field and subject, exactly as a service would store it
(the rows go through ``EncryptedTextField`` in ``bulk_create``), so the
pages read them back like any other. What it leaves out on purpose, as the
check-ins' bulk path does: a policy decision and an audit event per row. A
run is one ``data.seeded`` event with its counts instead; thousands of
invented sessions have nobody to be accountable to, and their audit
entries would bury the real ones.

The plan of the year (``Course``) is pure data drawn from a seeded random
generator, so every run writes the same practice.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.assessments.instruments import Instrument, get_instrument, score
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.demo.bulk.base import refuse_in_production
from wellkept.demo.bulk.casenotes import (
    GOALS,
    INTERVENTIONS,
    PLAN_OUTLINE,
    THEMES,
    WORRIES,
    session_sections,
)
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    Charge,
    ChargeKind,
    Client,
    Invoice,
    MeasureAlert,
    MeasureAssignment,
    MeasureResult,
    NoteStatus,
    Payment,
    PaymentMethod,
    PlanStatus,
    ProgressNote,
    Room,
    TreatmentPlan,
    VideoRoom,
)
from wellkept.practice.services import parse_outline, plan_digest, practice_zone
from wellkept.vault.fields import EncryptedTextField, Sealed
from wellkept.vault.services import encrypt_text

# How a past session went: mostly attended, as in a real practice.
OUTCOMES = (
    (AppointmentStatus.ATTENDED, 84),
    (AppointmentStatus.CANCELLED, 7),
    (AppointmentStatus.LATE_CANCELLED, 4),
    (AppointmentStatus.NO_SHOW, 5),
)
SESSION_MINUTES = 50
# A plan is reviewed (a new signed version) every twelve weeks.
REVIEW_WEEKS = 12
# Invoices go out on the first of the month for the month before; sessions
# of the last week are not charged yet, so billing's queue has work.
UNCHARGED_DAYS = 7
BATCH = 500

PRACTICE_SEEDED = "practice history seeded: "


@dataclass
class Course:
    """One client's year of care, as planned before a row is written."""

    client: Client
    therapist: User
    first_name: str
    legal_name: str
    start: dt.date
    end: dt.date | None  # the last session of a discharged client
    cadence: int  # days between sessions: 7 or 14
    weekday: int
    hour: int
    room: Room | None
    style: str  # the therapist's usual note template
    diagnosis: str
    insured: bool
    trajectory: str  # "improving", "flat" or "worse"
    cosign: bool  # written by a trainee under supervision
    alert: bool = False  # one PHQ-9 in the year answers item 9 above 0
    client_signs: bool = False
    behind: bool = False  # the last invoices are not paid yet
    series: bool = False  # the weeks ahead are a series booked through the service


@dataclass
class PracticeCounts:
    appointments: int = 0
    notes: int = 0
    plans: int = 0
    results: int = 0
    alerts: int = 0
    charges: int = 0
    invoices: int = 0
    payments: int = 0

    def describe(self) -> str:
        return ", ".join(f"{value} {name}" for name, value in vars(self).items())


@dataclass
class _Rows:
    appointments: list[Appointment] = field(default_factory=list)
    notes: list[ProgressNote] = field(default_factory=list)
    plans: list[TreatmentPlan] = field(default_factory=list)
    assignments: list[MeasureAssignment] = field(default_factory=list)
    results: list[MeasureResult] = field(default_factory=list)
    alerts: list[MeasureAlert] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    charges: list[Charge] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)


def _seal(instance: Model, name: str, text: str) -> None:
    """Encrypt ``text`` into the instance's field now, bound exactly as the field binds it.

    Sealed here, before the insert's transaction, because the vault caches a
    data key only once a transaction commits: inside one, every value would
    look its key up again. ``pre_save`` leaves a value already sealed alone.
    """
    field = instance._meta.get_field(name)
    assert isinstance(field, EncryptedTextField)  # noqa: S101 - a programming error otherwise
    sealed = Sealed(encrypt_text(text, binding=field.binding_for(instance)))
    sealed.plaintext = text
    instance.__dict__[field.attname] = sealed


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=practice_zone())


def session_days(course: Course, until: dt.date) -> list[dt.date]:
    """The days the client was booked, from intake to ``until`` (or their last session)."""
    last = min(until, course.end) if course.end else until
    days = []
    day = course.start
    while day <= last:
        days.append(day)
        day += dt.timedelta(days=course.cadence)
    return days


# ---- scores ---------------------------------------------------------------------------


def _answers(
    rng: random.Random, instrument: Instrument, total: int, *, safety: int = 0
) -> dict[str, int | None]:
    """Item answers adding up to ``total``, spread at random; safety items answered ``safety``."""
    items = [i.id for i in instrument.items]
    safety_items = set(instrument.safety_item_ids)
    answers: dict[str, int | None] = dict.fromkeys(items, 0)
    for item in safety_items:
        answers[item] = safety
    rest = max(0, total - safety * len(safety_items))
    free = [i for i in items if i not in safety_items]
    while rest > 0:
        open_items = [i for i in free if (answers[i] or 0) < 3]
        if not open_items:
            break
        item = rng.choice(open_items)
        answers[item] = (answers[item] or 0) + 1
        rest -= 1
    return answers


def _trajectory(rng: random.Random, kind: str, baseline: float, step: int) -> float:
    """Where a score is after ``step`` fortnights: most improve, some stay, a few worsen."""
    target = {"improving": 0.35, "flat": 1.0, "worse": 1.3}[kind] * baseline
    return target + (baseline - target) * math.exp(-step / 4) + rng.gauss(0, 1.2)


# ---- the year -------------------------------------------------------------------------


class PracticeYear:
    """A practice's year drawn and sealed in memory, ready to insert."""

    def __init__(
        self,
        *,
        organisation: Organisation,
        supervisor: User,
        fees: dict[str, int],
        late_fee: int,
        currency: str,
        rng: random.Random,
    ) -> None:
        self.organisation = organisation
        self.supervisor = supervisor
        self.fees = fees
        self.late_fee = late_fee
        self.currency = currency
        self.rng = rng
        self.zone = practice_zone()
        self.now = clock.now()
        self.today = self.now.astimezone(self.zone).date()
        self.rows = _Rows()
        self.phq9 = get_instrument("phq9")
        self.gad7 = get_instrument("gad7")
        # Measures a client was given before the history (the portal demo
        # client's due PHQ-9): the history leaves those instruments alone.
        self.assigned = set(
            MeasureAssignment.objects.filter(
                client__organisation=organisation, ended_at__isnull=True
            ).values_list("client_id", "instrument")
        )
        self.invoice_number = 0

    def course(self, course: Course) -> None:
        rng = self.rng
        yesterday = self.today - dt.timedelta(days=1)
        days = session_days(course, yesterday)
        attended: list[tuple[dt.date, Appointment]] = []
        charged: list[Charge] = []
        for number, day in enumerate(days):
            start = _at(day, course.hour)
            # The intake and the last session of a finished course took place.
            status = (
                AppointmentStatus.ATTENDED
                if number == 0 or (course.end is not None and day == days[-1])
                else rng.choices([s for s, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
            )
            appointment = self._appointment(course, start, status, booked=day - dt.timedelta(7))
            if status == AppointmentStatus.ATTENDED:
                attended.append((day, appointment))
            if status in (AppointmentStatus.ATTENDED, AppointmentStatus.LATE_CANCELLED) and (
                (self.today - day).days > UNCHARGED_DAYS
            ):
                code = "90791" if number == 0 else ("90837" if course.cadence == 14 else "90834")
                late = status == AppointmentStatus.LATE_CANCELLED
                charged.append(self._charge(course, appointment, day, None if late else code))
        if course.end is None and not course.series:
            self._upcoming(course)
        self._notes(course, attended)
        self._plans(course, [d for d, _ in attended])
        self._measures(course, [d for d, _ in attended])
        self._bill(course, charged)

    def _appointment(
        self, course: Course, start: dt.datetime, status: str, *, booked: dt.date
    ) -> Appointment:
        appointment = Appointment(
            id=uuid.uuid4(),
            organisation=self.organisation,
            client=course.client,
            therapist=course.therapist,
            start=start,
            end=start + dt.timedelta(minutes=SESSION_MINUTES),
            room=course.room,
            telehealth=course.room is None,
            status=status,
            created_at=min(_at(max(booked, course.start - dt.timedelta(7)), 10), self.now),
        )
        self.rows.appointments.append(appointment)
        return appointment

    def _upcoming(self, course: Course) -> None:
        """Book the client's sessions of the coming week, if their cadence falls in it."""
        day = course.start
        step = dt.timedelta(days=course.cadence)
        tomorrow = self.today + dt.timedelta(days=1)
        while day < tomorrow:
            day += step
        if day < tomorrow + dt.timedelta(days=7):
            self._appointment(course, _at(day, course.hour), AppointmentStatus.BOOKED, booked=day)

    def _notes(self, course: Course, attended: list[tuple[dt.date, Appointment]]) -> None:
        rng = self.rng
        last = len(attended) - 1
        for number, (day, _appointment) in enumerate(attended):
            if number == 0:
                template = "intake"
            elif course.end is not None and number == last:
                template = "discharge"
            else:
                # Mostly the therapist's own style, now and then another.
                template = course.style if rng.random() < 0.8 else rng.choice(("soap", "dap"))
            signed = _at(day, 17, rng.randint(0, 59))
            note = ProgressNote(
                id=uuid.uuid4(),
                client=course.client,
                author=course.therapist,
                template_code=template,
                template_version="1.0",
                service_date=day,
                created_at=_at(day, course.hour, 55),
                updated_at=signed,
                signed_at=signed,
                cosign_required=course.cosign,
            )
            _seal(note, "sections", json.dumps(session_sections(rng, template, course, number + 1)))
            _seal(note, "diagnosis_codes", course.diagnosis)
            _seal(
                note,
                "service_codes",
                "90791" if number == 0 else ("90837" if course.cadence == 14 else "90834"),
            )
            # The trainee's latest note of a client in care still waits for
            # the supervisor's co-signature.
            waiting = course.cosign and course.end is None and number == last
            if waiting:
                note.status = NoteStatus.SIGNED
            else:
                note.status = NoteStatus.LOCKED
                note.locked_at = signed + dt.timedelta(days=1 if course.cosign else 0)
                if course.cosign:
                    note.cosigned_by = self.supervisor
                    note.cosigned_at = note.locked_at
            self.rows.notes.append(note)

    def _plans(self, course: Course, attended: list[dt.date]) -> None:
        """A plan from the second session, a new version at each twelve-week review."""
        if len(attended) < 2:
            return
        rng = self.rng
        theme, worry = rng.choice(THEMES), rng.choice(WORRIES)
        method, goal = rng.choice(INTERVENTIONS), rng.choice(GOALS)
        reviews = [attended[1]]
        for day in attended[2:]:
            if (day - reviews[-1]).days >= 7 * REVIEW_WEEKS:
                reviews.append(day)
        versions: list[TreatmentPlan] = []
        for version, day in enumerate(reviews, start=1):
            signed = _at(day, 17, 30)
            review = day + dt.timedelta(weeks=REVIEW_WEEKS)
            plan = TreatmentPlan(
                id=uuid.uuid4(),
                client=course.client,
                version=version,
                author=course.therapist,
                status=PlanStatus.ACTIVE,
                review_date=review,
                created_at=_at(day, course.hour, 50),
                updated_at=signed,
                signed_at=signed,
            )
            outline = PLAN_OUTLINE.format(
                first=course.first_name,
                theme=theme,
                worry=worry,
                goal=goal if version == 1 else f"{goal} (reviewed, version {version})",
                method=method,
                by=review.isoformat(),
            )
            _seal(plan, "content", json.dumps(_parse(outline)))
            if versions:
                versions[-1].status = PlanStatus.SUPERSEDED
                versions[-1].superseded_at = signed
            versions.append(plan)
        active = versions[-1]
        if course.end is not None:
            active.status = PlanStatus.CLOSED
            active.closed_at = _at(course.end, 18)
        elif course.client_signs:
            signature = {
                "name": course.legal_name,
                "date": reviews[-1].isoformat(),
                "digest": plan_digest(active),
            }
            _seal(active, "client_signature", json.dumps(signature))
            active.client_signed_at = active.signed_at
        self.rows.plans.extend(versions)

    def _measures(self, course: Course, attended: list[dt.date]) -> None:
        """PHQ-9 and GAD-7 at intake and every other session after, on a trajectory."""
        rng = self.rng
        given = [
            i for i in (self.phq9, self.gad7) if (course.client.pk, i.code) not in self.assigned
        ]
        for instrument in given:
            self.rows.assignments.append(
                MeasureAssignment(
                    id=uuid.uuid4(),
                    client=course.client,
                    instrument=instrument.code,
                    every_weeks=2,
                    assigned_by=course.therapist,
                    assigned_at=_at(course.start, course.hour, 45),
                )
            )
        days = attended[::2] if course.cadence == 7 else attended
        baseline = {"phq9": rng.uniform(9, 19), "gad7": rng.uniform(8, 16)}
        # The client with the alert answered item 9 at their latest PHQ-9.
        alert_at = len(days) - 1 if course.alert else -1
        for step, day in enumerate(days):
            for instrument in given:
                top = 3 * len(instrument.items)
                total = _trajectory(rng, course.trajectory, baseline[instrument.code], step)
                wanted = max(0, min(top, round(total)))
                safety = 1 if instrument is self.phq9 and step == alert_at else 0
                answers = _answers(rng, instrument, wanted, safety=safety)
                scored = score(instrument, answers)
                result = MeasureResult(
                    id=uuid.uuid4(),
                    client=course.client,
                    instrument_key=instrument.key,
                    administered_on=day,
                    recorded_by=course.therapist,
                    recorded_at=_at(day, course.hour, 10),
                )
                stored = {
                    "answers": {k: v for k, v in answers.items() if v is not None},
                    "total": scored.total,
                    "band": scored.band.code if scored.band else "",
                    "safety": scored.safety_signal,
                }
                _seal(result, "result", json.dumps(stored))
                self.rows.results.append(result)
                if scored.safety_signal:
                    self.rows.alerts.append(
                        MeasureAlert(
                            id=uuid.uuid4(),
                            client=course.client,
                            result=result,
                            therapist=course.therapist,
                            raised_at=result.recorded_at,
                        )
                    )

    def _charge(
        self, course: Course, appointment: Appointment, day: dt.date, code: str | None
    ) -> Charge:
        charge = Charge(
            id=uuid.uuid4(),
            organisation=self.organisation,
            client=course.client,
            kind=ChargeKind.SESSION,
            appointment=appointment,
            service_date=day,
            amount=self.fees[code] if code else self.late_fee,
            currency=self.currency,
            created_at=_at(day + dt.timedelta(days=1), 9),
        )
        _seal(charge, "service_code", code or "")
        return charge

    def _bill(self, course: Course, charges: list[Charge]) -> None:
        """Invoice each past month's charges on the first; most invoices are paid."""
        rng = self.rng
        by_month: dict[tuple[int, int], list[Charge]] = {}
        for charge in charges:
            by_month.setdefault((charge.service_date.year, charge.service_date.month), []).append(
                charge
            )
        this_month = (self.today.year, self.today.month)
        months = sorted(m for m in by_month if m < this_month)
        for position, month in enumerate(months):
            lines = by_month[month]
            year, number = month
            issued_on = dt.date(year + number // 12, number % 12 + 1, 1)
            invoice = Invoice(
                id=uuid.uuid4(),
                organisation=self.organisation,
                client=course.client,
                number=0,  # numbered in date order once every client's are known
                total=sum(line.amount for line in lines),
                currency=self.currency,
                issued_at=_at(issued_on, 8),
            )
            for line in lines:
                line.invoice = invoice
            self.rows.invoices.append(invoice)
            unpaid = course.behind and position >= len(months) - 2
            if unpaid:
                continue
            paid_on = issued_on + dt.timedelta(days=rng.randint(3, 30 if course.insured else 12))
            if paid_on > self.today:
                continue
            amount = invoice.total
            if course.behind and position == len(months) - 3:
                amount = max(1, amount // 2)  # part-paid, the rest still owed
            payment = Payment(
                id=uuid.uuid4(),
                organisation=self.organisation,
                client=course.client,
                amount=amount,
                currency=self.currency,
                method=PaymentMethod.INSURANCE
                if course.insured
                else rng.choice((PaymentMethod.CARD, PaymentMethod.TRANSFER, PaymentMethod.CASH)),
                received_on=paid_on,
                recorded_at=_at(paid_on, 12),
            )
            _seal(payment, "reference", f"DEMO-{rng.randint(1000, 9999)}")
            self.rows.payments.append(payment)
        self.rows.charges.extend(charges)

    def write(self) -> PracticeCounts:
        rows = self.rows
        # Invoice numbers run per practice in the order they went out.
        for number, invoice in enumerate(
            sorted(rows.invoices, key=lambda i: (i.issued_at, str(i.client_id))), start=1
        ):
            invoice.number = number
        for model, objects in (
            (Appointment, rows.appointments),
            # Each video appointment has its random room, as one booked by hand.
            (VideoRoom, [VideoRoom(appointment=a) for a in rows.appointments if a.telehealth]),
            (ProgressNote, rows.notes),
            (TreatmentPlan, rows.plans),
            (MeasureAssignment, rows.assignments),
            (MeasureResult, rows.results),
            (MeasureAlert, rows.alerts),
            (Invoice, rows.invoices),
            (Charge, rows.charges),
            (Payment, rows.payments),
        ):
            _create(model, objects)
        return PracticeCounts(
            appointments=len(rows.appointments),
            notes=len(rows.notes),
            plans=len(rows.plans),
            results=len(rows.results),
            alerts=len(rows.alerts),
            charges=len(rows.charges),
            invoices=len(rows.invoices),
            payments=len(rows.payments),
        )


def _parse(outline: str) -> list[dict[str, Any]]:
    # Through the plans service's own parser: the stored shape is the one a
    # therapist's typed outline gets.
    return list(parse_outline(outline))


def _create(model: type[Model], objects: list[Any]) -> None:
    # bulk_create runs every field's pre_save: EncryptedTextField seals each
    # value there, bound to the row's own id and the client's key.
    model._default_manager.bulk_create(objects, batch_size=BATCH)


def plan_practice_year(
    *,
    organisation: Organisation,
    courses: list[Course],
    supervisor: User,
    fees: dict[str, int],
    late_fee: int,
    currency: str,
    rng: random.Random,
) -> PracticeYear:
    """Draw and seal each course's past sessions, notes, plans, scores and money; write nothing.

    Call it outside a transaction (see ``_seal``); ``write_practice_year``
    then inserts it all in the caller's transaction.
    """
    refuse_in_production()
    year = PracticeYear(
        organisation=organisation,
        supervisor=supervisor,
        fees=fees,
        late_fee=late_fee,
        currency=currency,
        rng=rng,
    )
    for course in courses:
        year.course(course)
    return year


def write_practice_year(
    *, actor: SystemActor, organisation: Organisation, year: PracticeYear
) -> PracticeCounts:
    """Insert a planned year at once and record it as one ``data.seeded`` event."""
    counts = year.write()
    audit_record(
        actor=actor,
        event=EventType.DATA_SEEDED,
        target=f"organisation:{organisation.pk}",
        reason=f"{PRACTICE_SEEDED}{counts.describe()}",
    )
    return counts
