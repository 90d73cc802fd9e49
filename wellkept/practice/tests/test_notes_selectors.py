"""Reading notes: who may read which note, one audited decision each, 404 for the rest."""

from __future__ import annotations

import pytest
from django.http import Http404

from wellkept.access.actions import Action
from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import selectors, services
from wellkept.practice.tests.notes_helpers import draft, participant, signed

pytestmark = pytest.mark.django_db

# Tess writes about Ada; Sue supervises Tess; Theo works with Ben and Mia only.
READERS = ["tess", "sue"]
NOT_READERS = ["theo", "fran", "bill", "priya", "amira", "olga", "oren"]


def read(practice, who, note):
    return selectors.get_note_for(
        actor=practice.people[who], client=note.client, pk=note.pk, action=Action.READ
    )


@pytest.mark.parametrize("who", READERS)
def test_the_author_and_the_authors_supervisor_read_a_note(practice, who):
    note = signed(practice)
    assert read(practice, who, note) == note
    entry = AuditEntry.objects.filter(event=EventType.RECORD_READ).latest("id")
    assert entry.target == f"client:{note.client_id}/note:{note.pk}"


@pytest.mark.parametrize("who", NOT_READERS)
def test_nobody_else_reads_a_note_and_the_refusal_is_audited(practice, who):
    note = signed(practice)
    with pytest.raises(Http404):
        read(practice, who, note)
    denied = AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).latest("id")
    assert denied.target == f"client:{note.client_id}/note:{note.pk}"


def test_a_participant_does_not_read_a_note(practice):
    note = signed(practice)
    with pytest.raises(Http404):
        selectors.get_note_for(
            actor=participant(), client=note.client, pk=note.pk, action=Action.READ
        )


def test_another_therapist_of_the_same_client_reads_the_note(practice):
    note = signed(practice)
    services.client_assign(
        actor=SystemActor("tests"), client=note.client, therapist=practice.people["theo"]
    )
    assert read(practice, "theo", note) == note


def test_a_therapist_who_stopped_working_with_the_client_keeps_their_own_notes_only(practice):
    own = signed(practice)
    ada = own.client
    services.client_assign(
        actor=SystemActor("tests"), client=ada, therapist=practice.people["theo"]
    )
    theirs = signed(practice, author="theo", client="ada")
    services.client_unassign(
        actor=SystemActor("tests"), client=ada, therapist=practice.people["tess"]
    )
    assert read(practice, "tess", own) == own
    with pytest.raises(Http404):
        read(practice, "tess", theirs)


@pytest.mark.parametrize(
    ("who", "count"),
    [("tess", 1), ("sue", 1), ("theo", 0), ("fran", 0), ("bill", 0), ("priya", 0), ("amira", 0)],
)
def test_it_lists_a_clients_notes_to_those_who_may_read_them(practice, who, count):
    note = draft(practice)
    listed = selectors.client_notes(actor=practice.people[who], client=note.client)
    assert len(listed) == count


def test_the_cosign_queue_holds_the_supervisees_signed_notes_only(practice):
    waiting = signed(practice)
    draft(practice)
    signed(practice, author="theo", client="ben")
    sue = practice.people["sue"]
    assert selectors.cosign_queue(actor=sue, organisation=practice.harbour) == [waiting]
    services.note_cosign(actor=sue, note=waiting)
    assert selectors.cosign_queue(actor=sue, organisation=practice.harbour) == []
    assert (
        selectors.cosign_queue(actor=practice.people["theo"], organisation=practice.harbour) == []
    )
