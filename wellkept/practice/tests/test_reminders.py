"""Appointment reminders: once each, only to clients who agreed to e-mail, saying nothing more."""

from __future__ import annotations

import datetime as dt
import smtplib
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from wellkept import clock
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import services
from wellkept.practice.models import Appointment
from wellkept.practice.reminders import reminder_text
from wellkept.practice.services import Intake
from wellkept.practice.tests.conftest import ADA_LEGAL, ADA_PREFERRED, SETUP
from wellkept.practice.tests.schedule import book, rooms, slot

pytestmark = pytest.mark.django_db


def tomorrow(hour: int = 10) -> dt.datetime:
    day = clock.now().astimezone(dt.UTC).date() + dt.timedelta(days=1)
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)
    # Within the next 24 hours whatever time the test runs.
    while moment - clock.now() >= dt.timedelta(hours=24):
        moment -= dt.timedelta(hours=1)
    return moment


def run(*args: str) -> str:
    out = StringIO()
    call_command("practice", "reminders", "send", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def ada_tomorrow(practice):
    room = rooms(practice)
    return book(practice, "ada", "tess", slot(tomorrow(), room=room["blue"]))


def test_it_sends_one_reminder_per_appointment_and_audits_it(practice, ada_tomorrow) -> None:
    assert run() == "Sent 1 appointment reminder(s).\n"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada.testwell@example.invalid"]
    assert run() == "Sent 0 appointment reminder(s).\n"
    assert len(mail.outbox) == 1
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_APPOINTMENT_REMINDED)
    assert entry.target == f"appointment:{ada_tomorrow.pk}"
    assert entry.actor_label == "system:practice reminders send"


def test_it_says_only_the_date_time_place_and_practice(practice, ada_tomorrow) -> None:
    run()
    message = mail.outbox[0]
    text = message.subject + "\n" + message.body
    assert "Harbour Practice" in text
    assert "Blue Room" in text
    assert ada_tomorrow.start.strftime("%H:%M") in text
    # Nothing about who, with whom or what for.
    for forbidden in (
        *ADA_LEGAL.split(),
        ADA_PREFERRED,
        practice.clients["ada"].code,
        "Tess",
        "tess@",
        "therap",
        "counsel",
        "session",
        "psych",
    ):
        assert forbidden.lower() not in text.lower(), forbidden


def test_it_says_the_video_link_will_follow_for_a_video_appointment(practice) -> None:
    appointment = book(practice, "ada", "tess", slot(tomorrow()))
    subject, body = reminder_text(appointment)
    assert "the video link will be sent to you" in body
    assert subject == "Appointment reminder from Harbour Practice"


def test_it_does_not_write_to_a_client_who_did_not_agree_to_e_mail(practice) -> None:
    ben = practice.clients["ben"]
    services.client_update(
        actor=SETUP,
        client=ben,
        intake=Intake(
            legal_name="Ben Samplesby",
            date_of_birth=dt.date(1990, 1, 1),
            email="ben@example.invalid",
            phone="+44 20 7946 0000",
            contact_channels=("phone",),
        ),
    )
    book(practice, "ben", "theo", slot(tomorrow()))
    said = run()
    assert said == (
        "Sent 0 appointment reminder(s). 1 client(s) did not agree to e-mail: not reminded.\n"
    )
    assert mail.outbox == []


def test_it_skips_cancelled_far_and_past_appointments(practice) -> None:
    cancelled = book(practice, "ada", "tess", slot(tomorrow()))
    services.appointment_cancel(actor=SETUP, appointment=cancelled)
    book(practice, "ada", "tess", slot(tomorrow() + dt.timedelta(days=3)))
    assert run() == "Sent 0 appointment reminder(s).\n"


def test_it_sends_nothing_on_a_dry_run(practice, ada_tomorrow) -> None:
    assert run("--dry-run") == "Would send 1 appointment reminder(s). Nothing was sent.\n"
    assert mail.outbox == []
    ada_tomorrow.refresh_from_db()
    assert ada_tomorrow.reminded_at is None


def test_it_retries_a_reminder_the_mail_server_refused(practice, ada_tomorrow, monkeypatch) -> None:
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    said = run()
    assert "1 could not be sent and will be retried" in said
    assert Appointment.objects.get().reminded_at is None
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_APPOINTMENT_REMINDED).exists()
    monkeypatch.undo()
    assert run() == "Sent 1 appointment reminder(s).\n"


def test_it_reminds_again_after_a_move(practice, ada_tomorrow) -> None:
    run()
    services.appointment_reschedule(
        actor=SETUP, appointment=ada_tomorrow, slot=slot(tomorrow() + dt.timedelta(hours=1))
    )
    assert run() == "Sent 1 appointment reminder(s).\n"


def test_it_sends_no_reminder_for_an_appointment_the_discharge_cancelled(
    practice, ada_tomorrow
) -> None:
    services.client_discharge(actor=SETUP, client=practice.clients["ada"], reason_code="completed")
    assert run() == "Sent 0 appointment reminder(s).\n"
    assert not mail.outbox
