"""What checkpoints within a second of every commit cost, against the writer switched off.

Both modes run in the same process, alternating in rounds so that the
machine's load affects them alike; the ratio is what the issue asks for.

(a) Per check-in: a participant's sign-in (one identified entry, which wakes
    the background writer) followed by `checkin_start`, two
    `checkin_save_answers` and `checkin_submit` (pseudonymous entries, which
    never wake it), on a fresh participant each time. The timed span ends
    once the writer has written what was pending, so its work is counted.
(b) Worst case per identified commit: audited commits back to back (staff
    reading records), every one of them waking the writer.
(c) One checkpoint written directly: both sinks, two fsyncs.

Run with `python bench/run.py bench_checkpoints`.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

# Load on a shared machine moves in seconds: each round measures both modes
# back to back (in alternating order) and the ratio is taken per round.
ROUNDS = 6
CHECKINS_PER_ROUND = 15
COMMITS_PER_ROUND = 150
DIRECT = 50
PHQ2 = {"phq2_1": 1, "phq2_2": 2}
BURNOUT = {"burnout1_1": 3}


def _writer(on: bool) -> None:
    from django.conf import settings

    from wellkept.audit.checkpointer import checkpointer

    checkpointer.stop(flush=True)
    settings.WELLKEPT_AUDIT_CHECKPOINT_SECONDS = 1 if on else 0


def _drain() -> None:
    from wellkept.audit.checkpointer import checkpointer

    # Whatever the writer still holds is part of the cost.
    checkpointer.stop(flush=True)


def _checkins(people: list[tuple[Any, Any]], pulse: Any) -> float:
    from wellkept.assessments import services
    from wellkept.audit.events import EventType
    from wellkept.audit.services import audit_record

    start = time.perf_counter()
    for user, participant in people:
        audit_record(actor=user, event=EventType.AUTH_LOGIN, target=f"user:{user.pk}")
        checkin = services.checkin_start(actor=user, participant=participant, schedule=pulse)
        for code, answers in (("phq2", PHQ2), ("burnout1", BURNOUT)):
            services.checkin_save_answers(
                actor=user, checkin=checkin, instrument_code=code, answers=answers
            )
        services.checkin_submit(
            actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
        )
    _drain()
    return (time.perf_counter() - start) / len(people)


def _commits(count: int) -> float:
    from wellkept.actors import SystemActor
    from wellkept.audit.events import EventType
    from wellkept.audit.services import audit_record

    actor = SystemActor("bench")
    start = time.perf_counter()
    for _ in range(count):
        audit_record(actor=actor, event=EventType.RECORD_READ, target="participant:bench")
    _drain()
    return (time.perf_counter() - start) / count


def run() -> None:
    from bench_checkin import _hospital, _joined_people
    from django.core.management import call_command

    from wellkept.audit import checkpoints

    call_command("audit", "init", "--if-new", verbosity=0)
    org, programme, notice = _hospital()
    pulse = programme.schedules.get(slug="weekly-pulse")
    people = _joined_people(org, notice, ROUNDS * CHECKINS_PER_ROUND * 2)

    per_checkin: dict[bool, list[float]] = {False: [], True: []}
    per_commit: dict[bool, list[float]] = {False: [], True: []}
    for round_number in range(ROUNDS):
        for on in (round_number % 2 == 0, round_number % 2 == 1):
            _writer(on)
            batch = people[:CHECKINS_PER_ROUND]
            people = people[CHECKINS_PER_ROUND:]
            per_checkin[on].append(_checkins(batch, pulse))
            per_commit[on].append(_commits(COMMITS_PER_ROUND))
    _writer(False)

    start = time.perf_counter()
    for _ in range(DIRECT):
        checkpoints.checkpoint_write(force=True)
    direct = (time.perf_counter() - start) / DIRECT
    written = len(checkpoints.read_evidence().merged)

    for label, found in (
        ("per check-in (sign-in + check-in)", per_checkin),
        ("per identified commit, back to back", per_commit),
    ):
        ratios = sorted(a / b for a, b in zip(found[True], found[False], strict=True))
        print(
            f"checkpoints {label}: {statistics.median(found[True]) * 1e3:.2f} ms with the "
            f"writer vs {statistics.median(found[False]) * 1e3:.2f} ms without; ratio "
            f"{statistics.median(ratios):.3f} (rounds {ratios[0]:.2f}..{ratios[-1]:.2f})"
        )
    print(
        f"one checkpoint written directly (file + SQLite anchor, fsync each): "
        f"{direct * 1e3:.2f} ms; {written} checkpoints in the sinks after the run"
    )
