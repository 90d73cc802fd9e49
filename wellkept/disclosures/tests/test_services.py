"""Release-of-information services: what may leave, under what, once, and what the trail keeps."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept import clock
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.tests import trail
from wellkept.disclosures import selectors, services
from wellkept.disclosures.models import (
    Authorisation,
    AuthorisationKind,
    Disclosure,
    DisclosureLink,
    LegalBasisKind,
)
from wellkept.disclosures.package import as_fhir, as_pdf, package_build
from wellkept.disclosures.tests.helpers import GP, PURPOSE, authorise, disclose, readable, today
from wellkept.practice import services as practice_services
from wellkept.practice.tests.conftest import SETUP, raw_column
from wellkept.practice.tests.notes_helpers import signed

pytestmark = pytest.mark.django_db

PNOTE = "Process note: Okapicanary dream again."
COURT = "Order 2026-CV-0420 of the county court requires the treatment dates."


def refusals_since(mark: trail.Mark) -> list[str]:
    return [
        e.reason
        for e in trail.written_since(mark)
        if e.event == EventType.ACCESS_DENIED and e.outcome == Outcome.DENIED
    ]


def download(raw: str) -> dict[str, bytes] | None:
    got = services.package_download(raw=raw)
    if got is None:
        return None
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def move_clock(monkeypatch: pytest.MonkeyPatch, **delta: float) -> None:
    moved = clock.now() + dt.timedelta(**delta)
    monkeypatch.setattr(clock, "now", lambda: moved)


def test_it_records_a_signed_authorisation_with_everything_personal_encrypted(practice):
    before = trail.mark()

    authorisation = authorise(practice)

    assert authorisation.is_current()
    assert authorisation.signed_name == "ada canaryvale testwell"
    assert len(authorisation.text_digest) == 64
    for column in ("recipient_name", "recipient_address", "purpose", "signed_name"):
        stored = raw_column(Authorisation, authorisation.pk, column)
        assert "canary" not in stored.lower(), column
    [entry] = [e for e in trail.written_since(before) if e.event != EventType.RECORD_CREATE]
    assert entry.event == EventType.DISCLOSURE_AUTHORISATION_SIGNED
    assert "Quillcanary" not in entry.reason


def test_it_refuses_a_signature_that_is_not_the_clients_legal_name(practice):
    with pytest.raises(ValidationError) as refused:
        services.authorisation_sign(
            actor=practice.people["tess"],
            client=practice.clients["ada"],
            kind=AuthorisationKind.RECORDS,
            categories=["demographics"],
            records_from=today(),
            records_to=today(),
            expires_on=today() + dt.timedelta(days=30),
            recipient=GP,
            purpose=PURPOSE,
            signed_name="Addie",
        )
    assert "signed_name" in refused.value.message_dict
    assert not Authorisation.objects.exists()


def test_it_refuses_an_expiry_that_is_not_after_today(practice):
    with pytest.raises(ValidationError) as refused:
        authorise(practice, expires_in=0)
    assert "expires_on" in refused.value.message_dict


def test_it_never_lets_psychotherapy_notes_into_an_ordinary_authorisation(practice):
    with pytest.raises(ValidationError) as refused:
        authorise(practice, categories=("demographics", "psychotherapy_notes"))
    assert "categories" in refused.value.message_dict
    with pytest.raises(ValidationError):
        authorise(
            practice,
            kind=AuthorisationKind.PSYCHOTHERAPY_NOTES,
            categories=("psychotherapy_notes", "demographics"),
        )
    assert not Authorisation.objects.exists()


def test_it_lets_only_the_clients_own_therapist_record_an_authorisation(practice):
    for who in ("theo", "sue", "fran", "bill", "priya", "amira", "oren", "olga"):
        before = trail.mark()
        with pytest.raises(PermissionDenied):
            services.authorisation_sign(
                actor=practice.people[who],
                client=practice.clients["ada"],
                kind=AuthorisationKind.RECORDS,
                categories=["demographics"],
                records_from=today(),
                records_to=today(),
                expires_on=today() + dt.timedelta(days=30),
                recipient=GP,
                purpose=PURPOSE,
                signed_name="Ada Canaryvale Testwell",
            )
        assert [e.event for e in trail.written_since(before)] == [EventType.ACCESS_DENIED], who
    assert not Authorisation.objects.exists()


def test_it_discloses_under_a_current_authorisation_and_the_link_works_once(practice):
    signed(practice)
    authorisation = authorise(practice)
    before = trail.mark()

    issued = disclose(practice, authorisation)

    assert [e.event for e in trail.written_since(before)][-1] == EventType.DISCLOSURE_MADE
    link = DisclosureLink.objects.get(disclosure=issued.disclosure)
    assert issued.raw not in (link.prefix, link.mac)
    assert link.expires_at - link.created_at == dt.timedelta(days=7)
    files = download(issued.raw)
    assert files is not None
    assert set(files) == {"disclosure.pdf", "bundle-r5.json", "bundle-r4b.json"}
    r5 = json.loads(files["bundle-r5.json"])
    assert r5["type"] == "document"
    assert r5["entry"][0]["resource"]["resourceType"] == "Composition"
    assert r5["entry"][1]["resource"]["name"][0]["text"] == "Ada Canaryvale Testwell"
    assert any(e["resource"]["resourceType"] == "DocumentReference" for e in r5["entry"])

    before = trail.mark()
    assert download(issued.raw) is None
    assert refusals_since(before) == ["link already used"]
    link.refresh_from_db()
    assert link.used_at is not None


def test_a_download_link_expires_after_seven_days(practice, monkeypatch):
    issued = disclose(practice, authorise(practice))
    move_clock(monkeypatch, days=7, seconds=1)
    before = trail.mark()

    assert download(issued.raw) is None

    assert refusals_since(before) == ["link expired"]
    assert DisclosureLink.objects.get(disclosure=issued.disclosure).used_at is None


def test_an_unknown_or_tampered_link_answers_nothing_and_is_audited(practice):
    issued = disclose(practice, authorise(practice))
    before = trail.mark()

    assert download(issued.raw[:-2] + "xx") is None
    assert download("nonsense") is None

    assert refusals_since(before) == ["unknown link", "unknown link"]
    assert download(issued.raw) is not None


def test_a_revoked_authorisation_releases_nothing(practice):
    authorisation = authorise(practice)
    given_before = disclose(practice, authorisation)
    services.authorisation_revoke(
        actor=practice.people["tess"],
        authorisation=authorisation,
        reason="The client asked in a signed letter dated today to stop all releases.",
    )
    authorisation.refresh_from_db()
    before = trail.mark()

    with pytest.raises(services.DisclosureRefused):
        disclose(practice, authorisation)
    # A link given before the revocation is worth nothing now either.
    assert download(given_before.raw) is None

    assert refusals_since(before) == ["authorisation revoked", "authorisation revoked"]
    assert Disclosure.objects.count() == 1
    assert raw_column(Authorisation, authorisation.pk, "revocation_reason").startswith("wk1$")


def test_an_expired_authorisation_releases_nothing(practice, monkeypatch):
    authorisation = authorise(practice, expires_in=3)
    given_before = disclose(practice, authorisation)
    move_clock(monkeypatch, days=4)
    before = trail.mark()

    with pytest.raises(services.DisclosureRefused) as refused:
        disclose(practice, authorisation)
    assert download(given_before.raw) is None

    assert refused.value.message_dict == {"basis": ["This authorisation has expired."]}
    assert refusals_since(before) == ["authorisation expired", "authorisation expired"]
    assert not selectors.current_authorisations(practice.clients["ada"])


def test_a_disclosure_without_a_basis_is_refused_and_the_refusal_stays_audited(practice):
    before = trail.mark()

    with pytest.raises(services.DisclosureRefused) as refused:
        disclose(practice, None, recipient=GP)

    assert "basis" in refused.value.message_dict
    assert refusals_since(before) == ["no basis"]
    assert not Disclosure.objects.exists()


def test_it_refuses_a_category_or_dates_the_authorisation_does_not_cover(practice):
    authorisation = authorise(practice, categories=("demographics",))
    before = trail.mark()

    with pytest.raises(services.DisclosureRefused):
        disclose(practice, authorisation, categories=("demographics", "measures"))
    with pytest.raises(services.DisclosureRefused):
        disclose(
            practice,
            authorisation,
            categories=("demographics",),
            records_from=today() - dt.timedelta(days=800),
        )

    assert refusals_since(before) == ["category not authorised", "date range not authorised"]
    assert not Disclosure.objects.exists()


def test_psychotherapy_notes_never_leave_without_their_own_authorisation(practice):
    ada = practice.clients["ada"]
    practice_services.pnote_write(actor=practice.people["tess"], client=ada, body=PNOTE)
    records = authorise(practice, categories=("demographics", "progress_notes"))
    basis = services.legal_basis_record(
        actor=practice.people["tess"],
        client=ada,
        kind=LegalBasisKind.COURT_ORDER,
        reference="2026-CV-0420",
        reason=COURT,
    )
    before = trail.mark()

    for kwargs in ({"authorisation": records}, {"authorisation": None, "legal_basis": basis}):
        with pytest.raises(services.DisclosureRefused) as refused:
            disclose(practice, categories=("psychotherapy_notes",), recipient=GP, **kwargs)
        assert "categories" in refused.value.message_dict
    assert refusals_since(before) == ["psychotherapy notes without their own authorisation"] * 2

    own = authorise(
        practice, kind=AuthorisationKind.PSYCHOTHERAPY_NOTES, categories=("psychotherapy_notes",)
    )
    with pytest.raises(services.DisclosureRefused):
        # Their own authorisation covers them alone.
        disclose(practice, own, categories=("psychotherapy_notes", "demographics"))
    issued = disclose(practice, own, categories=("psychotherapy_notes",))
    files = download(issued.raw)
    assert files is not None
    r4b = json.loads(files["bundle-r4b.json"])
    kinds = [e["resource"]["resourceType"] for e in r4b["entry"]]
    assert kinds == ["Composition", "Patient", "DocumentReference"]


def test_a_package_under_records_authorisation_holds_no_psychotherapy_note(practice):
    ada = practice.clients["ada"]
    signed(practice)
    practice_services.pnote_write(actor=practice.people["tess"], client=ada, body=PNOTE)
    issued = disclose(practice, authorise(practice), categories=("demographics", "progress_notes"))

    package = package_build(issued.disclosure, generated=clock.now())
    pdf = as_pdf(package, compress=False)

    assert b"Kestrelcanary" in pdf
    assert b"Okapicanary" not in pdf
    for release in ("R5", "R4B"):
        text = json.dumps(as_fhir(package, release=release))
        assert "Okapicanary" not in text


def test_a_legal_basis_alerts_the_privacy_officers_naming_nobody(
    practice, django_capture_on_commit_callbacks
):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        basis = services.legal_basis_record(
            actor=practice.people["tess"],
            client=practice.clients["ada"],
            kind=LegalBasisKind.DUTY_TO_WARN,
            reference="Call log 17",
            reason="The client named a person they intend to harm this week; warning required.",
        )
    [alert] = mail.outbox
    assert alert.to == [practice.people["priya"].email]
    assert "Ada" not in alert.body
    assert practice.clients["ada"].code not in alert.body
    assert "harm" not in alert.body
    assert raw_column(type(basis), basis.pk, "reason").startswith("wk1$")

    issued = disclose(
        practice,
        None,
        legal_basis=basis,
        categories=("demographics",),
        recipient=services.Recipient("Officer Dale", "County Police", "dale@example.invalid"),
    )
    [line] = selectors.accounting_for(practice.clients["ada"])
    assert line.disclosure_id == issued.disclosure.pk
    assert line.recipient == "Officer Dale, County Police"
    assert line.basis == "Duty to warn (Call log 17)"


def test_a_legal_basis_needs_a_real_reason(practice):
    with pytest.raises(ValidationError) as refused:
        services.legal_basis_record(
            actor=practice.people["tess"],
            client=practice.clients["ada"],
            kind=LegalBasisKind.COURT_ORDER,
            reference="Order 12",
            reason="court",
        )
    assert set(refused.value.message_dict) == {"reason"}


def test_the_accounting_lists_every_disclosure_with_recipient_purpose_and_basis(practice):
    authorisation = authorise(practice)
    disclose(practice, authorisation)
    disclose(practice, authorisation, categories=("diagnoses",))

    lines = selectors.accounting_for(practice.clients["ada"])

    assert [line.what for line in lines] == ["Diagnoses", "Demographics, Progress notes"]
    assert {line.recipient for line in lines} == {"Dr Gwen Quillcanary, Riverside Surgery"}
    assert {line.purpose for line in lines} == {PURPOSE}
    assert all(line.basis.startswith("Client's authorisation signed") for line in lines)
    assert selectors.accounting_for(practice.clients["ben"]) == []


def test_erasing_the_client_erases_their_authorisations_disclosures_and_links(practice):
    ada = practice.clients["ada"]
    basis = services.legal_basis_record(
        actor=practice.people["tess"],
        client=ada,
        kind=LegalBasisKind.MANDATED_REPORT,
        reference="Report 55-A",
        reason="Mandated report to the safeguarding board about the client.",
    )
    issued = disclose(practice, authorise(practice))
    disclose(practice, None, legal_basis=basis, categories=("demographics",), recipient=GP)

    practice_services.client_erase(actor=SETUP, client=ada)

    assert not Authorisation.objects.filter(client_id=ada.pk).exists()
    assert not Disclosure.objects.filter(client_id=ada.pk).exists()
    assert not DisclosureLink.objects.exists()
    assert download(issued.raw) is None


def test_the_recipient_downloads_what_was_disclosed_not_a_later_record(practice):
    """A note signed after the disclosure, inside its dates, is not in the package sent."""
    from wellkept.practice.tests.notes_helpers import SOAP, draft

    signed(practice)
    issued = disclose(practice, authorise(practice), categories=("progress_notes",))
    later = draft(practice, sections={**SOAP, "subjective": "Signed afterwards (Wombatcanary)."})
    practice_services.note_sign(actor=practice.people["tess"], note=later)

    files = download(issued.raw)
    assert files is not None
    everything = readable(files)
    assert b"Kestrelcanary" in everything
    assert b"Wombatcanary" not in everything
