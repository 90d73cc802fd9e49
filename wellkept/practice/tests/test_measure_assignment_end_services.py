"""Ending a measure assignment: the therapist only, audited, no longer due, assignable anew."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from wellkept import clock
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import selectors, services
from wellkept.practice.models import MeasureAssignment
from wellkept.practice.tests.measures_helpers import phq9, record

pytestmark = pytest.mark.django_db


def assign(practice, every_weeks: int | None = 2) -> MeasureAssignment:
    return services.measure_assign(
        actor=practice.people["tess"],
        client=practice.clients["ada"],
        instrument="phq9",
        every_weeks=every_weeks,
    )


def end(practice, assignment: MeasureAssignment, who: str = "tess") -> MeasureAssignment:
    return services.measure_assignment_end(actor=practice.people[who], assignment=assignment)


def test_it_ends_an_assignment_for_the_therapist_and_audits_it(practice):
    assignment = assign(practice)
    ended = end(practice, assignment)
    fresh = MeasureAssignment.objects.get(pk=assignment.pk)
    assert fresh.ended_at == ended.ended_at
    assert fresh.ended_by == practice.people["tess"]
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_MEASURE_ASSIGNMENT_ENDED)
    assert entry.target == f"client:{practice.clients['ada'].pk}/measure-assignment:{assignment.pk}"
    assert entry.reason == "phq9"


def test_an_ended_assignment_is_no_longer_due_and_shows_its_end(practice):
    assignment = assign(practice)
    record(practice, phq9(12), ago=30)
    due, _ = selectors.client_measures(
        actor=practice.people["tess"], client=practice.clients["ada"]
    )
    assert due[0].is_due
    end(practice, assignment)
    due, _ = selectors.client_measures(
        actor=practice.people["tess"], client=practice.clients["ada"]
    )
    assert due[0].due_on is None
    assert not due[0].is_due
    assert due[0].ended_on == clock.now().date()


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "amira", "oren"])
def test_it_refuses_to_end_an_assignment_for_anyone_but_a_therapist_of_the_client(practice, who):
    assignment = assign(practice)
    with pytest.raises(PermissionDenied):
        end(practice, assignment, who)
    assert MeasureAssignment.objects.get(pk=assignment.pk).ended_at is None
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_MEASURE_ASSIGNMENT_ENDED).exists()


def test_it_refuses_to_end_an_assignment_twice(practice):
    assignment = assign(practice)
    end(practice, assignment)
    with pytest.raises(ValidationError, match="ended already"):
        end(practice, assignment)
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_MEASURE_ASSIGNMENT_ENDED).count() == 1


def test_an_ended_instrument_may_be_assigned_anew_but_not_twice_at_once(practice):
    end(practice, assign(practice))
    assign(practice, every_weeks=4)
    with pytest.raises(ValidationError, match="already assigned"):
        assign(practice)
    assert MeasureAssignment.objects.filter(ended_at__isnull=True).count() == 1


def test_the_database_wants_who_ended_it_with_when(practice):
    assignment = assign(practice)
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureAssignment.objects.filter(pk=assignment.pk).update(ended_at=clock.now())
