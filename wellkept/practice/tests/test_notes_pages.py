"""The notes' pages for every role: allowed, or a 404 that looks like a missing page."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from wellkept.accounts.tests.conftest import record_authentication
from wellkept.actors import SystemActor
from wellkept.practice import services
from wellkept.practice.models import Addendum, NoteStatus, ProgressNote, PsychotherapyNote
from wellkept.practice.tests.conftest import signed_in
from wellkept.practice.tests.notes_helpers import SOAP, draft, signed, yesterday

pytestmark = pytest.mark.django_db

HARBOUR = {"org": "harbour"}
Q = "?org=harbour"
STAFF_WITHOUT_NOTES = ["fran", "bill", "priya", "amira", "olga", "oren"]


def fresh(user):
    browser = signed_in(user)
    record_authentication(browser, user, "mfa", at=time.time(), type="totp")
    return browser


def url(name: str, *args: object) -> str:
    return reverse(f"practice:{name}", args=args) + Q


def note_post(**changes: str) -> dict[str, object]:
    data: dict[str, object] = {
        "service_date": yesterday().isoformat(),
        "diagnosis_codes": "F43.20",
        **{f"section_{k}": v for k, v in SOAP.items()},
    }
    data.update(changes)
    return data


# ---- the list and one note ---------------------------------------------------------------


@pytest.mark.parametrize("who", ["tess", "sue"])
def test_it_lists_a_clients_notes_to_the_therapist_and_the_supervisor(practice, who):
    note = draft(practice)
    page = signed_in(practice.people[who]).get(url("notes", note.client_id))
    assert page.status_code == 200
    assert reverse("practice:note", args=[note.client_id, note.pk]) in page.text


@pytest.mark.parametrize("who", [*STAFF_WITHOUT_NOTES, "theo"])
def test_it_answers_404_for_the_notes_to_anyone_else(practice, who):
    note = draft(practice)
    browser = signed_in(practice.people[who])
    assert browser.get(url("notes", note.client_id)).status_code == 404
    assert browser.get(url("note", note.client_id, note.pk)).status_code == 404


def test_it_shows_a_note_to_its_supervisor_with_the_way_to_co_sign(practice):
    note = signed(practice)
    page = signed_in(practice.people["sue"]).get(url("note", note.client_id, note.pk))
    assert page.status_code == 200
    assert SOAP["subjective"] in page.text
    assert "F43.20" in page.text
    assert reverse("practice:note_cosign", args=[note.client_id, note.pk]) in page.text


def test_the_client_page_links_the_notes_for_clinicians_only(practice):
    ada = practice.clients["ada"]
    tess = signed_in(practice.people["tess"]).get(url("client", ada.pk))
    assert reverse("practice:notes", args=[ada.pk]) in tess.text
    assert reverse("practice:pnotes", args=[ada.pk]) in tess.text
    sue = signed_in(practice.people["sue"]).get(url("client", ada.pk))
    assert reverse("practice:notes", args=[ada.pk]) in sue.text
    assert reverse("practice:pnotes", args=[ada.pk]) not in sue.text
    fran = signed_in(practice.people["fran"]).get(url("client", ada.pk))
    assert reverse("practice:notes", args=[ada.pk]) not in fran.text


# ---- writing ---------------------------------------------------------------------------


def test_it_lets_the_therapist_write_a_draft_from_a_template(practice):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people["tess"])
    form = browser.get(url("note_new", ada.pk) + "&template=birp")
    assert form.status_code == 200
    assert "Intervention" in form.text
    sent = browser.post(url("note_new", ada.pk) + "&template=soap", note_post())
    assert sent.status_code == 302
    note = ProgressNote.objects.get()
    assert note.status == NoteStatus.DRAFT


def test_it_shows_a_clear_message_for_a_code_that_is_not_billable(practice):
    ada = practice.clients["ada"]
    page = signed_in(practice.people["tess"]).post(
        url("note_new", ada.pk) + "&template=soap", note_post(diagnosis_codes="F43.1")
    )
    assert page.status_code == 200
    assert "more specific codes" in page.text
    assert not ProgressNote.objects.exists()


def test_it_sends_an_unknown_template_back_to_the_list(practice):
    ada = practice.clients["ada"]
    page = signed_in(practice.people["tess"]).get(url("note_new", ada.pk) + "&template=nope")
    assert page.status_code == 302
    assert not ProgressNote.objects.exists()


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "amira"])
def test_it_answers_404_to_a_new_note_from_anyone_but_the_therapist(practice, who):
    ada = practice.clients["ada"]
    page = signed_in(practice.people[who]).post(
        url("note_new", ada.pk) + "&template=soap", note_post()
    )
    assert page.status_code == 404
    assert not ProgressNote.objects.exists()


def test_it_lets_the_author_change_a_draft_but_not_a_signed_note(practice):
    note = draft(practice)
    browser = signed_in(practice.people["tess"])
    changed = browser.post(
        url("note_edit", note.client_id, note.pk), note_post(section_plan="Weekly now.")
    )
    assert changed.status_code == 302
    assert "Weekly now." in ProgressNote.objects.get(pk=note.pk).sections
    locked = signed(practice, author="theo", client="ben")
    theo = signed_in(practice.people["theo"])
    refused = theo.post(url("note_edit", locked.client_id, locked.pk), note_post())
    assert refused.status_code == 302
    assert ProgressNote.objects.get(pk=locked.pk).sections == locked.sections


# ---- signing needs a fresh second factor ---------------------------------------------


def test_it_asks_for_a_fresh_second_factor_before_signing(practice):
    note = draft(practice)
    stale = signed_in(practice.people["tess"]).post(url("note_sign", note.client_id, note.pk))
    assert stale.status_code == 302
    assert "reauthenticate" in stale["Location"]
    assert ProgressNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT
    done = fresh(practice.people["tess"]).post(url("note_sign", note.client_id, note.pk))
    assert done.status_code == 302
    assert ProgressNote.objects.get(pk=note.pk).status == NoteStatus.SIGNED


def test_the_supervisor_co_signs_from_the_queue(practice):
    note = signed(practice)
    sue = fresh(practice.people["sue"])
    queue = sue.get(reverse("practice:cosign_queue"), HARBOUR)
    assert queue.status_code == 200
    assert practice.clients["ada"].code in queue.text
    assert sue.post(url("note_cosign", note.client_id, note.pk)).status_code == 302
    assert ProgressNote.objects.get(pk=note.pk).status == NoteStatus.LOCKED
    assert (
        practice.clients["ada"].code not in sue.get(reverse("practice:cosign_queue"), HARBOUR).text
    )


@pytest.mark.parametrize("who", ["tess", "theo", "fran", "bill", "priya", "amira"])
def test_it_answers_404_to_the_co_sign_queue_for_anyone_but_a_supervisor(practice, who):
    assert (
        signed_in(practice.people[who]).get(reverse("practice:cosign_queue"), HARBOUR).status_code
        == 404
    )


@pytest.mark.parametrize("who", ["theo", "fran", "bill"])
def test_it_answers_404_to_signing_someone_elses_note(practice, who):
    note = draft(practice)
    page = fresh(practice.people[who]).post(url("note_sign", note.client_id, note.pk))
    assert page.status_code == 404
    assert ProgressNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def test_it_adds_an_addendum_to_a_signed_note(practice):
    note = signed(practice, author="theo", client="ben")
    browser = signed_in(practice.people["theo"])
    sent = browser.post(url("addendum_new", note.client_id, note.pk), {"body": "Phoned."})
    assert sent.status_code == 302
    assert Addendum.objects.get().body == "Phoned."
    empty = browser.post(url("addendum_new", note.client_id, note.pk), {"body": ""})
    assert empty.status_code == 302
    assert Addendum.objects.count() == 1


# ---- psychotherapy notes ---------------------------------------------------------------


def test_the_author_needs_a_fresh_second_factor_for_psychotherapy_notes(practice):
    ada = practice.clients["ada"]
    stale = signed_in(practice.people["tess"]).get(url("pnotes", ada.pk))
    assert stale.status_code == 302
    assert "reauthenticate" in stale["Location"]
    browser = fresh(practice.people["tess"])
    assert browser.post(url("pnotes", ada.pk), {"body": "Private thought."}).status_code == 302
    page = browser.get(url("pnotes", ada.pk))
    assert "Private thought." in page.text


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "amira", "oren"])
def test_it_answers_404_for_psychotherapy_notes_to_anyone_but_the_author(practice, who):
    ada = practice.clients["ada"]
    fresh(practice.people["tess"]).post(url("pnotes", ada.pk), {"body": "Private thought."})
    pnote = PsychotherapyNote.objects.get()
    browser = fresh(practice.people[who])
    assert browser.get(url("pnotes", ada.pk)).status_code == 404
    assert browser.post(url("pnote_delete", ada.pk, pnote.pk)).status_code == 404
    assert PsychotherapyNote.objects.filter(pk=pnote.pk).exists()


def test_another_therapist_of_the_client_sees_only_their_own(practice):
    ada = practice.clients["ada"]
    fresh(practice.people["tess"]).post(url("pnotes", ada.pk), {"body": "Tess's thought."})
    services.client_assign(
        actor=SystemActor("tests"), client=ada, therapist=practice.people["theo"]
    )
    page = fresh(practice.people["theo"]).get(url("pnotes", ada.pk))
    assert page.status_code == 200
    assert "Tess's thought." not in page.text


def test_the_author_deletes_a_psychotherapy_note(practice):
    ada = practice.clients["ada"]
    browser = fresh(practice.people["tess"])
    browser.post(url("pnotes", ada.pk), {"body": "Private thought."})
    pnote = PsychotherapyNote.objects.get()
    assert browser.post(url("pnote_delete", ada.pk, pnote.pk)).status_code == 302
    assert not PsychotherapyNote.objects.exists()


def test_the_author_changes_a_psychotherapy_note_after_a_fresh_second_factor(practice):
    ada = practice.clients["ada"]
    browser = fresh(practice.people["tess"])
    browser.post(url("pnotes", ada.pk), {"body": "First thought."})
    pnote = PsychotherapyNote.objects.get()
    edit = url("pnote_edit", ada.pk, pnote.pk)
    assert "First thought." in browser.get(edit).text
    assert browser.post(edit, {"body": "Second thought."}).status_code == 302
    assert PsychotherapyNote.objects.get().body == "Second thought."
    stale = signed_in(practice.people["tess"]).get(edit)
    assert stale.status_code == 302
    assert "reauthenticate" in stale["Location"]


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "amira"])
def test_it_answers_404_to_changing_someone_elses_psychotherapy_note(practice, who):
    ada = practice.clients["ada"]
    fresh(practice.people["tess"]).post(url("pnotes", ada.pk), {"body": "Private thought."})
    pnote = PsychotherapyNote.objects.get()
    page = fresh(practice.people[who]).post(
        url("pnote_edit", ada.pk, pnote.pk), {"body": "Overwritten."}
    )
    assert page.status_code == 404
    assert PsychotherapyNote.objects.get().body == "Private thought."
