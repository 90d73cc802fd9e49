"""Consent documents: immutable versions, requests, signatures by typed name, withdrawal, gating."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import selectors, services
from wellkept.practice.models import ConsentDocumentSignature, ConsentDocumentVersion, DocumentKind
from wellkept.practice.tests.conftest import ADA_LEGAL, SETUP, raw_column
from wellkept.practice.tests.telehealth_helpers import confirmed, jitsi, video_appointment

pytestmark = pytest.mark.django_db
__all__ = ["jitsi"]

TYPED = "  ada   canaryvale TESTWELL "


def publish(practice, kind=DocumentKind.TREATMENT, body="Version text.\n"):
    return services.document_version_publish(
        actor=practice.people["priya"],
        organisation=practice.harbour,
        kind=kind,
        title="Consent to treatment",
        body=body,
    )


def ask(practice, kind=DocumentKind.TREATMENT, client="ada", therapist="tess"):
    return services.document_request(
        actor=practice.people[therapist], client=practice.clients[client], kind=kind
    )


def sign_office(practice, asked, name=ADA_LEGAL, therapist="tess"):
    return services.document_sign_in_office(
        actor=practice.people[therapist], signature=asked, typed_name=name, agreed=True
    )


def test_it_publishes_numbered_versions_and_never_changes_one(practice):
    first = publish(practice, body="First text.")
    second = publish(practice, body="Second text.")
    assert (first.number, second.number) == (1, 2)
    first.refresh_from_db()
    assert first.body == "First text.\n"
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_DOCUMENT_PUBLISHED).count() == 2


def test_it_refuses_a_second_version_with_the_same_number(practice):
    first = publish(practice)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConsentDocumentVersion.objects.create(
            organisation=practice.harbour,
            kind=first.kind,
            number=first.number,
            title="x",
            body="x",
            digest=first.digest,
        )


@pytest.mark.parametrize("who", ["tess", "sue", "fran", "bill", "amira", "olga"])
def test_it_lets_only_the_privacy_officer_publish(practice, who):
    with pytest.raises(PermissionDenied):
        services.document_version_publish(
            actor=practice.people[who],
            organisation=practice.harbour,
            kind=DocumentKind.TREATMENT,
            title="Mine",
            body="Text",
        )
    assert not ConsentDocumentVersion.objects.exists()


def test_it_refuses_an_empty_document(practice):
    with pytest.raises(ValidationError) as refused:
        services.document_version_publish(
            actor=practice.people["priya"],
            organisation=practice.harbour,
            kind=DocumentKind.TREATMENT,
            title=" ",
            body="  ",
        )
    assert set(refused.value.message_dict) == {"title", "body"}


def test_it_publishes_the_default_text_at_the_first_request(practice):
    asked = ask(practice, DocumentKind.FINANCIAL)
    assert asked.version.number == 1
    assert asked.version.published_by is None
    assert "Financial policy" in asked.version.title


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "amira", "oren"])
def test_it_lets_only_the_clients_therapist_ask_or_sign_in_the_office(practice, who):
    with pytest.raises(PermissionDenied):
        ask(practice, therapist=who)
    asked = ask(practice)
    with pytest.raises(PermissionDenied):
        sign_office(practice, asked, therapist=who)
    asked.refresh_from_db()
    assert asked.signed_at is None


def test_it_refuses_asking_twice_for_the_same_version(practice):
    ask(practice)
    with pytest.raises(ValidationError):
        ask(practice)


def test_it_signs_with_the_digest_of_exactly_the_text_shown(practice):
    publish(practice, body="Exact words.\nLine two.")
    signed = sign_office(practice, ask(practice), name=TYPED)
    shown = "Consent to treatment\n\nExact words.\nLine two.\n"
    assert signed.digest == hashlib.sha256(shown.encode()).hexdigest()
    assert signed.digest == signed.version.digest
    assert services.document_text(signed.version) == shown
    assert signed.typed_name == "ada canaryvale TESTWELL"
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_DOCUMENT_SIGNED)
    assert "canaryvale" not in f"{entry.target} {entry.reason}".lower()


def test_it_stores_the_typed_name_only_encrypted(practice):
    signed = sign_office(practice, ask(practice))
    raw = raw_column(ConsentDocumentSignature, signed.pk, "typed_name")
    assert "Canaryvale" not in raw
    assert raw.startswith("wk1$")


def test_it_refuses_a_name_that_is_not_the_legal_name(practice):
    asked = ask(practice)
    with pytest.raises(ValidationError) as refused:
        sign_office(practice, asked, name="Addie")
    assert "legal name" in refused.value.message_dict["typed_name"][0]
    asked.refresh_from_db()
    assert asked.signed_at is None


def test_it_refuses_a_signature_without_agreement(practice):
    with pytest.raises(ValidationError) as refused:
        services.document_sign_in_office(
            actor=practice.people["tess"],
            signature=ask(practice),
            typed_name=ADA_LEGAL,
            agreed=False,
        )
    assert "agreed" in refused.value.message_dict


def test_it_refuses_signing_twice(practice):
    asked = ask(practice)
    sign_office(practice, asked)
    with pytest.raises(ValidationError):
        sign_office(practice, asked)


def test_it_lets_an_old_version_be_signed_but_shows_it_outdated(practice):
    publish(practice, body="Old.")
    asked = ask(practice)
    publish(practice, body="New.")
    signed = sign_office(practice, asked)
    assert signed.version.number == 1
    (row,) = selectors.document_rows(practice.clients["ada"])
    assert row.state == selectors.DocumentState.OUTDATED


def test_it_shows_pending_signed_and_withdrawn(practice):
    ask(practice, DocumentKind.FINANCIAL)
    signed = sign_office(practice, ask(practice, DocumentKind.DIGITAL))
    services.document_signature_mark_withdrawn(actor=SETUP, signature=signed)
    sign_office(practice, ask(practice, DocumentKind.TREATMENT))
    states = {
        r.signature.version.kind: r.state for r in selectors.document_rows(practice.clients["ada"])
    }
    assert states == {
        "financial": selectors.DocumentState.PENDING,
        "digital": selectors.DocumentState.WITHDRAWN,
        "treatment": selectors.DocumentState.SIGNED,
    }


def test_it_withdraws_by_a_time_never_a_delete_and_only_where_allowed(practice):
    signed = sign_office(practice, ask(practice, DocumentKind.TELEHEALTH))
    withdrawn = services.document_signature_mark_withdrawn(actor=SETUP, signature=signed)
    assert withdrawn.withdrawn_at is not None
    assert ConsentDocumentSignature.objects.filter(pk=signed.pk).exists()
    with pytest.raises(ValidationError):
        services.document_signature_mark_withdrawn(actor=SETUP, signature=withdrawn)
    treatment = sign_office(practice, ask(practice, DocumentKind.TREATMENT))
    with pytest.raises(ValidationError):
        services.document_signature_mark_withdrawn(actor=SETUP, signature=treatment)


def test_it_opens_video_with_a_signed_telehealth_document(practice, jitsi):
    room = confirmed(practice, video_appointment(practice))
    with pytest.raises(ValidationError):
        services.video_links_issue(actor=practice.people["tess"], room=room)
    sign_office(practice, ask(practice, DocumentKind.TELEHEALTH))
    assert services.video_links_issue(actor=practice.people["tess"], room=room).client


def test_it_closes_video_when_the_telehealth_document_is_withdrawn_or_replaced(practice, jitsi):
    room = confirmed(practice, video_appointment(practice))
    signed = sign_office(practice, ask(practice, DocumentKind.TELEHEALTH))
    services.document_signature_mark_withdrawn(actor=SETUP, signature=signed)
    assert not services.has_telehealth_consent(practice.clients["ada"])
    sign_office(practice, ask(practice, DocumentKind.TELEHEALTH))
    assert services.has_telehealth_consent(practice.clients["ada"])
    publish(practice, kind=DocumentKind.TELEHEALTH, body="A new telehealth text.")
    assert not services.has_telehealth_consent(practice.clients["ada"])
    with pytest.raises(ValidationError):
        services.video_links_issue(actor=practice.people["tess"], room=room)


def test_it_erases_the_signatures_with_the_client(practice):
    signed = sign_office(practice, ask(practice))
    services.client_erase(actor=SETUP, client=practice.clients["ada"])
    assert not ConsentDocumentSignature.objects.filter(pk=signed.pk).exists()


LEGAL = "Ada Canaryvale Testwell"


@settings(max_examples=60, deadline=None)
@given(
    spacing=st.lists(st.sampled_from([" ", "  ", "\t"]), min_size=4, max_size=4),
    upper=st.lists(st.booleans(), min_size=len(LEGAL), max_size=len(LEGAL)),
)
def test_it_accepts_the_legal_name_in_any_case_and_spacing(spacing, upper):
    letters = "".join(c.upper() if u else c.lower() for c, u in zip(LEGAL, upper, strict=True))
    words = letters.split(" ")
    typed = spacing[0] + spacing[1].join(words) + spacing[3]
    assert services.checked_signature(typed, LEGAL, agreed=True) == " ".join(words)


@settings(max_examples=60, deadline=None)
@given(typed=st.text(max_size=40))
def test_it_refuses_every_name_but_the_legal_one(typed):
    if " ".join(typed.split()).casefold() == LEGAL.casefold():
        return
    with pytest.raises(ValidationError):
        services.checked_signature(typed, LEGAL, agreed=True)
