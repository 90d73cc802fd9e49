"""Cost of a check-in through the privacy path, and speed of the bulk seeding path.

(a) Submission: `checkin_start` + `checkin_save_answers` (PHQ-2, then the
    burnout item) + `checkin_submit`, each as the participant, on a fresh
    participant every time (so each first answer creates that person's data
    key), against a baseline measured in the same run: the same answers
    scored with the same `score()` and `_payload()` and saved with plain
    Django saves, in the same four transactions, into two unencrypted
    tables of the same shape created for the benchmark only. The ratio is
    the cost of policy, consent check, audit and encryption.
(b) Seeding: `seed_checkins` for a synthetic hospital over 52 weeks, in
    responses and check-ins per second (wall clock, and per CPU second,
    which the machine's other load affects less).

Size of (b): WELLKEPT_BENCH_SEED_PARTICIPANTS (default 400, about 37,000
responses). A million check-ins is about 24,000 participants over a year:

    WELLKEPT_BENCH_SEED_PARTICIPANTS=24000 .venv/bin/python bench/run.py bench_checkin

or, on a development database, `wellkept seed --participants 24000 --weeks 52`.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from typing import Any

SUBMISSIONS = 150
PHQ2 = {"phq2_1": 1, "phq2_2": 2}
BURNOUT = {"burnout1_1": 3}


def _plain_models() -> tuple[type[Any], type[Any]]:
    """Two unencrypted tables shaped like CheckIn and Response, for the baseline only."""
    from django.db import models

    from wellkept.assessments.models import Schedule
    from wellkept.orgs.models import Participant, ShiftType, Unit

    class PlainCheckIn(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
        schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="+")
        period_start = models.DateField()
        status = models.CharField(max_length=16, default="in_progress")
        idempotency_key = models.CharField(max_length=40, unique=True)
        started_on = models.DateField()
        submitted_on = models.DateField(null=True)
        draft = models.TextField(null=True)  # noqa: DJ001 - the same shape as CheckIn.draft

        class Meta:
            app_label = "bench"
            constraints = [
                models.UniqueConstraint(
                    fields=["participant", "schedule", "period_start"], name="bench_one_per_period"
                )
            ]

        def __str__(self) -> str:
            return f"plain check-in {self.pk}"

    class PlainResponse(models.Model):
        id = models.UUIDField(primary_key=True, default=uuid.uuid4)
        checkin = models.ForeignKey(PlainCheckIn, on_delete=models.CASCADE, related_name="+")
        participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="+")
        instrument = models.CharField(max_length=32)
        instrument_version = models.CharField(max_length=16)
        payload = models.TextField()
        submitted_on = models.DateField()
        unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
        shift_type = models.ForeignKey(ShiftType, on_delete=models.PROTECT, related_name="+")
        role_category = models.CharField(max_length=32)

        class Meta:
            app_label = "bench"
            indexes = [models.Index(fields=["participant", "instrument", "submitted_on"])]
            constraints = [
                models.UniqueConstraint(fields=["checkin", "instrument"], name="bench_one_each")
            ]

        def __str__(self) -> str:
            return f"plain response {self.pk}"

    return PlainCheckIn, PlainResponse


def _hospital() -> tuple[Any, Any, Any]:
    from wellkept.demo import bulk as seeding

    org, _ = seeding.synthetic_organisation(slug="bench")
    programme = seeding.programme_ensure(actor=seeding.SEED_ACTOR, organisation=org)
    notice = seeding.notice_ensure(
        actor=seeding.SEED_ACTOR, organisation=org, contact=seeding.SYNTHETIC_CONTACT
    )
    return org, programme, notice


def _joined_people(org: Any, notice: Any, count: int) -> list[tuple[Any, Any]]:
    """Clinicians who joined through the join service: (login, participant) pairs."""
    from wellkept.accounts.models import User
    from wellkept.assessments.services import programme_join
    from wellkept.orgs.models import Clinician, RoleCategory, ShiftType, Unit

    unit = Unit.objects.filter(organisation=org, kind="unit").order_by("path").first()
    shift = ShiftType.objects.get(organisation=org, code="night")
    people = []
    for n in range(count):
        user = User.objects.create_user(f"bench{n}@bench.invalid", None)
        Clinician.objects.create(user=user, organisation=org)
        participant = programme_join(
            actor=user,
            organisation=org,
            notice=notice,
            unit=unit,
            shift_type=shift,
            role_category=RoleCategory.NURSE,
            follow_up_contact=False,
            safety_alert=False,
        )
        people.append((user, participant))
    return people


def _privacy_path(people: list[tuple[Any, Any]], pulse: Any) -> float:
    from wellkept.assessments import services

    start = time.perf_counter()
    for user, participant in people:
        checkin = services.checkin_start(actor=user, participant=participant, schedule=pulse)
        services.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code="phq2", answers=PHQ2
        )
        services.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code="burnout1", answers=BURNOUT
        )
        services.checkin_submit(
            actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
        )
    return (time.perf_counter() - start) / len(people)


def _plain_path(people: list[tuple[Any, Any]], pulse: Any, models: tuple[Any, Any]) -> float:
    import json

    from django.db import transaction

    from wellkept.assessments import periods
    from wellkept.assessments.instruments import get_instrument, score
    from wellkept.assessments.models import new_idempotency_key, today
    from wellkept.assessments.services import _payload

    plain_checkin, plain_response = models
    instruments = [get_instrument(code) for code in pulse.instruments]
    start = time.perf_counter()
    for _user, participant in people:
        day = today()
        with transaction.atomic():
            checkin = plain_checkin.objects.create(
                participant=participant,
                schedule=pulse,
                period_start=periods.period_start(pulse.frequency, day),
                idempotency_key=new_idempotency_key(),
                started_on=day,
            )
        draft: dict[str, dict[str, int]] = {}
        for code, answers in (("phq2", PHQ2), ("burnout1", BURNOUT)):
            with transaction.atomic():
                draft[code] = dict(answers)
                checkin.draft = json.dumps(draft, sort_keys=True)
                checkin.save(update_fields=["draft"])
        with transaction.atomic():
            for instrument in instruments:
                answers = json.loads(checkin.draft)[instrument.code]
                plain_response.objects.create(
                    checkin=checkin,
                    participant=participant,
                    instrument=instrument.code,
                    instrument_version=instrument.version,
                    payload=_payload(instrument, answers, score(instrument, answers)),
                    submitted_on=day,
                    unit_id=participant.unit_id,
                    shift_type_id=participant.shift_type_id,
                    role_category=participant.role_category,
                )
            checkin.status, checkin.submitted_on, checkin.draft = "submitted", day, None
            checkin.save(update_fields=["status", "submitted_on", "draft"])
    return (time.perf_counter() - start) / len(people)


def run() -> None:
    from django.db import connection

    from wellkept.assessments.models import today
    from wellkept.demo import bulk as seeding

    org, programme, notice = _hospital()
    pulse = programme.schedules.get(slug="weekly-pulse")
    plain = _plain_models()
    with connection.schema_editor() as editor:
        for model in plain:
            editor.create_model(model)
    try:
        people = _joined_people(org, notice, 2 * SUBMISSIONS)
        baseline = _plain_path(people[:SUBMISSIONS], pulse, plain)
        private = _privacy_path(people[SUBMISSIONS:], pulse)
    finally:
        with connection.schema_editor() as editor:
            for model in reversed(plain):
                editor.delete_model(model)

    size = int(os.environ.get("WELLKEPT_BENCH_SEED_PARTICIPANTS", "400"))
    ids = seeding.seed_participants(
        organisation=org, notice=notice, count=size, enrolled_on=today(), rng=random.Random(1)
    )
    cpu = time.process_time()
    counts = seeding.seed_checkins(
        organisation=org,
        programme=programme,
        participants=seeding.participants_by_id(ids),
        weeks=52,
        end=today(),
        rng=random.Random(2),
    )
    cpu = time.process_time() - cpu
    seed_rate = counts.responses_per_second
    path_rate = 2 / private  # two responses per pulse check-in

    print(f"check-in: phq2 + burnout1, {SUBMISSIONS} submissions, each a fresh participant")
    print(f"  {'plain Django saves, unencrypted (baseline)':<52} {baseline * 1e3:8.2f} ms   1.0x")
    print(
        f"  {'privacy path: policy, consent, audit, encryption':<52} {private * 1e3:8.2f} ms "
        f"{private / baseline:6.1f}x baseline"
    )
    print(
        f"seed_checkins: {size} participants x 52 weeks, {counts.checkins:,} check-ins, "
        f"{counts.responses:,} responses in {counts.seconds:.1f}s"
    )
    print(
        f"  {seed_rate:,.0f} responses/s ({counts.checkins / counts.seconds:,.0f} check-ins/s), "
        f"{counts.responses / cpu:,.0f} responses per CPU second; "
        f"{seed_rate / path_rate:.0f}x the privacy path's {path_rate:,.0f} responses/s"
    )
