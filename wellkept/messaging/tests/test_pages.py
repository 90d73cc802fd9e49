"""The staff's and the client's message pages: who sees what, and the deny paths."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.messaging.models import Attachment, Message
from wellkept.messaging.services import Upload, message_send
from wellkept.messaging.tests.conftest import PDF
from wellkept.practice.tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def _portal(world):  # type: ignore[no-untyped-def]
    return signed_in(world.ada_login)


def test_it_shows_ada_her_threads_and_never_a_consultation_or_ben_s(world):
    page = _portal(world).get(reverse("messaging_portal:inbox")).content.decode()
    assert "Between sessions" in page
    assert "Your time" in page
    assert "Invoice" in page
    assert "Consultation subject" not in page
    assert "Ben&#x27;s thread" not in page


def test_it_answers_404_for_a_consultation_another_client_s_thread_or_a_made_up_id(world):
    browser = _portal(world)
    for thread in (world.consultation, world.ben_care):
        assert browser.get(reverse("messaging_portal:thread", args=[thread.pk])).status_code == 404
        reply = reverse("messaging_portal:reply", args=[thread.pk])
        assert browser.post(reply, {"body": "x"}).status_code == 404
    missing = reverse("messaging_portal:thread", args=["00000000-0000-0000-0000-000000000000"])
    assert browser.get(missing).status_code == 404


def test_it_lets_ada_write_and_reply_from_her_portal(world):
    browser = _portal(world)
    started = browser.post(
        reverse("messaging_portal:thread_new"),
        {"kind": "care", "subject": "A question", "body": "May I ask something?"},
    )
    assert started.status_code == 302
    page = browser.get(started["Location"]).content.decode()
    assert "May I ask something?" in page
    replied = browser.post(
        reverse("messaging_portal:reply", args=[world.care.pk]), {"body": "Thank you"}
    )
    assert replied.status_code == 302
    assert Message.objects.filter(thread=world.care, from_client=True).exists()


def test_it_refuses_a_consultation_kind_from_the_portal_form(world):
    response = _portal(world).post(
        reverse("messaging_portal:thread_new"),
        {"kind": "consultation", "subject": "s", "body": "b"},
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_it_shows_a_bad_file_beside_the_field_not_a_500(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = _portal(world).post(
        reverse("messaging_portal:reply", args=[world.care.pk]),
        {"body": "see", "attachment": SimpleUploadedFile("x.pdf", b"MZ\x00binary")},
    )
    assert response.status_code == 400
    assert "Only PDF, PNG, JPEG and plain text" in response.content.decode()


def test_it_downloads_an_attachment_as_an_attachment_and_refuses_others(world):
    message_send(
        actor=world.practice.people["tess"],
        thread=world.care,
        body="Worksheet",
        attachment=Upload(name="worksheet.pdf", data=PDF),
    )
    pk = Attachment.objects.get(message__thread=world.care).pk
    response = _portal(world).get(reverse("messaging_portal:attachment", args=[pk]))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Disposition"].startswith("attachment;")
    staff = signed_in(world.practice.people["tess"])
    assert staff.get(reverse("messaging:attachment", args=[pk])).status_code == 200
    for name in ("fran", "theo", "priya"):
        browser = signed_in(world.practice.people[name])
        assert browser.get(reverse("messaging:attachment", args=[pk])).status_code == 404


def test_it_shows_the_front_desk_scheduling_and_billing_threads_only(world):
    page = signed_in(world.practice.people["fran"]).get(reverse("messaging:inbox"))
    text = page.content.decode()
    assert "Your time" in text
    assert "Invoice" in text
    assert "Between sessions" not in text
    assert "Consultation subject" not in text


def test_it_lets_a_supervisor_read_a_care_thread_but_not_reply(world):
    sue = signed_in(world.practice.people["sue"])
    page = sue.get(reverse("messaging:thread", args=[world.care.pk]))
    assert page.status_code == 200
    assert "not write in it" in page.content.decode()
    reply = reverse("messaging:reply", args=[world.care.pk])
    assert sue.post(reply, {"body": "no"}).status_code == 404


def test_it_refuses_the_privacy_officer_every_message_page(world):
    priya = signed_in(world.practice.people["priya"])
    ada = world.practice.clients["ada"]
    for url in (
        reverse("messaging:inbox"),
        reverse("messaging:client_threads", args=[ada.pk]),
        reverse("messaging:thread", args=[world.scheduling.pk]),
    ):
        assert priya.get(url).status_code == 404


def test_it_lets_a_therapist_start_a_consultation_and_not_the_front_desk(world):
    ada = world.practice.clients["ada"]
    url = reverse("messaging:consultation_new", args=[ada.pk])
    assert signed_in(world.practice.people["fran"]).get(url).status_code == 404
    tess = signed_in(world.practice.people["tess"])
    assert tess.get(url).status_code == 200
    done = tess.post(url, {"kind": "consultation", "subject": "Second view", "body": "Thoughts?"})
    assert done.status_code == 302
    page = tess.get(reverse("messaging:client_threads", args=[ada.pk])).content.decode()
    assert "Second view" in page
    assert ada.code in page


def test_it_offers_the_front_desk_only_scheduling_and_billing_to_start(world):
    ada = world.practice.clients["ada"]
    page = signed_in(world.practice.people["fran"]).get(
        reverse("messaging:thread_new", args=[ada.pk])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert 'value="scheduling"' in text
    assert 'value="billing"' in text
    assert 'value="care"' not in text


def test_it_refuses_a_therapist_another_therapist_s_client(world):
    ada = world.practice.clients["ada"]
    theo = signed_in(world.practice.people["theo"])
    assert theo.get(reverse("messaging:client_threads", args=[ada.pk])).status_code == 404
    assert theo.get(reverse("messaging:thread_new", args=[ada.pk])).status_code == 404


def test_it_offers_a_supervisor_no_way_to_start_a_thread(world):
    ada = world.practice.clients["ada"]
    page = signed_in(world.practice.people["sue"]).get(
        reverse("messaging:client_threads", args=[ada.pk])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "Between sessions" in text
    assert "Write to the client" not in text
    assert "Consult colleagues" not in text


def test_an_attachment_never_lands_in_a_temporary_file_in_clear(world, monkeypatch):
    """A 3 MB PDF (over Django's 2.5 MB in-memory limit) is sent without touching the disk."""
    from django.core.files import uploadhandler
    from django.core.files.uploadedfile import SimpleUploadedFile

    def on_disk(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("an upload was written to a temporary file in clear")

    # Django's own handler writes a large upload through this class.
    monkeypatch.setattr(uploadhandler, "TemporaryUploadedFile", on_disk)
    big = PDF + b"%" * (3 * 1024 * 1024)
    sent = _portal(world).post(
        reverse("messaging_portal:reply", args=[world.care.pk]),
        {"body": "my scan", "attachment": SimpleUploadedFile("scan.pdf", big)},
    )
    assert sent.status_code == 302
    assert Attachment.objects.filter(message__thread=world.care, size=len(big)).exists()


def test_a_file_over_the_limit_is_refused_beside_the_field_and_never_kept_whole(world, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from wellkept.messaging.uploads import BoundedMemoryUploadHandler

    settings.WELLKEPT_MESSAGE_ATTACHMENT_MAX_BYTES = 2048
    before = Message.objects.count()
    response = _portal(world).post(
        reverse("messaging_portal:reply", args=[world.care.pk]),
        {"body": "too big", "attachment": SimpleUploadedFile("big.pdf", PDF + b"%" * 100_000)},
    )
    assert response.status_code == 400
    assert "The file is larger than 2 KB" in response.content.decode()
    assert Message.objects.count() == before

    handler = BoundedMemoryUploadHandler()
    handler.new_file("attachment", "big.pdf", "application/pdf", None)
    for start in range(0, 100_000, 4096):
        handler.receive_data_chunk(b"x" * 4096, start)
    kept = handler.file_complete(100_000)
    assert kept.size == 25 * 4096, "the true size, so the form can say it is too large"
    assert len(kept.read()) == 2049, "no more kept in memory than the limit and one byte"


def test_the_front_desk_sees_no_count_of_care_or_consultation_messages(world):
    fran = signed_in(world.practice.people["fran"])
    url = reverse("messaging:client_threads", args=[world.practice.clients["ada"].pk])
    page = fran.get(url + "?org=harbour").content.decode()
    assert "Scheduling" in page
    assert "Care (with the therapists):" not in page
    assert "Consultation between staff:" not in page
