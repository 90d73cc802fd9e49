"""Helpers for the telehealth tests: a configured Jitsi server, a video appointment, a consent."""

from __future__ import annotations

import pytest

from wellkept.practice import services
from wellkept.practice.models import Appointment, TelehealthConsent, VideoRoom
from wellkept.practice.tests.conftest import ADA_LEGAL, Practice
from wellkept.practice.tests.schedule import book, next_monday, slot

JITSI_URL = "https://meet.harbour.example"
APP_ID = "harbour-wellkept"
SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789"
LOCATION = "Flat 3, 12 Canaryquay Road, Brightsea"
CONTACT = "Brightsea emergency services 999; neighbour Nora Nearby +44 1632 960123"


@pytest.fixture
def jitsi(settings):
    settings.WELLKEPT_JITSI_URL = JITSI_URL
    settings.WELLKEPT_JITSI_APP_ID = APP_ID
    settings.WELLKEPT_JITSI_APP_SECRET = SECRET
    settings.WELLKEPT_TELEHEALTH_CRISIS_LINE = "Harbour crisis line 0800 000 111"
    return settings


def video_appointment(
    practice: Practice, client: str = "ada", therapist: str = "tess"
) -> VideoRoom:
    appointment: Appointment = book(practice, client, therapist, slot(next_monday()))
    return VideoRoom.objects.select_related("appointment__client").get(appointment=appointment)


def consent(practice: Practice, client: str = "ada", therapist: str = "tess") -> TelehealthConsent:
    return services.telehealth_consent_record(
        actor=practice.people[therapist], client=practice.clients[client], typed_name=ADA_LEGAL
    )


def confirmed(practice: Practice, room: VideoRoom, therapist: str = "tess") -> VideoRoom:
    return services.video_session_confirm(
        actor=practice.people[therapist],
        room=room,
        client_location=LOCATION,
        emergency_contact=CONTACT,
    )
