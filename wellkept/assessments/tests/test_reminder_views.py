"""The unsubscribe link: a confirmation on GET, reminders off on POST (one-click too), 400 when bad.

Joe takes part at St Anne's (the ``hospital`` fixture) and has reminder
e-mails on; the link in his e-mail names his login and St Anne's, signed.
Nadia is a clinician there who never joined.
"""

from __future__ import annotations

import base64

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from wellkept.assessments.models import ReminderOptOut
from wellkept.assessments.reminders import unsubscribe_value
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

INVALID = (
    "This unsubscribe link is not valid. You can turn reminders off from My data after signing in."
)


def link_for(hospital, name="joe", value=None):
    signed = value or unsubscribe_value(
        user_pk=hospital.people[name].pk, organisation_pk=hospital.organisation.pk
    )
    return reverse("reminders:unsubscribe", kwargs={"signed": signed})


def opted_out(hospital, name="joe") -> bool:
    return ReminderOptOut.objects.filter(participant=hospital.participants[name]).exists()


def test_it_asks_for_confirmation_and_changes_nothing_on_get(client, hospital):
    before = AuditEntry.objects.count()
    response = client.get(link_for(hospital))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop reminder e-mails?" in html
    assert 'method="post"' in html
    assert not opted_out(hospital)
    assert AuditEntry.objects.count() == before


def test_it_turns_reminders_off_on_post(client, hospital):
    response = client.post(link_for(hospital))
    assert response.status_code == 200
    assert "Reminder e-mails stopped" in response.content.decode()
    assert opted_out(hospital)


def test_it_takes_a_mail_clients_one_click_post_without_a_csrf_token(hospital):
    # RFC 8058: the mail provider's server posts this body, with no cookie.
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        link_for(hospital),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert opted_out(hospital)


def test_it_treats_a_second_post_as_done(client, hospital):
    client.post(link_for(hospital))
    response = client.post(link_for(hospital))
    assert response.status_code == 200
    assert ReminderOptOut.objects.count() == 1
    assert AuditEntry.objects.filter(event=EventType.REMINDER_UNSUBSCRIBED).count() == 1


def test_it_records_the_unsubscription_under_the_link_without_the_clickers_address(
    client, hospital
):
    client.post(link_for(hospital), REMOTE_ADDR="203.0.113.9", HTTP_USER_AGENT="MailScanner/1")
    token = hospital.participants["joe"].token
    entry = AuditEntry.objects.get(event=EventType.REMINDER_UNSUBSCRIBED)
    assert (entry.actor_label, entry.target) == ("system:reminder-link", f"participant:{token}")
    for written in AuditEntry.objects.filter(target__contains=token):
        assert (written.ip, written.user_agent, written.actor_id) == ("", "", "")


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize(
    "tamper",
    [
        lambda value: value[:-3] + ("abc" if not value.endswith("abc") else "xyz"),
        lambda value: "not-a-signed-value",
        lambda value: signing.dumps(["x", "y"], salt="wellkept.reminders.unsubscribe"),
    ],
    ids=["altered", "made-up", "signed-not-sealed"],
)
def test_it_explains_a_bad_link_with_a_400(client, hospital, method, tamper):
    value = unsubscribe_value(
        user_pk=hospital.people["joe"].pk, organisation_pk=hospital.organisation.pk
    )
    response = getattr(client, method)(link_for(hospital, value=tamper(value)))
    assert response.status_code == 400
    assert INVALID in response.content.decode()
    assert not opted_out(hospital)


def test_it_rejects_a_validly_sealed_value_of_the_wrong_shape(client, hospital):
    from wellkept.assessments.reminders import LINK_BINDING
    from wellkept.vault.services import encrypt_text

    sealed = encrypt_text('{"user": "x"}', binding=LINK_BINDING)
    value = base64.urlsafe_b64encode(sealed.encode()).decode().rstrip("=")
    assert client.post(link_for(hospital, value=value)).status_code == 400


def test_it_confirms_for_a_login_that_no_longer_takes_part(client, hospital):
    response = client.post(link_for(hospital, name="nadia"))
    assert response.status_code == 200
    assert ReminderOptOut.objects.count() == 0


def test_it_acts_on_the_link_not_on_whoever_is_signed_in(client, hospital):
    client.force_login(hospital.people["sara"])
    assert client.post(link_for(hospital)).status_code == 200
    assert opted_out(hospital)
    assert not opted_out(hospital, "sara")
