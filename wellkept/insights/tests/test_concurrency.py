"""Check-ins submitted at the same moment, each on its own connection, keep the cells exact.

Several people on the same ward submit their weekly pulse at once: every
submission adds to the same week, month and quarter cells of two
instruments. Afterwards the cells kept up to date submission by submission
must be exactly what ``store.rebuild`` recomputes from the encrypted
responses: no lost update, no person counted twice, no submission refused.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection, connections

from wellkept.assessments import services
from wellkept.assessments.models import CheckIn, CheckInStatus
from wellkept.assessments.tests.fixtures import Hospital, make_clinician
from wellkept.insights import store
from wellkept.insights.periods import Grain, period_of
from wellkept.insights.store import PEOPLE, RESPONSES, TOTAL
from wellkept.insights.tests.builders import on_day, pulse
from wellkept.orgs.models import RoleCategory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8
EACH = 3
DAY = dt.date(2026, 6, 3)


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL (set DATABASE_URL): SQLite serialises writers with "
            "BEGIN IMMEDIATE, so there is no concurrency to test"
        )


def _ready_checkins(h: Hospital, count: int) -> list[tuple[Any, CheckIn, int]]:
    """Enrol people on two wards and fill in their pulse; the submitting is left to the threads."""
    ready = []
    for n in range(count):
        user = make_clinician(h.organisation, f"rush{n}@st-annes.example")
        participant = services.programme_join(
            actor=user,
            organisation=h.organisation,
            notice=h.notice,
            unit=h.ward if n % 2 else h.icu,
            shift_type=h.day if n % 3 else h.night,
            role_category=RoleCategory.NURSE,
            follow_up_contact=False,
            safety_alert=False,
        )
        checkin = services.checkin_start(actor=user, participant=participant, schedule=h.pulse)
        first, second = n % 4, (n // 4) % 4
        services.checkin_save_answers(
            actor=user,
            checkin=checkin,
            instrument_code="phq2",
            answers={"phq2_1": first, "phq2_2": second},
        )
        services.checkin_save_answers(
            actor=user,
            checkin=checkin,
            instrument_code="burnout1",
            answers={"burnout1_1": n % 5 + 1},
        )
        ready.append((user, checkin, first + second))
    return ready


def _submit_all_at_once(ready: list[tuple[Any, CheckIn, int]]) -> list[BaseException]:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []
    shares = [ready[i::THREADS] for i in range(THREADS)]

    def submitter(share: list[tuple[Any, CheckIn, int]]) -> None:
        try:
            start.wait()
            for user, checkin, _ in share:
                services.checkin_submit(
                    actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
                )
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submitter, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.parametrize("warm", [False, True], ids=["first-of-the-week", "cells-exist"])
def test_it_keeps_the_cells_exact_under_simultaneous_submissions(
    hospital: Hospital, monkeypatch: pytest.MonkeyPatch, warm: bool
) -> None:
    _needs_postgresql()
    h = hospital
    with on_day(monkeypatch, DAY):
        if warm:
            # Joe answered earlier that week: the cells are there to be locked.
            pulse(h.people["joe"], h.participants["joe"], h, (1, 1))
        ready = _ready_checkins(h, THREADS * EACH)
        errors = _submit_all_at_once(ready)
    assert errors == [], errors
    submitted = CheckIn.objects.filter(pk__in=[c.pk for _, c, _ in ready])
    assert set(submitted.values_list("status", flat=True)) == {CheckInStatus.SUBMITTED}

    incremental = store.snapshot(h.organisation)
    result = store.rebuild(h.organisation)
    assert result.changed is False
    assert store.snapshot(h.organisation) == incremental

    # And the sums are the right ones, not merely self-consistent.
    expected_people = THREADS * EACH + (1 if warm else 0)
    expected_total = sum(score for _, _, score in ready) + (2 if warm else 0)
    for grain in Grain:
        atoms = incremental.cells[("phq2", grain.value, period_of(grain, DAY).isoformat())]
        assert sum(stats[PEOPLE] for stats in atoms.values()) == expected_people
        assert sum(stats[RESPONSES] for stats in atoms.values()) == expected_people
        assert sum(stats[TOTAL] for stats in atoms.values()) == expected_total
        burnout = incremental.cells[("burnout1", grain.value, period_of(grain, DAY).isoformat())]
        assert sum(stats[PEOPLE] for stats in burnout.values()) == expected_people
