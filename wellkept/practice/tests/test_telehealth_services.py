"""Telehealth services: rooms with the appointment, consent first, the emergency protocol, links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept import clock
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import services, telehealth_tokens
from wellkept.practice.models import TelehealthConsent, VideoRoom
from wellkept.practice.tests.conftest import ADA_LEGAL, SETUP, raw_column
from wellkept.practice.tests.schedule import book, next_monday, rooms, slot
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

OTHERS = ["theo", "sue", "fran", "bill", "priya", "amira", "olga", "oren"]


def events(event: EventType) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(event=event))


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["jwt"][0]


# ---- rooms -----------------------------------------------------------------------------


def test_it_gives_a_video_appointment_a_random_room_when_it_is_booked(practice):
    first = video_appointment(practice)
    second = video_appointment(practice, client="ben", therapist="theo")
    assert first.name != second.name
    assert "ada" not in first.name.lower()
    assert first.appointment.client.code not in first.name


def test_it_gives_an_appointment_in_a_room_no_video_room(practice):
    appointment = book(practice, "ada", "tess", slot(next_monday(), room=rooms(practice)["blue"]))
    assert not VideoRoom.objects.filter(appointment=appointment).exists()


def test_it_gives_a_room_when_an_appointment_moves_to_video(practice):
    appointment = book(practice, "ada", "tess", slot(next_monday(), room=rooms(practice)["blue"]))
    services.appointment_reschedule(actor=SETUP, appointment=appointment, slot=slot(next_monday()))
    assert VideoRoom.objects.filter(appointment=appointment).count() == 1


# ---- consent ---------------------------------------------------------------------------


def test_it_records_the_clients_telehealth_consent_encrypted_and_audited(practice, rf):
    request = rf.post("/", REMOTE_ADDR="203.0.113.9")
    request.user = practice.people["tess"]
    row = services.telehealth_consent_record(
        actor=practice.people["tess"],
        client=practice.clients["ada"],
        typed_name="  ada canaryvale   TESTWELL ",
        request=request,
    )
    row = TelehealthConsent.objects.get(pk=row.pk)
    assert row.version == services.CONSENT_VERSION
    assert row.digest == services.consent_digest()
    assert row.typed_name == "ada canaryvale TESTWELL"
    assert row.ip_address == "203.0.113.9"
    assert row.recorded_by == practice.people["tess"]
    assert "Canaryvale" not in raw_column(TelehealthConsent, row.pk, "typed_name")
    assert "203.0.113.9" not in raw_column(TelehealthConsent, row.pk, "ip_address")
    [entry] = events(EventType.PRACTICE_TELEHEALTH_CONSENT_RECORDED)
    assert entry.target == f"client:{practice.clients['ada'].pk}/telehealth_consent:{row.pk}"
    assert services.current_telehealth_consent(practice.clients["ada"]) == row


@pytest.mark.parametrize("typed", ["", "Addie", "Ada Testwell", "Ben Samplesby"])
def test_it_refuses_a_consent_not_signed_with_the_legal_name(practice, typed):
    with pytest.raises(ValidationError) as refused:
        services.telehealth_consent_record(
            actor=practice.people["tess"], client=practice.clients["ada"], typed_name=typed
        )
    assert "legal name" in " ".join(refused.value.messages)
    assert not TelehealthConsent.objects.exists()


@pytest.mark.parametrize("who", OTHERS)
def test_only_a_therapist_of_the_client_records_their_consent(practice, who):
    with pytest.raises(PermissionDenied):
        services.telehealth_consent_record(
            actor=practice.people[who], client=practice.clients["ada"], typed_name=ADA_LEGAL
        )
    assert not TelehealthConsent.objects.exists()


def test_a_consent_to_an_older_text_is_not_current(practice):
    old = consent(practice)
    TelehealthConsent.objects.filter(pk=old.pk).update(version="0.9")
    assert services.current_telehealth_consent(practice.clients["ada"]) is None


# ---- the emergency protocol and the links ----------------------------------------------


def test_it_refuses_links_without_a_current_consent_and_says_what_to_do(practice, jitsi):
    room = confirmed(practice, video_appointment(practice))
    with pytest.raises(ValidationError, match="Record it from the client's page"):
        services.video_links_issue(actor=practice.people["tess"], room=room)
    assert not events(EventType.PRACTICE_VIDEO_LINKS_ISSUED)


def test_it_refuses_links_before_the_location_is_confirmed(practice, jitsi):
    room = video_appointment(practice)
    consent(practice)
    with pytest.raises(ValidationError, match="Confirm where the client is"):
        services.video_links_issue(actor=practice.people["tess"], room=room)


def test_it_refuses_links_when_jitsi_is_not_configured(practice, settings):
    settings.WELLKEPT_JITSI_URL = ""
    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    with pytest.raises(ValidationError, match="video server is not set up"):
        services.video_links_issue(actor=practice.people["tess"], room=room)


def test_it_stores_the_protocol_encrypted_and_audits_it(practice):
    room = confirmed(practice, video_appointment(practice))
    room = VideoRoom.objects.get(pk=room.pk)
    assert (room.client_location, room.emergency_contact) == (LOCATION, CONTACT)
    assert room.confirmed_by == practice.people["tess"]
    assert "Canaryquay" not in raw_column(VideoRoom, room.pk, "client_location")
    assert "Nora" not in raw_column(VideoRoom, room.pk, "emergency_contact")
    [entry] = events(EventType.PRACTICE_VIDEO_SESSION_CONFIRMED)
    assert entry.target == f"appointment:{room.appointment_id}/video"
    assert "Canaryquay" not in str(entry.reason)


@pytest.mark.parametrize(
    ("location", "contact", "field"),
    [("", CONTACT, "client_location"), (LOCATION, "  ", "emergency_contact")],
)
def test_it_refuses_an_incomplete_protocol(practice, location, contact, field):
    with pytest.raises(ValidationError) as refused:
        services.video_session_confirm(
            actor=practice.people["tess"],
            room=video_appointment(practice),
            client_location=location,
            emergency_contact=contact,
        )
    assert field in refused.value.message_dict


def test_it_issues_a_moderator_link_for_the_therapist_and_a_guest_link_for_the_client(
    practice, jitsi
):
    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    links = services.video_links_issue(actor=practice.people["tess"], room=room)
    assert links.therapist.startswith(f"https://meet.harbour.example/{room.name}?jwt=")
    start = room.appointment.start
    therapist = telehealth_tokens.verify(token_of(links.therapist), room=room.name, at=start)
    client = telehealth_tokens.verify(token_of(links.client), room=room.name, at=start)
    assert therapist["moderator"] is True
    assert therapist["context"]["user"]["name"] == "Tess"
    assert client["moderator"] is False
    assert client["context"]["user"]["name"] == practice.clients["ada"].code
    assert "Ada" not in str(client)
    assert len(events(EventType.PRACTICE_VIDEO_LINKS_ISSUED)) == 1


def test_a_link_for_one_appointment_opens_no_other_room(practice, jitsi):
    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    other = video_appointment(practice, client="ben", therapist="theo")
    links = services.video_links_issue(actor=practice.people["tess"], room=room)
    with pytest.raises(jwt.InvalidTokenError):
        telehealth_tokens.verify(token_of(links.client), room=other.name, at=clock.now())


@pytest.mark.parametrize("who", OTHERS)
def test_only_the_therapist_holding_the_appointment_starts_it(practice, jitsi, who):
    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    with pytest.raises(PermissionDenied):
        services.video_links_issue(actor=practice.people[who], room=room)
    with pytest.raises(PermissionDenied):
        services.video_session_confirm(
            actor=practice.people[who], room=room, client_location="x", emergency_contact="y"
        )
    assert not events(EventType.PRACTICE_VIDEO_LINKS_ISSUED)


def test_it_emails_the_client_only_their_link(practice, jitsi, django_capture_on_commit_callbacks):
    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    with django_capture_on_commit_callbacks(execute=True):
        services.video_link_email(actor=practice.people["tess"], room=room)
    [message] = mail.outbox
    assert message.to == ["ada.testwell@example.invalid"]
    assert f"https://meet.harbour.example/{room.name}?jwt=" in message.body
    for secret in ("Ada", "Testwell", "Tess", "Canaryquay", "therapy", "video session with"):
        assert secret not in message.body
    assert len(events(EventType.PRACTICE_VIDEO_LINK_EMAILED)) == 1


def test_a_withdrawn_consent_stops_the_links_until_the_client_signs_again(practice, jitsi):
    consent(practice)
    room = confirmed(practice, video_appointment(practice))
    services.telehealth_consent_withdraw(
        actor=practice.people["tess"], client=practice.clients["ada"]
    )
    assert services.current_telehealth_consent(practice.clients["ada"]) is None
    with pytest.raises(ValidationError, match="has not signed the current telehealth consent"):
        services.video_links_issue(actor=practice.people["tess"], room=room)
    assert len(events(EventType.PRACTICE_TELEHEALTH_CONSENT_WITHDRAWN)) == 1
    consent(practice)
    assert services.video_links_issue(actor=practice.people["tess"], room=room).client


def test_it_refuses_to_withdraw_a_consent_that_was_never_given(practice):
    with pytest.raises(ValidationError, match="no telehealth consent to withdraw"):
        services.telehealth_consent_withdraw(
            actor=practice.people["tess"], client=practice.clients["ada"]
        )
    assert not events(EventType.PRACTICE_TELEHEALTH_CONSENT_WITHDRAWN)


@pytest.mark.parametrize("who", OTHERS)
def test_only_a_therapist_of_the_client_records_a_withdrawal(practice, who):
    consent(practice)
    with pytest.raises(PermissionDenied):
        services.telehealth_consent_withdraw(
            actor=practice.people[who], client=practice.clients["ada"]
        )
    assert services.current_telehealth_consent(practice.clients["ada"]) is not None
