"""Every role against every page of every audience, in its own organisation and in others.

The guards were tested by examples; this walks the URL configuration
instead, so a page added tomorrow is swept too. Each persona of the access
world signs in with a fresh second factor and asks for every page of
``/team/``, ``/privacy/``, ``/manage/`` and ``/practice/`` under every
organisation. The expected audience of each page prefix (the longest that
matches) is written out by hand from DESIGN.md's roles table: anyone not
listed, including a role added later, must get "not found", exactly as
for a page that does not exist. A page
about one object is asked for with an object that does not exist: nobody,
however privileged, may get anything but "not found" (or "method not
allowed" for a form's target).
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import pytest
from allauth.account.internal.flows.login import record_authentication
from django.test import Client
from django.urls import URLPattern, get_resolver

from wellkept.access.registry import declaration_for, walk
from wellkept.accounts.tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db

AUDIENCES = ("team/", "privacy/", "manage/", "practice/")

# Page prefix -> (organisation slug, persona) pairs that are its audience.
# St Anne's staff in St Anne's; Oscar, administrator and wellbeing officer
# at Elsewhere Clinic, in Elsewhere only. Faraway has no staff at all.
EXPECTED: dict[str, set[tuple[str, str]]] = {
    "team/follow-up/": {("st-annes", "wendy"), ("st-annes", "sam"), ("elsewhere", "oscar")},
    "team/insights/": {("st-annes", "lena"), ("st-annes", "wendy"), ("elsewhere", "oscar")},
    "privacy/": {("st-annes", "priya")},
    "manage/programmes/": {("st-annes", "amira"), ("elsewhere", "oscar")},
    "manage/invitations/": {("st-annes", "amira"), ("elsewhere", "oscar")},
    # The practice: intake and changes are the front desk's; the list is
    # every practice role's (each sees the clients they may).
    "practice/clients/new/": {("st-annes", "fran")},
    "practice/clients/": {
        ("st-annes", "sam"),
        ("st-annes", "fran"),
        ("st-annes", "bill"),
        ("st-annes", "sue"),
    },
    # Notes (issue 18, part 3): the co-signature queue is the supervisors'.
    "practice/notes/": {("st-annes", "sue")},
    # The schedule (issue 18, part 2): every practice role reads calendars
    # (each those it may); the front desk and therapists book; a therapist
    # alone manages their calendar feed.
    "practice/schedule/": {
        ("st-annes", "sam"),
        ("st-annes", "fran"),
        ("st-annes", "bill"),
        ("st-annes", "sue"),
    },
    "practice/schedule/new/": {("st-annes", "sam"), ("st-annes", "fran")},
    "practice/schedule/feed/": {("st-annes", "sam")},
    # Treatment plans (issue 18, part 4): the reviews due are the clinicians'.
    "practice/plans/": {("st-annes", "sam"), ("st-annes", "sue")},
    # Measurement-based care (issue 18, part 4): each clinician's own alerts.
    "practice/measures/": {("st-annes", "sam"), ("st-annes", "sue")},
    # Billing (issue 18, part 5): the front desk's and billing's alone.
    "practice/billing/": {("st-annes", "fran"), ("st-annes", "bill")},
    # Couples and family cases (issue 18): every practice role sees the
    # cases it may; the front desk opens them and changes their members and
    # therapists; the front desk and therapists book joint sessions; joint
    # notes are the clinicians' (written by therapists).
    "practice/cases/": {
        ("st-annes", "sam"),
        ("st-annes", "fran"),
        ("st-annes", "bill"),
        ("st-annes", "sue"),
    },
    "practice/cases/new/": {("st-annes", "fran")},
    "practice/cases/<uuid:pk>/members/": {("st-annes", "fran")},
    "practice/cases/<uuid:pk>/therapists/": {("st-annes", "fran")},
    "practice/cases/<uuid:pk>/book/": {("st-annes", "sam"), ("st-annes", "fran")},
    "practice/cases/<uuid:pk>/notes/": {("st-annes", "sam"), ("st-annes", "sue")},
    "practice/cases/<uuid:pk>/notes/new/": {("st-annes", "sam")},
    "practice/cases/<uuid:pk>/notes/<uuid:note_pk>/sign/": {("st-annes", "sam")},
    # Break-glass on a client's record (issue 18): the specialist's alone.
    "practice/emergency/": {("st-annes", "sam")},
    # Client portal (issue 19): a client's therapist and the front desk.
    "practice/clients/<uuid:pk>/portal/": {("st-annes", "sam"), ("st-annes", "fran")},
    # Secure messaging (issue 19): every practice role has an inbox (each
    # the threads it may read); the privacy officer none.
    "practice/messages/": {
        ("st-annes", "sam"),
        ("st-annes", "fran"),
        ("st-annes", "bill"),
        ("st-annes", "sue"),
    },
    # Consent documents (issue 19): the client's clinicians (a therapist asks
    # and records signatures; a supervisor reads); never the front desk or billing.
    "practice/clients/<uuid:pk>/documents/": {("st-annes", "sam"), ("st-annes", "sue")},
    # ... and they answer the clients' portal appointment requests.
    "practice/portal/requests/": {("st-annes", "sam"), ("st-annes", "fran")},
}
# The administrators' pages take no organisation: each shows every
# organisation its reader administers, and no other (checked by name below).
ANY_ORGANISATION = ("manage/",)
OWN_ORGANISATION_NAME = {"amira": "St Anne", "oscar": "Elsewhere"}
# Faraway, where nobody holds a staff role, would only repeat Elsewhere for
# St Anne's staff: every request here is a full page, so the sweep asks
# what can differ (own organisation, another's) and nothing twice.
ORGANISATIONS = ("st-annes", "elsewhere")
# One participant stands for all (Colin and Farah are refused alike).
PERSONAS = ("pia", "lena", "wendy", "sam", "fran", "bill", "sue", "priya", "amira", "oscar")
# A page that is public by declaration answers everyone (the receipt key).
PUBLIC = {"public"}


def _route(prefix: str, pattern: URLPattern) -> str:
    return prefix + str(pattern.pattern) if not prefix.endswith(str(pattern.pattern)) else prefix


def audience_pages() -> list[tuple[str, URLPattern]]:
    """Every non-public page under the staff audiences, by its full route."""
    pages = []
    for prefix, pattern in walk(get_resolver().url_patterns):
        route = _route(prefix, pattern)
        declared = declaration_for(pattern)
        if route.startswith(AUDIENCES) and str(declared) not in PUBLIC:
            pages.append((route, pattern))
    return pages


def _filled(route: str) -> str:
    """The route with a made-up object in each of its parameters."""

    def made_up(match: re.Match[str]) -> str:
        converter = match.group(1) or "str"
        return "7" if converter == "int" else str(uuid.uuid4())

    return "/" + re.sub(r"<(?:(\w+):)?\w+>", made_up, route)


def expected_audience(route: str) -> set[tuple[str, str]]:
    for prefix in sorted(EXPECTED, key=len, reverse=True):
        if route.startswith(prefix):
            return EXPECTED[prefix]
    raise AssertionError(f"/{route} belongs to no audience in EXPECTED: add it by hand.")


@pytest.fixture
def clients(world: Any) -> dict[str, Client]:
    """One signed-in browser per persona, each with a second factor typed a moment ago."""
    signed_in = {}
    for name in PERSONAS:
        user = world.people[name]
        enrol_totp(user)
        client = Client()
        client.force_login(user)
        record_authentication(client, user, "mfa", at=time.time(), type="totp")
        signed_in[name] = client
    return signed_in


def test_every_audience_page_has_a_guard_or_needs_a_signed_in_person():
    unguarded = [
        route
        for route, pattern in audience_pages()
        if not getattr(pattern.callback, "wellkept_guard", None)
        and not getattr(pattern.callback, "wellkept_signed_in", False)
    ]
    assert unguarded == []


def test_every_staff_page_belongs_to_an_audience_written_out_by_hand():
    pages = audience_pages()
    assert len(pages) > 40
    for route, _ in pages:
        expected_audience(route)


# Seven hundred full requests: once, on SQLite. The guards' own tests
# (test_audience_guards.py and each app's page tests) run the same code on
# PostgreSQL too; an access decision does not depend on the engine.
@pytest.mark.one_engine
def test_it_serves_each_list_page_to_its_audience_only_in_each_organisation(clients):
    pages = [(route, pattern) for route, pattern in audience_pages() if "<" not in route]
    wrong = []
    for route, _ in pages:
        audience = expected_audience(route)
        for slug in ORGANISATIONS:
            for name, client in clients.items():
                status = client.get("/" + route, {"org": slug}).status_code
                allowed = (slug, name) in audience or (
                    route.startswith(ANY_ORGANISATION) and any(who == name for _, who in audience)
                )
                # Allowed: a page, a redirect (a fresh sign-in, a form's
                # target sending back) or a refusal of a bad request; never
                # a crash. Refused: exactly "not found", nothing that would
                # tell the page exists.
                ok = (status != 404 and status < 500) if allowed else status in (404, 405)
                if not ok:
                    wrong.append((route, slug, name, status))
    assert wrong == [], "\n".join(map(str, wrong))


def test_an_administrator_sees_only_the_organisations_they_administer(clients):
    for name, own in OWN_ORGANISATION_NAME.items():
        other = next(o for who, o in OWN_ORGANISATION_NAME.items() if who != name)
        for route in ("/manage/programmes/new/", "/manage/invitations/"):
            for slug in (*ORGANISATIONS, "faraway"):
                page = clients[name].get(route, {"org": slug}).content.decode()
                assert own in page
                assert other not in page
                assert "Faraway" not in page


@pytest.mark.one_engine
def test_nobody_gets_anything_but_not_found_for_an_object_that_does_not_exist(clients):
    pages = [(route, pattern) for route, pattern in audience_pages() if "<" in route]
    assert pages
    wrong = []
    for route, _ in pages:
        url = _filled(route)
        audience = {who for _, who in expected_audience(route)}
        for name, client in clients.items():
            response = client.get(url)
            # Before an export the audience is asked to prove it is them
            # again, before the object is looked up: the same prompt for
            # every reference, so it tells nothing about which exist.
            reauthenticate = response.status_code == 302 and response["Location"].startswith(
                ("/accounts/reauthenticate/", "/accounts/2fa/reauthenticate/")
            )
            if response.status_code not in (404, 405) and not (name in audience and reauthenticate):
                wrong.append((url, name, response.status_code))
    assert wrong == [], "\n".join(map(str, wrong))
