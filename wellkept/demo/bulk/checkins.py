"""The bulk path: a batch of people's check-ins drawn, scored, encrypted, then inserted at once."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Model

from wellkept.actors import SystemActor
from wellkept.assessments import periods
from wellkept.assessments.instruments import Instrument, UnknownInstrument, get_instrument, score
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
    Frequency,
    Programme,
    Response,
    SafetyAlert,
    Schedule,
    new_idempotency_key,
    today,
)
from wellkept.assessments.services import _payload
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.consent.models import ConsentRecord, Notice
from wellkept.consent.selectors import current_notice
from wellkept.demo.bulk.base import SEED_ACTOR, SeedError, refuse_in_production
from wellkept.demo.bulk.model import (
    ROLE_EFFECT,
    SHIFT_EFFECT,
    Person,
    answers_for,
    season_effect,
    unit_effect,
)
from wellkept.insights.store import rebuild
from wellkept.orgs.models import Organisation, Participant, RoleCategory, ShiftType, Unit
from wellkept.vault.services import Binding, datakey_get_or_create, encrypt_text

# Responses per transaction. Large enough that the commit (an fsync with
# synchronous=FULL) is a small share of the time, small enough that a batch
# stays well inside the data-key cache's lifetime and a few megabytes.
BATCH_RESPONSES = 10_000


# --- Scoring once per distinct answer set -------------------------------------------


class _Scorer:
    """Score and format payloads, reusing the work for answer sets seen before.

    A weekly pulse has 80 possible answer sets, and monthly ones repeat too.
    The payload text of an answer set is always the same (its ciphertext is
    not: every encryption draws its own nonce), so caching the text is safe.
    """

    LIMIT = 200_000

    def __init__(self) -> None:
        self._cache: dict[tuple[str, tuple[int, ...]], tuple[str, bool]] = {}

    def payload(self, instrument: Instrument, answers: dict[str, int]) -> tuple[str, bool]:
        key = (instrument.key, tuple(answers.values()))
        found = self._cache.get(key)
        if found is None:
            result = score(instrument, answers)
            found = (_payload(instrument, answers, result), result.safety_signal)
            if len(self._cache) >= self.LIMIT:
                self._cache.clear()
            self._cache[key] = found
        return found


# --- Check-ins ----------------------------------------------------------------------


@dataclass
class SeedCounts:
    """What a run created."""

    participants: int = 0
    skipped: int = 0
    checkins: int = 0
    responses: int = 0
    safety_signals: int = 0
    alerts: int = 0
    seconds: float = 0.0

    @property
    def responses_per_second(self) -> float:
        return self.responses / self.seconds if self.seconds > 0 else 0.0

    def describe(self) -> str:
        skipped = f" ({self.skipped} without consent skipped)" if self.skipped else ""
        return (
            f"{self.checkins} check-ins, {self.responses} responses, {self.alerts} safety "
            f"alerts for {self.participants} participants{skipped}"
        )


# Most people answer early in the week, after the Monday reminder.
WEEKDAY_WEIGHTS = (30, 20, 15, 12, 10, 7, 6)


@dataclass(frozen=True)
class _Occasion:
    """One period of one schedule inside the window, and the days it may be answered on."""

    schedule: Schedule
    instruments: tuple[Instrument, ...]
    period_start: dt.date
    days: tuple[dt.date, ...]
    cum_weights: tuple[int, ...]


def _occasions(schedules: list[Schedule], first_day: dt.date, end: dt.date) -> list[_Occasion]:
    """Return every schedule's periods overlapping [first_day, end], in time order."""
    found: list[_Occasion] = []
    for schedule in schedules:
        instruments = tuple(get_instrument(code) for code in schedule.instruments)
        start = periods.period_start(schedule.frequency, first_day)
        while start <= end:
            following = periods.next_period_start(schedule.frequency, start)
            first, last = max(start, first_day), min(following - dt.timedelta(days=1), end)
            days = tuple(first + dt.timedelta(days=n) for n in range((last - first).days + 1))
            span = max(len(days) // 7, 1)
            weights = [WEEKDAY_WEIGHTS[min(n // span, 6)] for n in range(len(days))]
            cumulative = tuple(sum(weights[: n + 1]) for n in range(len(weights)))
            found.append(_Occasion(schedule, instruments, start, days, cumulative))
            start = following
    found.sort(key=lambda o: (o.days[0], o.schedule.position))
    return found


def _collect_consents(participant_ids: list[Any], notice: Notice | None) -> dict[Any, bool]:
    """Return participant id -> safety-alert choice, for those who may be collected from now.

    ConsentState's rule for a whole batch in one query: the latest decision
    (highest sequence) counts, and only a consent to take part given to the
    current notice.
    """
    if notice is None:
        return {}
    latest: dict[Any, tuple[Any, bool, bool]] = {}
    rows = (
        ConsentRecord.objects.filter(participant_id__in=participant_ids)
        .order_by("participant_id", "sequence")
        .values_list("participant_id", "notice_id", "take_part", "safety_alert")
    )
    for participant_id, notice_id, take_part, safety_alert in rows:
        latest[participant_id] = (notice_id, take_part, safety_alert)
    return {
        pid: safety_alert
        for pid, (notice_id, take_part, safety_alert) in latest.items()
        if take_part and notice_id == notice.pk
    }


def payload_binding(response_id: uuid.UUID, participant: Participant) -> Binding:
    """Return the binding ``Response.payload`` gives a row: table, row id, field, subject."""
    return Binding(
        label=Response._meta.label_lower,
        row=str(response_id),
        field="payload",
        subject=participant.dek_subject,
    )


CHECKIN_COLUMNS = (
    "id", "participant_id", "schedule_id", "period_start", "status", "idempotency_key",
    "started_on", "submitted_on", "draft",
)  # fmt: skip
RESPONSE_COLUMNS = (
    "id", "checkin_id", "participant_id", "instrument", "instrument_version", "payload",
    "submitted_on", "unit_id", "shift_type_id", "role_category",
)  # fmt: skip
ALERT_COLUMNS = ("id", "participant_id", "response_id", "raised_on")


def _insert(model: type[Model], columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert rows already in the database's representation, with one executemany.

    What bulk_create does, minus its per-value work: it runs every value of
    every row through its field, which measured three quarters of a seed's
    time. Here values go through the same field methods once each, repeated
    ones (people, units, days) once per run (see _Prep), and ciphertexts
    come from the vault. Constraints, foreign keys and triggers apply as for
    any insert.
    """
    if not rows:
        return
    opts = model._meta
    stored_as = {f.attname: f.column for f in opts.concrete_fields}
    unknown = set(stored_as) - set(columns)
    if unknown:
        # A field added to the model later must be filled here on purpose,
        # not left to a database default (or, for an encrypted one, in clear).
        raise SeedError(
            f"{opts.label} has fields the seeding does not fill: {', '.join(sorted(unknown))}. "
            "Add them to wellkept/demo/bulk/checkins.py."
        )
    quote = connection.ops.quote_name
    names = ", ".join(quote(stored_as[column]) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    # Table and column names come from the model's metadata; values are parameters.
    sql = f"INSERT INTO {quote(opts.db_table)} ({names}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


class _Prep:
    """Values in the database's representation, converted by the model fields themselves."""

    def __init__(self) -> None:
        # The connection itself, not the per-thread proxy: it is asked for
        # every value, and the proxy's lookup costs more than the conversion.
        self.db = connections[DEFAULT_DB_ALIAS]
        self._uuid_field = Response._meta.get_field("id")
        self._date_field = Response._meta.get_field("submitted_on")
        self._days: dict[dt.date, Any] = {}

    def uuid(self, value: uuid.UUID) -> Any:
        return self._uuid_field.get_db_prep_save(value, self.db)

    def day(self, value: dt.date) -> Any:
        found = self._days.get(value)
        if found is None:
            found = self._days[value] = self._date_field.get_db_prep_save(value, self.db)
        return found


@dataclass
class _Rows:
    checkins: list[tuple[Any, ...]] = field(default_factory=list)
    responses: list[tuple[Any, ...]] = field(default_factory=list)
    alerts: list[tuple[Any, ...]] = field(default_factory=list)
    signals: int = 0


class _Seeder:
    """One run of seed_checkins: the organisation's context and the people's answers."""

    def __init__(
        self,
        organisation: Organisation,
        schedules: list[Schedule],
        first_day: dt.date,
        end: dt.date,
        rng: random.Random,
        from_enrolment: bool = False,
    ) -> None:
        self.rng = rng
        self.first_day = first_day
        self.from_enrolment = from_enrolment
        self.schedules = schedules
        self.occasions = _occasions(schedules, first_day, end)
        self.seasons = {day: season_effect(day) for o in self.occasions for day in o.days}
        paths = dict(Unit.objects.filter(organisation=organisation).values_list("pk", "path"))
        ordered = sorted(paths, key=paths.__getitem__)
        # Each unit its own participation rate and a little of its own climate.
        self.unit_rates = {pk: 0.55 + 0.20 * rng.random() for pk in ordered}
        self.unit_work = {pk: unit_effect(paths[pk]) + rng.gauss(0.0, 0.10) for pk in ordered}
        self.shift_codes = dict(
            ShiftType.objects.filter(organisation=organisation).values_list("pk", "code")
        )
        self.scorer = _Scorer()
        self.prep = _Prep()
        self.schedule_ids = {s.pk: self.prep.uuid(s.pk) for s in schedules}
        per_person = sum(0.65 * len(o.instruments) for o in self.occasions)
        self.group_size = max(1, min(500, int(BATCH_RESPONSES / max(per_person, 1.0))))

    def person(self, participant: Participant) -> Person:
        work = (
            self.unit_work.get(participant.unit_id, 0.0)
            + SHIFT_EFFECT.get(self.shift_codes.get(participant.shift_type_id, ""), 0.0)
            + ROLE_EFFECT.get(RoleCategory(participant.role_category), 0.0)
        )
        rate = self.unit_rates.get(participant.unit_id, 0.65)
        return Person.draw(self.rng, work=work, participation=rate)

    def existing(self, group: list[Participant]) -> set[tuple[Any, Any, dt.date]]:
        """Periods the group already has check-ins for: a re-run leaves them alone."""
        return set(
            CheckIn.objects.filter(
                participant__in=group,
                schedule__in=self.schedules,
                # A month or quarter may start before the window's first week.
                period_start__gte=min(o.period_start for o in self.occasions),
            ).values_list("participant_id", "schedule_id", "period_start")
        )

    def build(
        self, participant: Participant, wants_alert: bool, done: set[Any], rows: _Rows
    ) -> None:
        rng, prep = self.rng, self.prep
        person = self.person(participant)
        pid, unit, shift = (
            prep.uuid(participant.pk),
            prep.uuid(participant.unit_id),
            prep.uuid(participant.shift_type_id),
        )
        role = participant.role_category
        week = self.first_day
        for occasion in self.occasions:
            while week + dt.timedelta(weeks=1) <= occasion.days[0]:
                person.step(rng)
                week += dt.timedelta(weeks=1)
            if rng.random() > person.participation:
                continue
            if (participant.pk, occasion.schedule.pk, occasion.period_start) in done:
                continue
            joined = participant.enrolled_on if self.from_enrolment else occasion.days[0]
            if occasion.days[-1] < joined:
                continue  # before they joined
            day = max(rng.choices(occasion.days, cum_weights=occasion.cum_weights)[0], joined)
            on = prep.day(day)
            checkin_id = prep.uuid(uuid.uuid4())
            rows.checkins.append(
                (
                    checkin_id,
                    pid,
                    self.schedule_ids[occasion.schedule.pk],
                    prep.day(occasion.period_start),
                    CheckInStatus.SUBMITTED.value,
                    new_idempotency_key(),
                    on,
                    on,
                    None,
                )
            )
            for instrument in occasion.instruments:
                answers = answers_for(instrument, person, self.seasons[day], rng)
                text, signal = self.scorer.payload(instrument, answers)
                response_id = uuid.uuid4()
                # Encrypted here, outside the insert's transaction: the vault
                # caches a data key only once a transaction commits.
                ciphertext = encrypt_text(text, binding=payload_binding(response_id, participant))
                rows.responses.append(
                    (
                        prep.uuid(response_id),
                        checkin_id,
                        pid,
                        instrument.code,
                        instrument.version,
                        ciphertext,
                        on,
                        unit,
                        shift,
                        role,
                    )
                )
                if signal:
                    rows.signals += 1
                    if wants_alert:
                        rows.alerts.append(
                            (prep.uuid(uuid.uuid4()), pid, prep.uuid(response_id), on)
                        )


def seed_checkins(
    *,
    organisation: Organisation,
    programme: Programme,
    participants: Iterable[Participant],
    weeks: int,
    end: dt.date,
    rng: random.Random,
    progress: Callable[[int], object] | None = None,
    actor: SystemActor = SEED_ACTOR,
    from_enrolment: bool = False,
) -> SeedCounts:
    """Create submitted check-ins with scored, encrypted responses for ``weeks`` weeks to ``end``.

    Every schedule of the programme is seeded in each of its periods that
    overlap the window; each person answers a period with a probability near
    their unit's participation rate (55-75%). Participants without a current
    consent are skipped, and safety alerts are raised only for those who
    agreed to them. Periods a participant already has a check-in for are
    left alone, so a run can be repeated. ``progress(n)`` is called as
    participants are done. With ``from_enrolment`` nobody answers before the
    day they enrolled (the demo staggers its enrolments); otherwise everyone
    answers from the window's start. Batches commit one by one; one
    ``data.seeded`` event records the run.
    """
    refuse_in_production()
    if weeks < 1:
        raise SeedError("Give at least one week to seed.")
    if end > today():
        raise SeedError(f"The last day to seed ({end}) is in the future.")
    if programme.organisation_id != organisation.pk:
        raise SeedError("The programme belongs to another organisation.")
    schedules = list(programme.schedules.order_by("position", "slug"))
    if not schedules:
        raise SeedError(f"The programme {programme.name!r} has no check-ins to seed.")
    first_day = periods.period_start(Frequency.WEEKLY, end) - dt.timedelta(weeks=weeks - 1)
    try:
        seeder = _Seeder(organisation, schedules, first_day, end, rng, from_enrolment)
    except UnknownInstrument as exc:
        raise SeedError(f"The programme asks for an instrument not shipped: {exc}") from None
    notice = current_notice(organisation)
    counts = SeedCounts()
    started = time.perf_counter()
    # Inside a caller's transaction its rollback covers everything; on our
    # own, a failed run must still say what it had committed.
    standalone = not connection.in_atomic_block
    try:
        with _larger_page_cache():
            for group in _chunks(participants, seeder.group_size):
                _seed_group(seeder, group, notice, organisation, counts, progress)
        # Seeding writes rows directly, past checkin_submit: the aggregate
        # store is recomputed from them, exactly as `insights rebuild` does.

        rebuild(organisation)
        counts.seconds = time.perf_counter() - started
        audit_record(
            actor=actor,
            event=EventType.DATA_SEEDED,
            target=f"organisation:{organisation.pk}",
            reason=f"{CHECKINS_SEEDED}{counts.describe()}; {weeks} weeks to {end.isoformat()}",
        )
    except BaseException:
        if standalone and counts.responses:
            _record_interrupted(actor, organisation, counts)
        raise
    return counts


def _seed_group(
    seeder: _Seeder,
    group: list[Participant],
    notice: Notice | None,
    organisation: Organisation,
    counts: SeedCounts,
    progress: Callable[[int], object] | None,
) -> None:
    """Build, encrypt and insert one batch of participants' check-ins; one commit."""
    group = [p for p in group if p.organisation_id == organisation.pk]
    consents = _collect_consents([p.pk for p in group], notice)
    counts.skipped += sum(1 for p in group if p.pk not in consents)
    group = [p for p in group if p.pk in consents]
    if not group:
        return
    _ensure_datakeys(group)
    done = seeder.existing(group)
    rows = _Rows()
    for participant in group:
        seeder.build(participant, consents[participant.pk], done, rows)
        if progress is not None:
            progress(1)
    with transaction.atomic():
        _insert(CheckIn, CHECKIN_COLUMNS, rows.checkins)
        _insert(Response, RESPONSE_COLUMNS, rows.responses)
        _insert(SafetyAlert, ALERT_COLUMNS, rows.alerts)
    counts.participants += len(group)
    counts.checkins += len(rows.checkins)
    counts.responses += len(rows.responses)
    counts.safety_signals += rows.signals
    counts.alerts += len(rows.alerts)


# SQLite's page cache for the run, in KiB (the default is 2 MiB). A year of a
# large hospital's rows spreads over indexes keyed by random ids; a bigger
# cache keeps them in memory instead of re-reading pages for every batch.
SEED_PAGE_CACHE_KIB = 256 * 1024


@contextlib.contextmanager
def _larger_page_cache() -> Iterator[None]:
    """Enlarge this connection's SQLite page cache for the run, then restore it."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (before,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = -{int(SEED_PAGE_CACHE_KIB)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


# How the trail tells a finished run of seed_checkins from an interrupted one.
CHECKINS_SEEDED = "check-ins seeded: "
INTERRUPTED = "check-ins interrupted after "


def seeded_before(organisation: Organisation, *, actor: SystemActor) -> bool:
    """True when ``actor`` finished a seed_checkins run for the organisation, per the trail."""
    return AuditEntry.objects.filter(
        event=EventType.DATA_SEEDED,
        target=f"organisation:{organisation.pk}",
        actor_label=str(actor),
        reason__startswith=CHECKINS_SEEDED,
    ).exists()


def _record_interrupted(actor: SystemActor, organisation: Organisation, counts: SeedCounts) -> None:
    # Batches commit one by one, so an interrupted run leaves the earlier ones
    # in place: say so in the trail rather than leave them unexplained. Only
    # a hard kill of the process skips this.
    with contextlib.suppress(Exception):  # never hide the error that stopped the run
        audit_record(
            actor=actor,
            event=EventType.DATA_SEEDED,
            target=f"organisation:{organisation.pk}",
            reason=f"{INTERRUPTED}{counts.describe()}",
        )


def _chunks(items: Iterable[Participant], size: int) -> Iterator[list[Participant]]:
    chunk: list[Participant] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ensure_datakeys(group: list[Participant]) -> None:
    """Create the group's missing data keys in one commit instead of one each.

    The vault caches new keys when their transaction commits, so the
    encryption that follows finds them in memory.
    """
    with transaction.atomic():
        for participant in group:
            datakey_get_or_create(subject=participant.dek_subject)
