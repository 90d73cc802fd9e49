"""Measurement-based care services: assigning, recording, scoring, the safety alert, bad input."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import selectors, services
from wellkept.practice.models import (
    MeasureAlert,
    MeasureAssignment,
    MeasureResult,
    TreatmentPlan,
)
from wellkept.practice.tests.conftest import ADA_LEGAL, ADA_PREFERRED, raw_column
from wellkept.practice.tests.measures_helpers import gad7, phq9, record
from wellkept.practice.tests.plans_helpers import active_plan

pytestmark = pytest.mark.django_db


def test_it_assigns_an_instrument_once_or_every_n_weeks_and_audits_it(practice):
    ada = practice.clients["ada"]
    services.measure_assign(
        actor=practice.people["tess"], client=ada, instrument="phq9", every_weeks=2
    )
    services.measure_assign(
        actor=practice.people["tess"], client=ada, instrument="gad7", every_weeks=None
    )
    assert MeasureAssignment.objects.filter(client=ada).count() == 2
    reasons = sorted(
        AuditEntry.objects.filter(event=EventType.PRACTICE_MEASURE_ASSIGNED).values_list(
            "reason", flat=True
        )
    )
    assert reasons == ["gad7 once", "phq9 every 2 weeks"]


@pytest.mark.parametrize(
    ("instrument", "every", "said"),
    [
        ("burnout1", None, "Choose one of the measures"),
        ("nonsense", None, "Choose one of the measures"),
        ("phq9", 0, "Repeat every 1 to 52 weeks"),
        ("phq9", 53, "Repeat every 1 to 52 weeks"),
    ],
)
def test_it_refuses_a_bad_assignment_with_a_clear_message(practice, instrument, every, said):
    with pytest.raises(ValidationError) as exc:
        services.measure_assign(
            actor=practice.people["tess"],
            client=practice.clients["ada"],
            instrument=instrument,
            every_weeks=every,
        )
    assert said in " ".join(exc.value.messages)


def test_it_refuses_assigning_the_same_instrument_twice(practice):
    ada = practice.clients["ada"]
    services.measure_assign(
        actor=practice.people["tess"], client=ada, instrument="phq9", every_weeks=4
    )
    with pytest.raises(ValidationError, match="already assigned"):
        services.measure_assign(
            actor=practice.people["tess"], client=ada, instrument="phq9", every_weeks=2
        )


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "amira", "oren"])
def test_only_a_therapist_of_the_client_assigns_or_records(practice, who):
    with pytest.raises(PermissionDenied):
        services.measure_assign(
            actor=practice.people[who],
            client=practice.clients["ada"],
            instrument="phq9",
            every_weeks=None,
        )
    with pytest.raises(PermissionDenied):
        record(practice, phq9(12), who=who)
    assert not MeasureResult.objects.exists()


def test_it_scores_by_the_published_rules_and_stores_only_ciphertext(practice):
    result = record(practice, phq9(14))
    data = selectors.result_data(MeasureResult.objects.get(pk=result.pk))
    assert (data["total"], data["band"], data["safety"]) == (14, "moderate", False)
    stored = raw_column(MeasureResult, result.pk, "result")
    assert "moderate" not in stored
    assert '"total"' not in stored
    [entry] = AuditEntry.objects.filter(event=EventType.PRACTICE_MEASURE_RECORDED)
    assert entry.reason == "phq9@1.0 in session"


def test_it_refuses_incomplete_answers_and_a_future_date(practice):
    answers = phq9(5)
    del answers["phq9_3"]
    with pytest.raises(ValidationError) as exc:
        record(practice, answers)
    assert "item 3" in " ".join(exc.value.messages)
    with pytest.raises(ValidationError, match="future"):
        record(practice, phq9(5), ago=-1)
    assert not MeasureResult.objects.exists()


def test_item_nine_above_zero_alerts_every_therapist_of_the_client_at_once(
    practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = record(practice, phq9(12, item9=1))
    [alert] = MeasureAlert.objects.all()
    assert (alert.therapist, alert.result_id) == (practice.people["tess"], result.pk)
    [entry] = AuditEntry.objects.filter(event=EventType.PRACTICE_MEASURE_ALERT_RAISED)
    assert entry.target == f"client:{result.client_id}/measure-alert:{alert.pk}"
    [message] = mail.outbox
    assert message.to == [practice.people["tess"].email]
    assert "a measure" in message.body.lower()
    assert "needs your attention" in message.subject
    assert practice.clients["ada"].code in message.body


def test_the_alert_email_says_nothing_but_the_client_code(
    practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        record(practice, phq9(20, item9=3))
    [message] = mail.outbox
    text = message.subject + message.body
    for secret in (*ADA_LEGAL.split(), ADA_PREFERRED, "PHQ", "20", "suicid", "item 9"):
        assert secret not in text


def test_no_alert_without_a_safety_answer(practice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        record(practice, phq9(24, item9=0))
        record(practice, gad7(21), instrument="gad7")
    assert not MeasureAlert.objects.exists()
    assert mail.outbox == []


# ---- clinically significant change and the trend --------------------------------------


@pytest.mark.parametrize(
    ("code", "first", "now", "expected"),
    [
        ("phq9", 15, 9, "improved"),  # from 15 (clinical, >= 10) to 9: crossed
        ("phq9", 15, 10, ""),  # 10 is still in the clinical range
        ("phq9", 8, 12, "deteriorated"),
        ("gad7", 12, 4, "improved"),
        ("who5", 40, 60, "improved"),  # higher is better: from <= 50 to above
        ("who5", 60, 48, "deteriorated"),
    ],
)
def test_it_marks_crossing_the_published_cut_off(code, first, now, expected):
    assert selectors.significant_change(selectors.CUT_OFFS[code], first, now) == expected


@pytest.mark.parametrize(
    ("code", "first", "now", "expected"),
    [
        # Worked by hand from the thresholds: a change of 6 on the PHQ-9 and
        # 4 on the GAD-7 is reliable, one point less is not.
        ("phq9", 18, 12, "improved"),
        ("phq9", 18, 13, ""),
        ("phq9", 7, 13, "deteriorated"),
        ("phq9", 7, 12, ""),
        ("gad7", 14, 10, "improved"),
        ("gad7", 8, 12, "deteriorated"),
        ("gad7", 8, 11, ""),
    ],
)
def test_it_marks_a_reliable_change_from_the_first_result(code, first, now, expected):
    rule = selectors.RELIABLE_CHANGE[code]
    assert selectors.reliable_change(rule, first, now) == expected


@pytest.mark.parametrize("code", ["who5", "phq2"])
def test_it_marks_no_reliable_change_where_no_threshold_is_published(code):
    assert selectors.reliable_change(selectors.RELIABLE_CHANGE.get(code), 3, 20) == ""


def test_the_client_measures_show_due_dates_series_and_a_chart(practice):
    ada = practice.clients["ada"]
    services.measure_assign(
        actor=practice.people["tess"], client=ada, instrument="phq9", every_weeks=2
    )
    record(practice, phq9(16), ago=28)
    record(practice, phq9(12), ago=14)
    record(practice, phq9(7), ago=0)
    [due], [series] = selectors.client_measures(actor=practice.people["tess"], client=ada)
    assert due.last == series.rows[-1].result.administered_on
    assert not due.is_due
    assert [r.total for r in series.rows] == [16, 12, 7]
    assert [r.significant for r in series.rows] == ["", "", "improved"]
    # 16 to 12 is 4 points (not reliable); 16 to 7 is 9 (reliable).
    assert [r.reliable for r in series.rows] == ["", "", "improved"]
    assert series.reliable_change == selectors.RELIABLE_CHANGE["phq9"]
    assert series.chart is not None
    assert len(series.chart.dots) == 3
    assert "from 16" in series.chart.description
    assert "to 7" in series.chart.description


def test_a_supervisor_reads_the_measures_and_another_therapist_does_not(practice):
    record(practice, phq9(12))
    _, [series] = selectors.client_measures(
        actor=practice.people["sue"], client=practice.clients["ada"]
    )
    assert series.rows
    assert selectors.client_measures(
        actor=practice.people["theo"], client=practice.clients["ada"]
    ) == ([], [])


def test_erasing_the_client_erases_their_plans_measures_and_alerts(practice):
    active_plan(practice)
    record(practice, phq9(12, item9=1))
    services.client_erase(actor=SystemActor("erase-test"), client=practice.clients["ada"])
    assert not TreatmentPlan.objects.exists()
    assert not MeasureResult.objects.exists()
    assert not MeasureAlert.objects.exists()
