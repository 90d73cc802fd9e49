"""The measures' pages for every role, recording in session, and the crisis resources at once."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.assessments.models import Programme, SupportKind, SupportResource
from wellkept.practice.models import MeasureAlert, MeasureAssignment, MeasureResult
from wellkept.practice.tests.conftest import signed_in
from wellkept.practice.tests.measures_helpers import days_ago, phq9, record

pytestmark = pytest.mark.django_db

Q = "?org=harbour"
NOT_CLINICAL = ["fran", "bill", "priya", "amira", "olga", "oren"]


def url(name: str, *args: object) -> str:
    return reverse(f"practice:{name}", args=args) + Q


def post_phq9(total: int, item9: int = 0) -> dict[str, object]:
    return {
        **{k: str(v) for k, v in phq9(total, item9).items()},
        "administered_on": days_ago(0).isoformat(),
    }


@pytest.mark.parametrize("who", ["tess", "sue"])
def test_it_shows_the_measures_with_a_chart_and_its_data_table(practice, who):
    record(practice, phq9(16), ago=14)
    record(practice, phq9(8), ago=0)
    page = signed_in(practice.people[who]).get(url("measures", practice.clients["ada"].pk))
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "<polyline" in page.text
    assert "<table" in page.text
    assert "<td>16</td>" in page.text
    assert "<td>8</td>" in page.text
    assert "Improved past the cut-off" in page.text


@pytest.mark.parametrize("who", [*NOT_CLINICAL, "theo"])
def test_it_answers_404_for_the_measures_to_anyone_else(practice, who):
    record(practice, phq9(16))
    ada = practice.clients["ada"]
    browser = signed_in(practice.people[who])
    assert browser.get(url("measures", ada.pk)).status_code == 404
    assert browser.get(url("measure_record", ada.pk, "phq9")).status_code == 404
    assert browser.post(url("measure_assign", ada.pk), {"instrument": "phq9"}).status_code == 404


@pytest.mark.parametrize("who", NOT_CLINICAL)
def test_the_alerts_page_is_not_found_for_non_clinical_staff(practice, who):
    assert signed_in(practice.people[who]).get(url("measure_alerts")).status_code == 404


def test_the_supervisor_may_not_record_or_assign(practice):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people["sue"])
    assert browser.post(url("measure_record", ada.pk, "phq9"), post_phq9(5)).status_code == 404
    assert browser.post(url("measure_assign", ada.pk), {"instrument": "phq9"}).status_code == 404
    assert not MeasureResult.objects.exists()
    assert not MeasureAssignment.objects.exists()


def test_the_therapist_assigns_and_records_through_the_forms(practice):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people["tess"])
    assigned = browser.post(
        url("measure_assign", ada.pk), {"instrument": "gad7", "every_weeks": "2"}
    )
    assert assigned.status_code == 302
    assert MeasureAssignment.objects.get(client=ada).every_weeks == 2
    form = browser.get(url("measure_record", ada.pk, "phq9"))
    assert form.status_code == 200
    assert 'name="phq9_9"' in form.text
    done = browser.post(url("measure_record", ada.pk, "phq9"), post_phq9(11))
    assert done.status_code == 302
    assert MeasureResult.objects.filter(client=ada).count() == 1


def test_bad_answers_get_a_clear_message_not_an_error(practice):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people["tess"])
    data = post_phq9(11)
    data["phq9_2"] = "7"
    del data["phq9_4"]
    page = browser.post(url("measure_record", ada.pk, "phq9"), data)
    assert page.status_code == 200
    assert "question 2" in page.text
    assert "question 4" in page.text
    assert browser.get(url("measure_record", ada.pk, "nonsense")).status_code == 404
    bad = browser.post(url("measure_assign", ada.pk), {"instrument": "phq9", "every_weeks": "x"})
    assert bad.status_code == 302
    assert not MeasureAssignment.objects.exists()


def test_item_nine_shows_crisis_resources_at_once_and_alerts(practice):
    programme = Programme.objects.create(organisation=practice.harbour, name="Staff wellbeing")
    SupportResource.objects.create(
        programme=programme,
        kind=SupportKind.CRISIS,
        name="Harbour crisis line",
        contact="0800 000 999",
    )
    ada = practice.clients["ada"]
    page = signed_in(practice.people["tess"]).post(
        url("measure_record", ada.pk, "phq9"), post_phq9(14, item9=2)
    )
    assert page.status_code == 200
    assert "Harbour crisis line" in page.text
    assert "0800 000 999" in page.text
    assert MeasureAlert.objects.filter(therapist=practice.people["tess"]).count() == 1
    alerts = signed_in(practice.people["tess"]).get(url("measure_alerts"))
    assert ada.code in alerts.text
    assert ada.code not in signed_in(practice.people["theo"]).get(url("measure_alerts")).text


def test_item_nine_without_a_programme_still_says_what_to_do(practice):
    ada = practice.clients["ada"]
    page = signed_in(practice.people["tess"]).post(
        url("measure_record", ada.pk, "phq9"), post_phq9(3, item9=1)
    )
    assert page.status_code == 200
    assert "emergency number" in page.text


def test_the_client_page_links_the_measures_for_clinicians_only(practice):
    ada = practice.clients["ada"]
    link = reverse("practice:measures", args=[ada.pk])
    assert link in signed_in(practice.people["tess"]).get(url("client", ada.pk)).text
    assert link not in signed_in(practice.people["fran"]).get(url("client", ada.pk)).text
