"""Acknowledging a measure alert: its therapist only, who and when kept, audited, once."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from wellkept import clock
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import selectors, services
from wellkept.practice.models import MeasureAlert
from wellkept.practice.tests.conftest import SETUP
from wellkept.practice.tests.measures_helpers import phq9, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def alert(practice) -> MeasureAlert:
    record(practice, phq9(14, item9=2))
    return MeasureAlert.objects.get(therapist=practice.people["tess"])


def acknowledge(practice, alert: MeasureAlert, who: str = "tess") -> MeasureAlert:
    return services.measure_alert_acknowledge(actor=practice.people[who], alert=alert)


def waiting(practice, who: str = "tess") -> int:
    return selectors.unacknowledged_alert_count(
        user=practice.people[who], organisation=practice.harbour
    )


def test_it_records_who_acknowledged_and_when_and_audits_it(practice, alert):
    assert waiting(practice) == 1
    acknowledge(practice, alert)
    fresh = MeasureAlert.objects.get(pk=alert.pk)
    assert fresh.acknowledged_by == practice.people["tess"]
    assert fresh.acknowledged_at is not None
    assert fresh.acknowledged_at <= clock.now()
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_MEASURE_ALERT_ACKNOWLEDGED)
    assert entry.target == f"client:{alert.client_id}/measure-alert:{alert.pk}"
    assert waiting(practice) == 0


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "amira", "oren"])
def test_it_refuses_anyone_but_the_alerted_therapist(practice, alert, who):
    with pytest.raises(PermissionDenied):
        acknowledge(practice, alert, who)
    assert MeasureAlert.objects.get(pk=alert.pk).acknowledged_at is None
    assert not AuditEntry.objects.filter(
        event=EventType.PRACTICE_MEASURE_ALERT_ACKNOWLEDGED
    ).exists()


def test_a_colleague_on_the_same_client_acknowledges_only_their_own(practice):
    services.client_assign(
        actor=SETUP, client=practice.clients["ada"], therapist=practice.people["theo"]
    )
    record(practice, phq9(14, item9=2))
    tess_alert = MeasureAlert.objects.get(therapist=practice.people["tess"])
    with pytest.raises(PermissionDenied):
        acknowledge(practice, tess_alert, "theo")
    acknowledge(practice, MeasureAlert.objects.get(therapist=practice.people["theo"]), "theo")
    assert (waiting(practice, "tess"), waiting(practice, "theo")) == (1, 0)


def test_it_refuses_to_acknowledge_twice(practice, alert):
    acknowledge(practice, alert)
    with pytest.raises(ValidationError, match="acknowledged already"):
        acknowledge(practice, alert)
    assert (
        AuditEntry.objects.filter(event=EventType.PRACTICE_MEASURE_ALERT_ACKNOWLEDGED).count() == 1
    )


def test_the_database_wants_who_acknowledged_with_when(practice, alert):
    with pytest.raises(IntegrityError), transaction.atomic():
        MeasureAlert.objects.filter(pk=alert.pk).update(acknowledged_at=clock.now())
