"""Telehealth pages for every role: the therapist's, or a 404 that looks like a missing page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.practice.models import TelehealthConsent, VideoRoom
from wellkept.practice.tests.conftest import ADA_LEGAL, signed_in
from wellkept.practice.tests.telehealth_helpers import (
    CONTACT,
    LOCATION,
    confirmed,
    consent,
    jitsi,
    video_appointment,
)

pytestmark = pytest.mark.django_db
__all__ = ["jitsi"]

Q = "?org=harbour"
# Another therapist of the practice, the therapist's supervisor, the front
# desk, billing, the privacy officer, the administrator, another practice.
OTHERS = ["theo", "sue", "fran", "bill", "priya", "amira", "olga", "oren"]


def url(name: str, *args: object) -> str:
    return reverse(f"practice:{name}", args=args) + Q


def test_the_therapist_records_the_clients_consent_in_the_office(practice):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people["tess"])
    page = browser.get(url("telehealth_consent", ada.pk))
    assert page.status_code == 200
    assert "Consent to therapy by video" in page.text
    signed = browser.post(
        url("telehealth_consent", ada.pk), {"typed_name": ADA_LEGAL.upper(), "agreed": "on"}
    )
    assert signed.status_code == 302
    assert TelehealthConsent.objects.filter(client=ada).count() == 1


def test_the_client_page_links_to_the_consent_for_the_therapist_only(practice):
    ada = practice.clients["ada"]
    link = reverse("practice:telehealth_consent", args=[ada.pk])
    assert link in signed_in(practice.people["tess"]).get(url("client", ada.pk)).text
    assert link not in signed_in(practice.people["fran"]).get(url("client", ada.pk)).text


@pytest.mark.parametrize(
    ("form", "said"),
    [
        ({"typed_name": "", "agreed": "on"}, "types their full legal name to sign"),
        ({"typed_name": ADA_LEGAL}, "Tick the box"),
        ({"typed_name": "Addie", "agreed": "on"}, "full legal name, as it is in their record"),
        ({"typed_name": "x" * 300, "agreed": "on"}, "Keep the name under"),
    ],
)
def test_it_explains_a_refused_signature(practice, form, said):
    ada = practice.clients["ada"]
    page = signed_in(practice.people["tess"]).post(url("telehealth_consent", ada.pk), form)
    assert page.status_code == 200
    assert said in page.text
    assert not TelehealthConsent.objects.exists()


@pytest.mark.parametrize("who", OTHERS)
def test_the_consent_page_is_not_found_for_anyone_else(practice, who):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people[who])
    assert browser.get(url("telehealth_consent", ada.pk)).status_code == 404
    posted = browser.post(
        url("telehealth_consent", ada.pk), {"typed_name": ADA_LEGAL, "agreed": "on"}
    )
    assert posted.status_code == 404
    assert not TelehealthConsent.objects.exists()


def test_the_therapist_confirms_the_protocol_then_gets_the_links(practice, jitsi):
    consent(practice)
    room = video_appointment(practice)
    browser = signed_in(practice.people["tess"])
    detail = browser.get(url("appointment", room.appointment_id))
    assert "Start video session" in detail.text
    first = browser.get(url("video_session", room.appointment_id))
    assert first.status_code == 200
    assert "Where the client is now" in first.text
    assert "?jwt=" not in first.text
    done = browser.post(
        url("video_session", room.appointment_id),
        {"client_location": LOCATION, "emergency_contact": CONTACT},
    )
    assert done.status_code == 302
    page = browser.get(url("video_session", room.appointment_id))
    assert f"https://meet.harbour.example/{room.name}?jwt=" in page.text
    assert "Client in distress" in page.text
    assert "Nora Nearby" in page.text
    assert "Harbour crisis line 0800 000 111" in page.text


def test_the_links_are_refused_without_consent_with_what_to_do(practice, jitsi):
    room = confirmed(practice, video_appointment(practice))
    page = signed_in(practice.people["tess"]).get(url("video_session", room.appointment_id))
    assert page.status_code == 200
    assert "has not signed the current telehealth consent" in page.text
    assert "?jwt=" not in page.text


def test_it_explains_an_incomplete_protocol(practice, jitsi):
    room = video_appointment(practice)
    page = signed_in(practice.people["tess"]).post(
        url("video_session", room.appointment_id), {"client_location": "", "emergency_contact": ""}
    )
    assert page.status_code == 200
    assert "Ask the client where they are now" in page.text
    assert "Write a local emergency number" in page.text
    assert VideoRoom.objects.get(pk=room.pk).confirmed_at is None


@pytest.mark.parametrize("who", OTHERS)
def test_the_session_pages_are_not_found_for_anyone_else(practice, jitsi, who):
    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    browser = signed_in(practice.people[who])
    assert browser.get(url("video_session", room.appointment_id)).status_code == 404
    posted = browser.post(
        url("video_session", room.appointment_id),
        {"client_location": "Elsewhere", "emergency_contact": "000"},
    )
    assert posted.status_code == 404
    assert browser.post(url("video_link_email", room.appointment_id)).status_code == 404
    assert VideoRoom.objects.get(pk=room.pk).client_location == LOCATION


def test_the_front_desk_sees_no_link_on_the_appointment(practice, jitsi):
    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    detail = signed_in(practice.people["fran"]).get(url("appointment", room.appointment_id))
    assert detail.status_code == 200
    assert "Start video session" not in detail.text
    assert room.name not in detail.text


def test_a_missing_or_in_person_appointment_is_not_found(practice, jitsi):
    browser = signed_in(practice.people["tess"])
    assert (
        browser.get(url("video_session", "00000000-0000-0000-0000-000000000000")).status_code == 404
    )


def test_the_therapist_emails_the_client_their_link(
    practice, jitsi, django_capture_on_commit_callbacks
):
    from django.core import mail

    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    with django_capture_on_commit_callbacks(execute=True):
        sent = signed_in(practice.people["tess"]).post(url("video_link_email", room.appointment_id))
    assert sent.status_code == 302
    assert len(mail.outbox) == 1


def test_the_therapist_records_a_withdrawal_from_the_consent_page(practice):
    consent(practice)
    ada = practice.clients["ada"]
    browser = signed_in(practice.people["tess"])
    assert (
        "The client withdraws this consent" in browser.get(url("telehealth_consent", ada.pk)).text
    )
    done = browser.post(url("telehealth_consent_withdraw", ada.pk), follow=True)
    assert "their sessions are in person now" in done.text
    assert not TelehealthConsent.objects.filter(client=ada, withdrawn_at__isnull=True).exists()


@pytest.mark.parametrize("who", OTHERS)
def test_the_withdrawal_is_not_found_for_anyone_else(practice, who):
    consent(practice)
    ada = practice.clients["ada"]
    posted = signed_in(practice.people[who]).post(url("telehealth_consent_withdraw", ada.pk))
    assert posted.status_code == 404
    assert TelehealthConsent.objects.filter(client=ada, withdrawn_at__isnull=True).exists()
