"""Sending, replying, read state, attachment limits, the auto-reply and the notification."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.messaging import hours, selectors, services
from wellkept.messaging.models import Attachment, Message, ThreadKind
from wellkept.messaging.tests.conftest import CLOSED, OPEN, PDF, PNG, SETUP
from wellkept.practice import services as practice_services
from wellkept.practice.tests.conftest import raw_column

pytestmark = pytest.mark.django_db


def test_it_stores_subject_and_body_encrypted_and_audits_the_send(world):
    message = services.message_send(
        actor=world.practice.people["tess"], thread=world.care, body="Zebracanary words"
    )
    raw = raw_column(Message, message.pk, "body")
    assert raw.startswith("wk1$")
    assert "Zebracanary" not in raw
    assert AuditEntry.objects.filter(
        event=EventType.MESSAGE_SENT, target__endswith=f"message:{message.pk}"
    ).exists()


def test_it_refuses_an_empty_message(world):
    with pytest.raises(ValidationError) as refused:
        services.message_send(actor=world.practice.people["tess"], thread=world.care, body="  ")
    assert "body" in refused.value.message_dict


def test_it_refuses_a_writer_the_rule_does_not_allow(world):
    people = world.practice.people
    for name, thread in (
        ("sue", world.care),  # a supervisor reads, never writes
        ("fran", world.care),  # the front desk: no care thread
        ("priya", world.scheduling),  # the privacy officer: no message at all
        ("theo", world.care),  # not Ada's therapist
    ):
        with pytest.raises(PermissionDenied):
            services.message_send(actor=people[name], thread=thread, body="no")
    with pytest.raises(PermissionDenied):
        services.message_send(actor=world.ada_login, thread=world.consultation, body="no")
    with pytest.raises(PermissionDenied):
        services.message_send(actor=world.ada_login, thread=world.ben_care, body="no")


def test_it_keeps_read_state_per_person(world):
    tess, ada = world.practice.people["tess"], world.ada_login
    assert selectors.own_unread_count(world.practice.clients["ada"], ada) == 3
    services.thread_mark_read(actor=ada, thread=world.care)
    assert selectors.own_unread_count(world.practice.clients["ada"], ada) == 2
    services.message_send(actor=tess, thread=world.care, body="A new one")
    assert selectors.own_unread_count(world.practice.clients["ada"], ada) == 3
    # The writer has read what they wrote.
    rows = selectors.staff_threads(actor=tess, organisation=world.practice.harbour)
    assert not next(r for r in rows if r.id == world.care.pk).unread


def test_it_keeps_an_attachment_encrypted_and_gives_it_back(world):
    services.message_send(
        actor=world.ada_login,
        thread=world.care,
        body="My form",
        attachment=services.Upload(name="../secret form.pdf", data=PDF),
    )
    stored = Attachment.objects.get(message__thread=world.care)
    raw = [raw_column(Attachment, stored.pk, c) for c in ("content", "name")]
    assert all(v.startswith("wk1$") for v in raw)
    assert stored.content_type == "application/pdf"
    assert stored.name == "secret form.pdf"
    _found, data = selectors.own_attachment(actor=world.ada_login, pk=stored.pk)
    assert data == PDF


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"", "empty"),
        (b"MZ\x90\x00\x03 an executable", "Only PDF"),
        (PNG + b"\x00" * 2048, "larger"),
    ],
)
def test_it_refuses_an_attachment_empty_too_big_or_of_another_type(world, settings, data, says):
    settings.WELLKEPT_MESSAGE_ATTACHMENT_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as refused:
        services.message_send(
            actor=world.practice.people["tess"],
            thread=world.care,
            # The name claims a PDF: only the content counts.
            attachment=services.Upload(name="fine.pdf", data=data),
            body="see attached",
        )
    assert says in " ".join(refused.value.message_dict["attachment"])


def test_it_sniffs_types_by_content_not_name():
    assert services.sniff_type(PNG) == "image/png"
    assert services.sniff_type(b"\xff\xd8\xff\xe0jfif") == "image/jpeg"
    assert services.sniff_type("plain words, café\n".encode()) == "text/plain"
    assert services.sniff_type(b"text with \x00 a nul") is None


def test_it_auto_replies_to_a_client_outside_hours_with_crisis_lines(world, at, settings):
    settings.WELLKEPT_TELEHEALTH_CRISIS_LINE = "0800 CANARY HELP"
    at(CLOSED)
    services.message_send(actor=world.ada_login, thread=world.care, body="Late at night")
    reply = Message.objects.filter(thread=world.care, automatic=True).get()
    assert "0800 CANARY HELP" in reply.body
    assert "emergency" in reply.body
    assert "Thursday 03 December at 09:00" in reply.body
    assert AuditEntry.objects.filter(event=EventType.MESSAGE_AUTO_REPLIED).exists()


def test_it_does_not_auto_reply_in_hours_or_to_staff(world, at):
    at(OPEN)
    services.message_send(actor=world.ada_login, thread=world.care, body="In hours")
    at(CLOSED)
    services.message_send(actor=world.practice.people["tess"], thread=world.care, body="Late")
    assert not Message.objects.filter(thread=world.care, automatic=True).exists()


def test_it_parses_practice_hours_and_refuses_bad_ones():
    spans = hours.parse_hours("Mon-Thu 08:30-18:00, Fri 08:30-13:00")
    assert hours.is_open(OPEN, spans)
    assert not hours.is_open(CLOSED, spans)
    for bad in ("Mon-Fri 9-5", "Fri-Mon 09:00-17:00", "Mon-Fri 17:00-09:00", "Someday 09:00-10:00"):
        with pytest.raises(ImproperlyConfigured, match="WELLKEPT_PRACTICE_HOURS"):
            hours.parse_hours(bad)


def test_it_mails_only_that_a_message_waits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(
            actor=world.practice.people["tess"], thread=world.care, body="Secretword canary"
        )
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [world.ada_login.email]
    text = sent.subject + sent.body
    assert "secure message is waiting" in text
    for leak in ("Secretword", "Between sessions", "Tess", "Harbour", "care"):
        assert leak not in text
    assert "/portal/messages/" in sent.body


def test_it_mails_staff_neutrally_and_never_the_client_of_a_consultation(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(
            actor=world.practice.people["tess"],
            thread=world.consultation,
            body="Consult words",
        )
    assert world.ada_login.email not in [a for m in mail.outbox for a in m.to]
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(actor=world.ada_login, thread=world.care, body="Client words")
    to_tess = [m for m in mail.outbox if m.to == [world.practice.people["tess"].email]]
    assert to_tess
    assert "Client words" not in to_tess[-1].body
    assert "/practice/messages/" in to_tess[-1].body


def test_it_gives_the_record_every_client_thread_but_no_consultation(world):
    record = selectors.messages_for_record(world.practice.clients["ada"])
    subjects = {t.subject for t in record}
    assert subjects == {"Between sessions", "Your time", "Invoice"}
    assert selectors.message_counts(world.practice.clients["ada"]) == {
        ThreadKind.BILLING.label: 1,
        ThreadKind.CARE.label: 1,
        ThreadKind.SCHEDULING.label: 1,
        ThreadKind.CONSULTATION.label: 1,
    }


def test_it_erases_the_client_s_threads_with_the_client(world):
    ada = world.practice.clients["ada"]
    services.message_send(
        actor=world.ada_login,
        thread=world.care,
        body="bye",
        attachment=services.Upload(name="a.txt", data=b"text"),
    )
    practice_services.client_erase(actor=SETUP, client=ada)
    assert not Message.objects.filter(client_id=ada.pk).exists()
    assert not Attachment.objects.filter(client_id=ada.pk).exists()
    assert AuditEntry.objects.filter(event=EventType.MESSAGES_ERASED).exists()


def test_it_refuses_to_start_with_unreadable_hours(settings):
    from wellkept.messaging.checks import check_practice_hours

    assert check_practice_hours() == []
    settings.WELLKEPT_PRACTICE_HOURS = "weekdays nine to five"
    assert [e.id for e in check_practice_hours()] == ["wellkept.E060"]


def test_a_supervisor_who_is_also_a_therapist_still_only_reads_a_supervisees_threads(world):
    """Sue supervises Tess and sees Ada's threads as her supervisor; a therapist role of her
    own in the practice does not let her write in them, nor start one."""
    from wellkept.orgs import services as orgs
    from wellkept.orgs.models import Role

    sue, ada = world.practice.people["sue"], world.practice.clients["ada"]
    orgs.staff_membership_grant(
        actor=SETUP, user=sue, organisation=world.practice.harbour, role=Role.SPECIALIST
    )
    with pytest.raises(PermissionDenied):
        services.message_send(actor=sue, thread=world.care, body="no")
    with pytest.raises(PermissionDenied):
        services.thread_start(
            actor=sue, client=ada, kind=ThreadKind.CONSULTATION, subject="s", body="no"
        )
    assert selectors.writable_kinds(sue, ada) == []
