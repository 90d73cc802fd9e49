"""Consent document pages: the client's clinicians see states; the privacy officer publishes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.practice import services
from wellkept.practice.models import ConsentDocumentSignature, ConsentDocumentVersion, DocumentKind
from wellkept.practice.tests.conftest import ADA_LEGAL, signed_in

pytestmark = pytest.mark.django_db

Q = "?org=harbour"
OTHERS = ["theo", "fran", "bill", "priya", "amira", "olga", "oren"]


def url(name: str, *args: object) -> str:
    return reverse(f"practice:{name}", args=args) + Q


def test_the_therapist_asks_and_records_a_signature_in_the_office(practice):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people["tess"])
    assert browser.get(url("client_documents", ada.pk)).status_code == 200
    asked = browser.post(url("document_request", ada.pk), {"kind": "treatment"})
    assert asked.status_code == 302
    signature = ConsentDocumentSignature.objects.get(client=ada)
    page = browser.get(url("document_sign_in_office", ada.pk, signature.pk))
    assert page.status_code == 200
    wrong = browser.post(
        url("document_sign_in_office", ada.pk, signature.pk),
        {"typed_name": "Addie", "agreed": "on"},
    )
    assert wrong.status_code == 200
    assert "not the legal name" in wrong.text
    done = browser.post(
        url("document_sign_in_office", ada.pk, signature.pk),
        {"typed_name": ADA_LEGAL, "agreed": "on"},
    )
    assert done.status_code == 302
    listing = browser.get(url("client_documents", ada.pk))
    assert "Signed" in listing.text
    assert browser.get(url("document_receipt", ada.pk, signature.pk)).status_code == 200


def test_the_supervisor_sees_states_and_receipts_but_does_not_ask(practice):
    ada = practice.clients["ada"]
    signature = services.document_request(
        actor=practice.people["tess"], client=ada, kind=DocumentKind.TREATMENT
    )
    browser = signed_in(practice.people["sue"])
    page = browser.get(url("client_documents", ada.pk))
    assert page.status_code == 200
    assert "Ask the client to sign" not in page.text
    assert browser.post(url("document_request", ada.pk), {"kind": "treatment"}).status_code == 404
    sign = url("document_sign_in_office", ada.pk, signature.pk)
    assert browser.get(sign).status_code == 404


@pytest.mark.parametrize("who", OTHERS)
def test_everyone_else_gets_not_found_on_a_clients_documents(practice, who):
    ada = practice.clients["ada"]
    signature = services.document_request(
        actor=practice.people["tess"], client=ada, kind=DocumentKind.TREATMENT
    )
    services.document_sign_in_office(
        actor=practice.people["tess"], signature=signature, typed_name=ADA_LEGAL, agreed=True
    )
    browser = signed_in(practice.people[who])
    assert browser.get(url("client_documents", ada.pk)).status_code == 404
    assert browser.get(url("document_receipt", ada.pk, signature.pk)).status_code == 404
    assert browser.post(url("document_request", ada.pk), {"kind": "digital"}).status_code == 404
    assert ConsentDocumentSignature.objects.filter(client=ada).count() == 1


def test_a_bad_kind_gets_a_message_not_a_500(practice):
    ada = practice.clients["ada"]
    page = signed_in(practice.people["tess"]).post(
        url("document_request", ada.pk), {"kind": "nonsense"}
    )
    assert page.status_code == 400
    assert "Select a valid choice" in page.text


def test_the_privacy_officer_publishes_a_new_version(practice):
    browser = signed_in(practice.people["priya"])
    assert browser.get(url("document_templates")).status_code == 200
    assert browser.get(url("document_publish") + "&kind=treatment").status_code == 200
    done = browser.post(
        url("document_publish"),
        {"kind": "telehealth", "title": "Video sessions", "body": "Our words."},
    )
    assert done.status_code == 302
    version = ConsentDocumentVersion.objects.get(kind="telehealth")
    assert (version.number, version.published_by) == (1, practice.people["priya"])
    assert "Video sessions" in browser.get(url("document_templates")).text


@pytest.mark.parametrize("who", ["tess", "sue", "fran", "bill", "amira"])
def test_only_the_privacy_officer_reaches_the_templates(practice, who):
    browser = signed_in(practice.people[who])
    assert browser.get(url("document_templates")).status_code == 404
    posted = browser.post(
        url("document_publish"), {"kind": "telehealth", "title": "Mine", "body": "Text"}
    )
    assert posted.status_code == 404
    assert not ConsentDocumentVersion.objects.exists()
