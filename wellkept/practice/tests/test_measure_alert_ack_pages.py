"""An alert stays on the therapist's client list until they acknowledge it; others get 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.practice.models import MeasureAlert
from wellkept.practice.tests.conftest import signed_in
from wellkept.practice.tests.measures_helpers import phq9, record

pytestmark = pytest.mark.django_db

Q = "?org=harbour"
HOME = reverse("practice:client_list") + Q
ALERTS = reverse("practice:measure_alerts") + Q
BANNER = "measure alert to acknowledge"


@pytest.fixture
def alert(practice) -> MeasureAlert:
    record(practice, phq9(14, item9=2))
    return MeasureAlert.objects.get(therapist=practice.people["tess"])


def ack_url(alert: MeasureAlert) -> str:
    return reverse("practice:measure_alert_acknowledge", args=[alert.pk]) + Q


def test_the_alert_stays_on_the_practice_home_until_acknowledged(practice, alert):
    browser = signed_in(practice.people["tess"])
    assert BANNER in browser.get(HOME).text
    assert BANNER in browser.get(HOME).text
    alerts = browser.get(ALERTS)
    assert ack_url(alert) in alerts.text
    done = browser.post(ack_url(alert), follow=True)
    assert done.status_code == 200
    assert "acknowledged" in done.text
    assert ack_url(alert) not in done.text
    assert BANNER not in browser.get(HOME).text


def test_acknowledging_twice_says_so_rather_than_failing(practice, alert):
    browser = signed_in(practice.people["tess"])
    browser.post(ack_url(alert))
    page = browser.post(ack_url(alert), follow=True)
    assert page.status_code == 200
    assert "acknowledged already" in page.text


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "olga", "oren"])
def test_it_answers_404_to_anyone_but_the_alerted_therapist(practice, alert, who):
    browser = signed_in(practice.people[who])
    assert browser.post(ack_url(alert)).status_code == 404
    assert MeasureAlert.objects.get(pk=alert.pk).acknowledged_at is None


@pytest.mark.parametrize("who", ["theo", "sue", "fran"])
def test_nobody_else_sees_the_alert_on_their_practice_home(practice, alert, who):
    assert BANNER not in signed_in(practice.people[who]).get(HOME).text
