"""Progress notes' services: who may write, the state machine, codes, addenda, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from wellkept import clock
from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import services
from wellkept.practice.models import Addendum, NoteStatus, ProgressNote
from wellkept.practice.tests.conftest import raw_column
from wellkept.practice.tests.notes_helpers import (
    SOAP,
    draft,
    participant,
    signed,
    with_service_codes,
    yesterday,
)
from wellkept.vault.crypto import looks_sealed

pytestmark = pytest.mark.django_db


# ---- writing a draft ------------------------------------------------------------------


def test_it_lets_the_clients_therapist_start_a_note_from_a_template(practice):
    note = draft(practice)
    assert note.status == NoteStatus.DRAFT
    assert (note.template_code, note.template_version) == ("soap", "1.0")
    assert services.note_sections(note) == SOAP
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_NOTE_CREATED)
    assert entry.target == f"client:{note.client_id}/note:{note.pk}"
    assert entry.reason == "template soap-1.0"
    assert "Kestrelcanary" not in str(entry.__dict__)


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "amira", "oren"])
def test_it_refuses_a_note_from_anyone_but_the_clients_therapist(practice, who):
    with pytest.raises(PermissionDenied):
        draft(practice, author=who)
    assert not ProgressNote.objects.exists()


def test_it_refuses_a_note_from_a_participant(practice):
    with pytest.raises(PermissionDenied):
        services.note_create(
            actor=participant(),
            client=practice.clients["ada"],
            template_code="soap",
            service_date=yesterday(),
            sections=SOAP,
        )


def test_it_refuses_an_unknown_template_a_future_date_and_a_section_too_long(practice):
    with pytest.raises(ValidationError, match="template"):
        draft(practice, template_code="freeform")
    tomorrow = clock.now().date() + dt.timedelta(days=2)
    with pytest.raises(ValidationError, match="future"):
        draft(practice, service_date=tomorrow)
    with pytest.raises(ValidationError, match="under"):
        draft(practice, sections={**SOAP, "plan": "x" * (services.SECTION_MAX + 1)})
    with pytest.raises(ValidationError, match="no section"):
        draft(practice, sections={**SOAP, "gossip": "no"})


def test_it_refuses_a_diagnosis_that_is_not_billable(practice):
    with pytest.raises(ValidationError, match="more specific codes"):
        draft(practice, diagnosis_codes=["F43.1"])
    with pytest.raises(ValidationError, match="not a code"):
        draft(practice, diagnosis_codes=["depressed"])


def test_it_takes_diagnoses_in_the_releases_form(practice):
    note = draft(practice, diagnosis_codes=["f4310", "F43.10"])
    assert services.split_codes(note.diagnosis_codes) == ["F43.10"]


def test_it_takes_only_the_practices_own_active_service_codes(practice):
    with_service_codes(practice)
    note = draft(practice, service_codes=["90837"])
    assert services.split_codes(note.service_codes) == ["90837"]
    with pytest.raises(ValidationError, match="service codes"):
        draft(practice, service_codes=["99999"])


def test_it_lets_the_author_change_a_draft(practice):
    note = draft(practice)
    changed = services.note_update(
        actor=practice.people["tess"],
        note=note,
        service_date=yesterday(),
        sections={**SOAP, "plan": "Review next week."},
        diagnosis_codes=["F43.20"],
    )
    assert services.note_sections(changed)["plan"] == "Review next week."
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_NOTE_UPDATED).count() == 1


def test_it_lets_nobody_but_the_author_change_a_draft(practice):
    note = draft(practice)
    for who in ("sue", "theo", "fran"):
        with pytest.raises(PermissionDenied):
            services.note_update(
                actor=practice.people[who], note=note, service_date=yesterday(), sections=SOAP
            )
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_NOTE_UPDATED).exists()


# ---- signing, co-signing ----------------------------------------------------------------


def test_it_locks_an_unsupervised_therapists_note_when_signed(practice):
    note = signed(practice, author="theo", client="ben")
    assert note.status == NoteStatus.LOCKED
    assert note.signed_at is not None
    assert note.locked_at is not None
    assert not note.cosign_required
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_NOTE_SIGNED)
    assert entry.reason == "locked"


def test_it_holds_a_supervised_therapists_note_for_co_signature(practice):
    note = signed(practice)
    assert note.status == NoteStatus.SIGNED
    assert note.cosign_required
    assert note.locked_at is None
    assert AuditEntry.objects.get(event=EventType.PRACTICE_NOTE_SIGNED).reason == (
        "awaiting co-signature"
    )


def test_it_refuses_to_sign_a_note_with_a_required_section_empty(practice):
    note = draft(practice, sections={**SOAP, "objective": ""})
    with pytest.raises(ValidationError, match="Objective"):
        services.note_sign(actor=practice.people["tess"], note=note)
    assert ProgressNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def test_it_refuses_to_change_a_signed_note(practice):
    note = signed(practice)
    with pytest.raises(ValidationError, match="addendum"):
        services.note_update(
            actor=practice.people["tess"], note=note, service_date=yesterday(), sections=SOAP
        )
    with pytest.raises(ValidationError, match="already signed"):
        services.note_sign(actor=practice.people["tess"], note=note)


def test_it_lets_the_supervisor_co_sign_which_locks_the_note(practice):
    note = signed(practice)
    cosigned = services.note_cosign(actor=practice.people["sue"], note=note)
    assert cosigned.status == NoteStatus.LOCKED
    assert cosigned.cosigned_by == practice.people["sue"]
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_NOTE_COSIGNED).count() == 1


@pytest.mark.parametrize("who", ["tess", "theo", "fran", "bill", "priya", "amira"])
def test_it_refuses_a_co_signature_from_anyone_but_the_supervisor(practice, who):
    note = signed(practice)
    with pytest.raises(PermissionDenied):
        services.note_cosign(actor=practice.people[who], note=note)
    assert ProgressNote.objects.get(pk=note.pk).status == NoteStatus.SIGNED


def test_it_refuses_a_co_signature_for_a_draft_or_a_locked_note(practice):
    note = draft(practice)
    with pytest.raises(ValidationError, match="not waiting"):
        services.note_cosign(actor=practice.people["sue"], note=note)
    done = services.note_cosign(
        actor=practice.people["sue"],
        note=services.note_sign(actor=practice.people["tess"], note=note),
    )
    with pytest.raises(ValidationError, match="not waiting"):
        services.note_cosign(actor=practice.people["sue"], note=done)


def test_the_database_refuses_a_supervised_note_locked_without_co_signature(practice):
    note = signed(practice)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressNote.objects.filter(pk=note.pk).update(
            status=NoteStatus.LOCKED, locked_at=clock.now()
        )


def test_the_database_refuses_a_signed_note_without_a_signature_time(practice):
    note = draft(practice)
    with pytest.raises(IntegrityError), transaction.atomic():
        ProgressNote.objects.filter(pk=note.pk).update(status=NoteStatus.SIGNED)


# ---- addenda ------------------------------------------------------------------------


def test_it_adds_a_dated_signed_addendum_after_signing(practice):
    note = signed(practice, author="theo", client="ben")
    added = services.addendum_add(
        actor=practice.people["theo"], note=note, body="Client phoned: sleeping better."
    )
    assert added.signed_at is not None
    assert added.author == practice.people["theo"]
    assert "sleeping better" not in raw_column(Addendum, added.pk, "body")
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_ADDENDUM_ADDED)
    assert entry.target.endswith(f"/addendum:{added.pk}")


def test_it_refuses_an_addendum_to_a_draft_or_an_empty_one(practice):
    note = draft(practice)
    with pytest.raises(ValidationError, match="follows signing"):
        services.addendum_add(actor=practice.people["tess"], note=note, body="More.")
    locked = signed(practice, author="theo", client="ben")
    with pytest.raises(ValidationError, match="Write the addendum"):
        services.addendum_add(actor=practice.people["theo"], note=locked, body="  ")


@pytest.mark.parametrize("who", ["fran", "bill", "priya", "amira", "theo"])
def test_it_refuses_an_addendum_from_someone_outside_the_record(practice, who):
    note = signed(practice)
    with pytest.raises(PermissionDenied):
        services.addendum_add(actor=practice.people[who], note=note, body="More.")
    assert not Addendum.objects.exists()


# ---- at rest --------------------------------------------------------------------------


def test_it_stores_sections_and_codes_only_as_ciphertext(practice):
    with_service_codes(practice)
    note = draft(practice, service_codes=["90837"])
    for column, secret in (
        ("sections", "Kestrelcanary"),
        ("diagnosis_codes", "F43"),
        ("service_codes", "90837"),
    ):
        raw = raw_column(ProgressNote, note.pk, column)
        assert secret not in raw
        assert looks_sealed(raw)


def test_erasing_the_client_erases_their_notes(practice):
    note = signed(practice, author="theo", client="ben")
    services.client_erase(actor=SystemActor("tests"), client=practice.clients["ben"])
    assert not ProgressNote.objects.filter(pk=note.pk).exists()
