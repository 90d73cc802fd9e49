"""The client's record download and accounting of disclosures: theirs only, no process notes."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.disclosures import services as disclosure_services
from wellkept.disclosures.tests.helpers import GP, authorise, disclose
from wellkept.messaging import services as messaging
from wellkept.portal.tests.conftest import portal_user, signed_in
from wellkept.portal.views import record as record_views
from wellkept.practice import services as practice_services
from wellkept.practice.tests.conftest import ADA_LEGAL
from wellkept.practice.tests.notes_helpers import signed

pytestmark = pytest.mark.django_db

PAGES = ["portal:record", "portal:disclosures"]
DOWNLOADS = ["portal:record_json", "portal:record_fhir"]
PNOTE = "Process note: Okapicanary dream again."


def ada_with_a_history(practice):
    """Ada with a signed progress note, a process note, a disclosure, a revoked authorisation."""
    ada = practice.clients["ada"]
    signed(practice)
    practice_services.pnote_write(actor=practice.people["tess"], client=ada, body=PNOTE)
    disclose(practice, authorise(practice), categories=("demographics", "progress_notes"))
    revoked = authorise(practice)
    disclosure_services.authorisation_revoke(
        actor=practice.people["tess"], authorisation=revoked, reason="Client asked in writing."
    )


@pytest.mark.parametrize("name", PAGES)
def test_it_serves_each_page_to_the_client_and_audits_the_read(practice, ada_portal, name):
    response = ada_portal.get(reverse(name))
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(event=EventType.RECORD_READ).latest("id")
    assert entry.target.startswith(f"client:{practice.clients['ada'].pk}/portal/")


def test_it_says_plainly_that_psychotherapy_notes_are_not_included(practice, ada_portal):
    text = ada_portal.get(reverse("portal:record")).text
    assert "Psychotherapy notes" in text
    assert "never part of this download" in text


def test_it_downloads_the_whole_record_and_never_a_psychotherapy_note(practice, ada_portal):
    ada_with_a_history(practice)
    response = ada_portal.get(reverse("portal:record_json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode()
    document = json.loads(body)

    assert "Kestrelcanary" in body  # the progress note
    assert document["diagnoses"][0]["code"] == "F43.20"
    assert document["details"]["Legal name"]
    (line,) = document["disclosures"]["rows"]
    assert GP.name in line["Recipient"]
    statuses = sorted(r["Status"] for r in document["authorisations"]["rows"])
    assert statuses == ["Current", "Revoked"]
    assert any(e["who"] for e in document["access_log"])
    assert "Okapicanary" not in body
    export = AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).latest("id")
    assert export.target == f"client:{practice.clients['ada'].pk}/portal/record"
    assert export.outcome == Outcome.ALLOWED


def test_the_fhir_download_is_an_r5_document_without_a_psychotherapy_note(practice, ada_portal):
    ada_with_a_history(practice)
    response = ada_portal.get(reverse("portal:record_fhir"))
    assert response.status_code == 200
    bundle = json.loads(response.content)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "document"
    assert bundle["entry"][0]["resource"]["resourceType"] == "Composition"
    assert b"Okapicanary" not in response.content
    # Progress notes travel base64-encoded as DocumentReference attachments.
    assert any(e["resource"]["resourceType"] == "DocumentReference" for e in bundle["entry"])


def test_another_clients_download_holds_nothing_of_ada(practice):
    # Ben's own login (the fixtures' clients share one address: Ada has none here).
    ada_with_a_history(practice)
    ben = signed_in(portal_user(practice.clients["ben"]))
    body = ben.get(reverse("portal:record_json")).content
    assert b"Kestrelcanary" not in body
    assert GP.name.encode() not in body
    assert json.loads(body)["client_code"] == practice.clients["ben"].code


def test_the_accounting_shows_recipient_purpose_and_status_never_content(practice, ada_portal):
    ada_with_a_history(practice)
    text = ada_portal.get(reverse("portal:disclosures")).text
    assert GP.name in text
    assert "Purposecanary" in text
    assert "Revoked" in text
    assert "Current" in text
    assert "Kestrelcanary" not in text


@pytest.mark.parametrize("who", ["tess", "fran", "bill", "priya", "amira"])
@pytest.mark.parametrize("name", PAGES + DOWNLOADS)
def test_staff_cannot_reach_a_clients_record_pages(practice, who, name):
    response = signed_in(practice.people[who]).get(reverse(name))
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        actor_id=str(practice.people[who].pk), outcome=Outcome.DENIED
    ).exists()


@pytest.mark.parametrize("name", PAGES + DOWNLOADS)
def test_a_signed_out_visitor_is_sent_to_sign_in(practice, name):
    from django.test import Client as Browser

    response = Browser().get(reverse(name))
    assert response.status_code == 302


def test_it_refuses_too_many_downloads_in_an_hour(practice, ada_portal, monkeypatch):
    monkeypatch.setattr(record_views, "DOWNLOADS_PER_HOUR", 2)
    codes = [ada_portal.get(reverse("portal:record_json")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert "try again" in ada_portal.get(reverse("portal:record_fhir")).text


def test_the_download_holds_the_clients_messages_and_signed_forms_never_a_consultation(
    practice, ada_portal
):
    ada, tess = practice.clients["ada"], practice.people["tess"]
    care = messaging.thread_start(
        actor=tess, client=ada, kind="care", subject="Sleep diary", body="Ocelotcanary: try this."
    )
    messaging.message_send(actor=tess, thread=care, body="And Tayracanary, too.")
    messaging.thread_start(
        actor=tess, client=ada, kind="consultation", subject="Pace", body="Fossacanary worry."
    )
    form = practice_services.document_request(actor=tess, client=ada, kind="treatment")
    practice_services.document_sign_in_office(
        actor=tess, signature=form, typed_name=ADA_LEGAL, agreed=True
    )

    body = ada_portal.get(reverse("portal:record_json")).content.decode()
    document = json.loads(body)

    rows = document["messages"]["rows"]
    assert [r["Message"] for r in rows] == ["Ocelotcanary: try this.", "And Tayracanary, too."]
    assert "Sleep diary" in rows[0]["Thread"]
    assert "Fossacanary" not in body  # a staff consultation is no part of the client's record
    signed_forms = [c for c in document["consents"] if c["signed"]]
    assert [c["text_sha256"] for c in signed_forms] == [form.version.digest]
