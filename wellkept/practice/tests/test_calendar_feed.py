"""The therapist's calendar feed: by secret address, codes and rooms only, 404 once stopped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as Browser

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Role
from wellkept.practice import ics, services
from wellkept.practice.models import CalendarFeed
from wellkept.practice.tests.conftest import ADA_LEGAL, ADA_PREFERRED, SETUP, signed_in
from wellkept.practice.tests.schedule import book, next_monday, rooms, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def feed(practice):
    room = rooms(practice)
    book(practice, "ada", "tess", slot(next_monday(), room=room["blue"]))
    book(practice, "ben", "theo", slot(next_monday()))
    return services.calendar_feed_create(
        actor=practice.people["tess"], organisation=practice.harbour
    )


def fetch(raw: str):
    return Browser().get(f"/practice/calendar/{raw}.ics")


def test_it_serves_the_therapists_own_appointments_by_code_and_room(practice, feed) -> None:
    response = fetch(feed.raw)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    text = response.content.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n")
    assert f"SUMMARY:{practice.clients['ada'].code}\r\n" in text
    assert "LOCATION:Blue Room\r\n" in text
    assert f"DTSTART:{next_monday().strftime('%Y%m%dT%H%M%SZ')}\r\n" in text
    # Theo's client is not in Tess's calendar.
    assert practice.clients["ben"].code not in text


def test_it_never_puts_a_name_in_the_feed(practice, feed) -> None:
    text = fetch(feed.raw).content.decode()
    for name in (*ADA_LEGAL.split(), ADA_PREFERRED, "Tess"):
        assert name not in text


def test_it_audits_the_read_as_the_therapist(practice, feed) -> None:
    before = AuditEntry.objects.count()
    fetch(feed.raw)
    entry = AuditEntry.objects.order_by("-pk").first()
    assert AuditEntry.objects.count() == before + 1
    assert entry.actor_id == str(practice.people["tess"].pk)
    assert entry.target == "appointment:list"


def test_it_answers_not_found_for_a_wrong_or_stopped_secret(practice, feed) -> None:
    prefix, _, secret = feed.raw.partition(".")
    assert fetch(f"{prefix}.{secret[::-1]}").status_code == 404
    assert fetch("nonsense").status_code == 404
    assert fetch("0123456789.abc").status_code == 404
    services.calendar_feed_revoke(actor=practice.people["tess"], organisation=practice.harbour)
    assert fetch(feed.raw).status_code == 404


def test_it_stops_when_the_therapists_login_is_deactivated(practice, feed) -> None:
    tess = practice.people["tess"]
    tess.is_active = False
    tess.save(update_fields=["is_active"])
    assert fetch(feed.raw).status_code == 404


def test_it_shows_nothing_once_the_therapist_loses_the_role(practice, feed) -> None:
    orgs.staff_membership_revoke(
        actor=SETUP,
        user=practice.people["tess"],
        organisation=practice.harbour,
        role=Role.SPECIALIST,
    )
    text = fetch(feed.raw).content.decode()
    assert "BEGIN:VEVENT" not in text
    assert AuditEntry.objects.order_by("-pk").first().event == EventType.ACCESS_DENIED


def test_it_lets_the_therapist_create_and_stop_the_feed_from_the_page(practice) -> None:
    browser = signed_in(practice.people["tess"])
    page = browser.post("/practice/schedule/feed/?org=harbour")
    assert page.status_code == 200
    text = page.content.decode()
    live = CalendarFeed.objects.get(revoked_at__isnull=True)
    assert f"/practice/calendar/{live.prefix}." in text
    stopped = browser.post("/practice/schedule/feed/revoke/?org=harbour")
    assert stopped.status_code == 302
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
    again = browser.post("/practice/schedule/feed/revoke/?org=harbour", follow=True)
    assert "no calendar feed to stop" in again.content.decode()


@pytest.mark.parametrize("persona", ["fran", "bill", "sue", "oren"])
def test_it_offers_no_feed_to_anyone_but_the_practices_therapists(practice, persona) -> None:
    browser = signed_in(practice.people[persona])
    assert browser.post("/practice/schedule/feed/?org=harbour").status_code == 404
    assert browser.post("/practice/schedule/feed/revoke/?org=harbour").status_code == 404
    assert not CalendarFeed.objects.exists()


def test_it_escapes_text_values() -> None:
    assert ics.escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_it_folds_long_lines_at_75_octets_without_splitting_a_character() -> None:
    line = "LOCATION:" + "é" * 100
    folded = ics.fold(line)
    pieces = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in pieces)
    assert all(p.startswith(" ") for p in pieces[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(pieces)) == line


def test_it_writes_an_empty_calendar() -> None:
    text = ics.calendar_text(
        [], name="Harbour Practice", generated=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    )
    assert text == (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Wellkept//Practice calendar//EN\r\n"
        "CALSCALE:GREGORIAN\r\nMETHOD:PUBLISH\r\nX-WR-CALNAME:Harbour Practice\r\n"
        "END:VCALENDAR\r\n"
    )
