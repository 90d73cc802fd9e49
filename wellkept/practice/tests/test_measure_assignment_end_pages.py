"""Ending a measure assignment from the client's measures page; everyone else gets 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.practice import services
from wellkept.practice.models import MeasureAssignment
from wellkept.practice.tests.conftest import signed_in

pytestmark = pytest.mark.django_db

Q = "?org=harbour"


@pytest.fixture
def assignment(practice) -> MeasureAssignment:
    return services.measure_assign(
        actor=practice.people["tess"],
        client=practice.clients["ada"],
        instrument="phq9",
        every_weeks=2,
    )


def end_url(practice, assignment: MeasureAssignment) -> str:
    return (
        reverse("practice:measure_assignment_end", args=[practice.clients["ada"].pk, assignment.pk])
        + Q
    )


def test_the_therapist_ends_an_assignment_and_sees_it_ended_with_its_date(practice, assignment):
    browser = signed_in(practice.people["tess"])
    measures = reverse("practice:measures", args=[practice.clients["ada"].pk]) + Q
    assert end_url(practice, assignment) in browser.get(measures).text
    page = browser.post(end_url(practice, assignment), follow=True)
    assert page.status_code == 200
    assert "Measure assignment ended" in page.text
    ended = MeasureAssignment.objects.get(pk=assignment.pk)
    assert f"Ended on {ended.ended_at.date().isoformat()}" in page.text
    assert end_url(practice, assignment) not in page.text


def test_ending_it_twice_says_so_rather_than_failing(practice, assignment):
    browser = signed_in(practice.people["tess"])
    browser.post(end_url(practice, assignment))
    page = browser.post(end_url(practice, assignment), follow=True)
    assert page.status_code == 200
    assert "ended already" in page.text


@pytest.mark.parametrize("who", ["sue", "theo", "fran", "bill", "priya", "oren"])
def test_it_answers_404_to_anyone_else(practice, assignment, who):
    assert signed_in(practice.people[who]).post(end_url(practice, assignment)).status_code == 404
    assert MeasureAssignment.objects.get(pk=assignment.pk).ended_at is None


def test_it_answers_404_for_an_assignment_of_another_client(practice, assignment):
    ben = practice.clients["ben"]
    wrong = reverse("practice:measure_assignment_end", args=[ben.pk, assignment.pk]) + Q
    assert signed_in(practice.people["theo"]).post(wrong).status_code == 404
    assert MeasureAssignment.objects.get(pk=assignment.pk).ended_at is None
