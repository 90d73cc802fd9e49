"""The client's forms to sign: read, sign by typed name, receipt, withdraw; nobody else's."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.portal.tests.conftest import portal_user, signed_in
from wellkept.practice import services
from wellkept.practice.models import ConsentDocumentSignature, DocumentKind
from wellkept.practice.tests.conftest import ADA_LEGAL

pytestmark = pytest.mark.django_db


def ask(practice, kind=DocumentKind.TELEHEALTH, client="ada", therapist="tess"):
    return services.document_request(
        actor=practice.people[therapist], client=practice.clients[client], kind=kind
    )


def test_it_lists_the_forms_to_sign_and_signs_one(practice, ada_portal):
    asked = ask(practice)
    listing = ada_portal.get(reverse("portal:forms"))
    assert listing.status_code == 200
    assert reverse("portal:form_sign", args=[asked.pk]) in listing.text
    page = ada_portal.get(reverse("portal:form_sign", args=[asked.pk]))
    assert "Sessions by video take place" in page.text
    assert asked.version.digest in page.text
    done = ada_portal.post(
        reverse("portal:form_sign", args=[asked.pk]),
        {"typed_name": ADA_LEGAL.lower(), "agreed": "on"},
    )
    assert done.status_code == 302
    asked.refresh_from_db()
    assert asked.signed_at is not None
    assert asked.recorded_by is None
    assert asked.digest == asked.version.digest


def test_it_refuses_a_wrong_name_with_a_clear_message(practice, ada_portal):
    asked = ask(practice)
    page = ada_portal.post(
        reverse("portal:form_sign", args=[asked.pk]), {"typed_name": "Addie", "agreed": "on"}
    )
    assert page.status_code == 200
    assert "not the legal name" in page.text
    asked.refresh_from_db()
    assert asked.signed_at is None


def test_it_gives_a_receipt_with_the_text_digest_time_and_name(practice, ada_portal):
    asked = ask(practice)
    services.document_sign_in_office(
        actor=practice.people["tess"], signature=asked, typed_name=ADA_LEGAL, agreed=True
    )
    receipt = ada_portal.get(reverse("portal:form_receipt", args=[asked.pk]))
    assert receipt.status_code == 200
    assert "attachment" in receipt["Content-Disposition"]
    text = receipt.content.decode()
    asked.refresh_from_db()
    assert ADA_LEGAL in text
    assert asked.digest in text
    assert asked.version.title in text
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_DOCUMENT_RECEIPT).exists()


def test_it_withdraws_a_telehealth_consent(practice, ada_portal):
    asked = ask(practice)
    services.document_sign_in_office(
        actor=practice.people["tess"], signature=asked, typed_name=ADA_LEGAL, agreed=True
    )
    ada_portal.post(reverse("portal:form_withdraw", args=[asked.pk]))
    asked.refresh_from_db()
    assert asked.withdrawn_at is not None
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_DOCUMENT_WITHDRAWN).exists()


def test_another_clients_form_answers_404_and_is_audited(practice, ada_portal):
    bens = ask(practice, client="ben", therapist="theo")
    for name in ("portal:form_sign", "portal:form_receipt"):
        assert ada_portal.get(reverse(name, args=[bens.pk])).status_code == 404
    assert ada_portal.get(reverse("portal:form_sign", args=[uuid.uuid4()])).status_code == 404
    posted = ada_portal.post(
        reverse("portal:form_sign", args=[bens.pk]),
        {"typed_name": "Ben Samplesby", "agreed": "on"},
    )
    assert posted.status_code == 404
    assert ada_portal.post(reverse("portal:form_withdraw", args=[bens.pk])).status_code == 404
    assert ConsentDocumentSignature.objects.get(pk=bens.pk).signed_at is None
    assert (
        AuditEntry.objects.filter(outcome=Outcome.DENIED, target="portal:form:unknown").count() >= 4
    )


def test_another_clients_login_cannot_sign_through_the_service(practice):
    from django.core.exceptions import PermissionDenied

    from wellkept.portal.documents import portal_document_sign

    bens = ask(practice, client="ben", therapist="theo")
    with pytest.raises(PermissionDenied):
        portal_document_sign(
            actor=portal_user(practice.clients["ada"]),
            signature=bens,
            typed_name="Ben Samplesby",
            agreed=True,
        )


@pytest.mark.parametrize("who", ["tess", "sue", "fran", "bill", "priya", "amira"])
def test_staff_cannot_use_the_forms_pages(practice, who):
    asked = ask(practice)
    browser = signed_in(practice.people[who])
    assert browser.get(reverse("portal:forms")).status_code == 404
    assert browser.get(reverse("portal:form_sign", args=[asked.pk])).status_code == 404
