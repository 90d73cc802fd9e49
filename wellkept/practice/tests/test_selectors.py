"""The practice's reads: who sees which clients, search by name, one client or 404."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from wellkept.audit.events import EventType
from wellkept.audit.tests import trail
from wellkept.practice import selectors, services
from wellkept.practice.tests.conftest import ADA_LEGAL, SETUP
from wellkept.vault import services as vault

pytestmark = pytest.mark.django_db


def codes(practice, rows) -> set[str]:
    by_code = {c.code: key for key, c in practice.clients.items()}
    return {by_code[r.code] for r in rows}


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("fran", {"ada", "ben", "mia"}),
        ("bill", {"ada", "ben", "mia"}),
        ("tess", {"ada"}),
        ("theo", {"ben", "mia"}),
        # Sue supervises Tess only.
        ("sue", {"ada"}),
        ("priya", set()),
        ("amira", set()),
        ("olga", set()),
    ],
)
def test_it_lists_the_clients_each_role_may_see(practice, who, expected) -> None:
    rows = selectors.client_list(actor=practice.people[who], organisation=practice.harbour)
    assert codes(practice, rows) == expected


def test_it_audits_a_list_once(practice) -> None:
    before = trail.mark()
    selectors.client_list(actor=practice.people["fran"], organisation=practice.harbour)
    entries = trail.written_since(before)
    assert [(e.event, e.target) for e in entries] == [
        (EventType.RECORD_READ, "practice_admin:list")
    ]


def test_it_stops_listing_a_client_once_the_assignment_ends(practice) -> None:
    services.client_unassign(
        actor=SETUP, client=practice.clients["ada"], therapist=practice.people["tess"]
    )
    for who in ("tess", "sue"):
        rows = selectors.client_list(actor=practice.people[who], organisation=practice.harbour)
        assert rows == []


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("Testwell", {"ada"}),
        ("testwell ada", {"ada"}),
        ("ADDIE", {"ada"}),
        ("Canaryvale", {"ada"}),
        ("Fakename", {"mia"}),
        # Whole words only: no prefixes, no misspellings.
        ("Testw", set()),
        ("Ada Samplesby", set()),
        ("!!!", set()),
    ],
)
def test_it_finds_clients_by_whole_name_words(practice, search, expected) -> None:
    rows = selectors.client_list(
        actor=practice.people["fran"], organisation=practice.harbour, search=search
    )
    assert codes(practice, rows) == expected


def test_it_finds_accented_names_without_their_accents(practice) -> None:
    from wellkept.practice.tests.conftest import adult_intake

    zoe = services.client_create(
        actor=SETUP, organisation=practice.harbour, intake=adult_intake("Zoë O'Brien-Hart")
    )
    rows = selectors.client_list(
        actor=practice.people["fran"], organisation=practice.harbour, search="zoe hart"
    )
    assert [r.pk for r in rows] == [zoe.pk]


def test_it_searches_only_among_the_clients_one_may_see(practice) -> None:
    rows = selectors.client_list(
        actor=practice.people["theo"], organisation=practice.harbour, search=ADA_LEGAL
    )
    assert rows == []


def test_it_keeps_another_practices_index_apart(practice) -> None:
    rows = selectors.client_list(
        actor=practice.people["olga"], organisation=practice.other, search="Otto Elsewhere"
    )
    assert codes(practice, rows) == {"otto"}
    assert not selectors.client_list(
        actor=practice.people["olga"], organisation=practice.other, search="Testwell"
    )


def test_it_returns_one_client_and_audits_the_read(practice) -> None:
    ada = practice.clients["ada"]
    before = trail.mark()
    found = selectors.get_client_for(
        actor=practice.people["tess"], organisation=practice.harbour, pk=ada.pk
    )
    assert found.legal_name == ADA_LEGAL
    assert [(e.event, e.target) for e in trail.written_since(before)] == [
        (EventType.RECORD_READ, f"client:{ada.pk}")
    ]


@pytest.mark.parametrize("who", ["theo", "priya", "amira", "olga"])
def test_it_answers_404_to_anyone_who_may_not_see_the_client(practice, who) -> None:
    before = trail.mark()
    with pytest.raises(Http404):
        selectors.get_client_for(
            actor=practice.people[who], organisation=practice.harbour, pk=practice.clients["ada"].pk
        )
    assert [e.event for e in trail.written_since(before)] == [EventType.ACCESS_DENIED]


def test_it_answers_404_for_a_client_of_another_practice(practice) -> None:
    with pytest.raises(Http404):
        selectors.get_client_for(
            actor=practice.people["fran"],
            organisation=practice.harbour,
            pk=practice.clients["otto"].pk,
        )


# ---- the calendar: the clients' keys together --------------------------------------------


def _week_of_two_clients(practice) -> tuple:
    from wellkept.practice.tests.schedule import book, next_monday, slot

    book(practice, "ben", "theo", slot(next_monday(9)))
    book(practice, "mia", "theo", slot(next_monday(11)))
    start = next_monday(0)
    return start, start + dt.timedelta(days=7)


@pytest.fixture
def key_cache(monkeypatch):
    """Give the test an empty key cache of its own."""
    # The shared one remembers the key ids earlier tests shredded, and SQLite
    # hands those ids out again once their transactions rolled back.
    cache = vault._DekCache()
    monkeypatch.setattr(vault, "dek_cache", cache)
    return cache


def _key_reads(queries) -> int:
    return sum("vault_datakey" in q["sql"] for q in queries.captured_queries)


def test_it_unwraps_the_weeks_client_keys_together_for_a_reader_shown_names(
    practice, django_capture_on_commit_callbacks, key_cache
) -> None:
    start, end = _week_of_two_clients(practice)
    with (
        django_capture_on_commit_callbacks(execute=True),
        CaptureQueriesContext(connection) as queries,
    ):
        rows = selectors.calendar(
            actor=practice.people["theo"],
            organisation=practice.harbour,
            therapist=practice.people["theo"],
            start=start,
            end=end,
            names=True,
        )
    assert _key_reads(queries) == 1
    with CaptureQueriesContext(connection) as reading:
        assert [r.client.preferred_name for r in rows] == ["Benji", ""]
    assert _key_reads(reading) == 0


def test_it_unwraps_no_client_key_for_a_reader_not_shown_names(
    practice, django_capture_on_commit_callbacks, key_cache
) -> None:
    start, end = _week_of_two_clients(practice)
    with django_capture_on_commit_callbacks(execute=True):
        rows = selectors.calendar(
            actor=practice.people["bill"],
            organisation=practice.harbour,
            therapist=practice.people["theo"],
            start=start,
            end=end,
        )
    assert len(rows) == 2
    assert all(key_cache.get_for_subject(r.client.dek_subject) is None for r in rows)
