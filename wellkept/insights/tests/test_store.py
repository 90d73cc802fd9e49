"""The aggregate store: incremental cells equal a rebuild, and nothing in them is in clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellkept.assessments.models import Response
from wellkept.assessments.tests.fixtures import SYSTEM, Hospital, join, make_clinician
from wellkept.insights import store
from wellkept.insights.models import Cell
from wellkept.insights.periods import Grain, period_of
from wellkept.insights.tests.builders import on_day, pulse
from wellkept.lifecycle.services import participant_erase

pytestmark = pytest.mark.django_db

FIRST_DAY = dt.date(2026, 6, 1)


class _Rollback(Exception):
    pass


def _cells(h: Hospital) -> store.Snapshot:
    return store.snapshot(h.organisation)


def test_it_counts_a_checkin_in_its_week_month_and_quarter(hospital, monkeypatch) -> None:
    h = hospital
    with on_day(monkeypatch, FIRST_DAY):
        pulse(h.people["joe"], h.participants["joe"], h, (1, 2))
    snap = _cells(h)
    for grain in Grain:
        atoms = snap.cells[("phq2", grain.value, period_of(grain, FIRST_DAY).isoformat())]
        (stats,) = atoms.values()
        assert stats[:5] == [1, 1, 1, 3, 9]
    # Joe and Sara take part; Nadia has not joined.
    assert sum(snap.enrolment.values()) == 2


def test_it_reads_the_contributions_of_a_checkin_once(hospital, monkeypatch) -> None:
    """Two questionnaires at three grains: one query for who is already counted, not six."""
    h = hospital
    with on_day(monkeypatch, FIRST_DAY), CaptureQueriesContext(connection) as queries:
        pulse(h.people["joe"], h.participants["joe"], h, (1, 2))
    reads = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("SELECT") and "insights_contribution" in q["sql"]
    ]
    assert len(reads) == 1
    assert len(store.snapshot(h.organisation).contributions) == 6


def test_it_keeps_no_score_in_clear(hospital, monkeypatch) -> None:
    h = hospital
    with on_day(monkeypatch, FIRST_DAY):
        pulse(h.people["joe"], h.participants["joe"], h, (3, 3))
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM insights_cell")
        payloads = [row[0] for row in cursor.fetchall()]
    assert payloads
    for payload in payloads:
        assert payload.startswith("wk1$")
        assert "[" not in payload
        assert "|" not in payload


def test_erasure_takes_the_person_out_of_every_cell(hospital, monkeypatch) -> None:
    h = hospital
    with on_day(monkeypatch, FIRST_DAY):
        pulse(h.people["joe"], h.participants["joe"], h, (1, 1))
        pulse(h.people["sara"], h.participants["sara"], h, (2, 2))
    participant_erase(actor=SYSTEM, participant=h.participants["joe"])
    snap = _cells(h)
    week = snap.cells[("phq2", "week", period_of(Grain.WEEK, FIRST_DAY).isoformat())]
    (stats,) = week.values()
    assert stats[:5] == [1, 1, 1, 4, 16]
    assert sum(snap.enrolment.values()) == 1
    assert store.rebuild(h.organisation).changed is False


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("checkin"),
            st.integers(0, 3),  # who
            st.integers(0, 9),  # week offset
            st.tuples(st.integers(0, 3), st.integers(0, 3)),
        ),
        st.tuples(st.just("erase"), st.integers(0, 3)),
        st.tuples(st.just("purge"), st.integers(0, 9)),
        st.tuples(st.just("move"), st.integers(0, 3)),
    ),
    min_size=1,
    max_size=10,
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=OPERATIONS)
def test_incremental_cells_equal_a_rebuild(hospital, monkeypatch, operations) -> None:
    """Random interleavings of check-ins, erasures, purges and moves leave the cells exact."""
    h = hospital
    try:
        with transaction.atomic():
            people = {}
            for i in range(4):
                user = make_clinician(h.organisation, f"p{i}@example.org")
                people[i] = (user, join(h, user))
            done: set[tuple[int, int]] = set()
            for op in operations:
                if op[0] == "checkin":
                    _, who, week, answers = op
                    if who not in people or (who, week) in done:
                        continue
                    done.add((who, week))
                    day = FIRST_DAY + dt.timedelta(weeks=week, days=who % 3)
                    with on_day(monkeypatch, day):
                        pulse(*people[who], h, answers)
                elif op[0] == "erase":
                    if op[1] in people:
                        participant_erase(actor=SYSTEM, participant=people.pop(op[1])[1])
                elif op[0] == "purge":
                    cutoff = FIRST_DAY + dt.timedelta(weeks=op[1], days=2)
                    store.responses_purge(
                        Response.objects.filter(
                            participant__organisation=h.organisation, submitted_on__lt=cutoff
                        )
                    )
                elif op[1] in people:
                    from wellkept.orgs.services import participant_move

                    user, participant = people[op[1]]
                    target = h.icu if participant.unit_id == h.ward.pk else h.ward
                    participant_move(actor=user, participant=participant, unit=target)
            incremental = _cells(h)
            result = store.rebuild(h.organisation)
            assert result.changed is False
            assert _cells(h) == incremental
            raise _Rollback
    except _Rollback:
        pass
    assert Cell.objects.filter(organisation=h.organisation).count() == 0
