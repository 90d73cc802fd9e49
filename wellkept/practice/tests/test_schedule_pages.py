"""The schedule's pages: calendars by role, booking, the appointment page and its actions."""

from __future__ import annotations

import datetime as dt

import pytest

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice.models import Appointment, AppointmentStatus
from wellkept.practice.tests.conftest import ADA_LEGAL, ADA_PREFERRED, signed_in
from wellkept.practice.tests.schedule import book, next_monday, rooms, slot

pytestmark = pytest.mark.django_db

ORG = {"org": "harbour"}


@pytest.fixture
def room(practice):
    return rooms(practice)


@pytest.fixture
def ada_monday(practice, room):
    return book(practice, "ada", "tess", slot(next_monday(), room=room["blue"]))


def week(practice, who: str, therapist: str, day: dt.date | None = None):
    query = {**ORG, "therapist": str(practice.people[therapist].pk)}
    query["day"] = (day or next_monday().date()).isoformat()
    return signed_in(practice.people[who]).get("/practice/schedule/", query)


def test_it_shows_a_therapist_their_own_week_with_code_name_time_and_room(
    practice, ada_monday
) -> None:
    page = week(practice, "tess", "tess").content.decode()
    ada = practice.clients["ada"]
    assert ada.code in page
    assert ADA_PREFERRED in page
    assert "10:00\u201310:50" in page  # an en dash between the times
    assert "Blue Room" in page
    assert ADA_LEGAL not in page


def test_it_shows_the_front_desk_any_therapists_calendar_with_the_name(
    practice, ada_monday
) -> None:
    page = week(practice, "fran", "tess").content.decode()
    assert practice.clients["ada"].code in page
    assert ADA_PREFERRED in page


def test_it_shows_billing_the_calendar_by_code_only_and_no_booking(practice, ada_monday) -> None:
    page = week(practice, "bill", "tess").content.decode()
    assert practice.clients["ada"].code in page
    assert ADA_PREFERRED not in page
    assert "Book an appointment" not in page


def test_it_shows_a_supervisor_their_supervisees_calendar_only(practice, ada_monday) -> None:
    assert week(practice, "sue", "tess").status_code == 200
    assert week(practice, "sue", "theo").status_code == 404


def test_it_refuses_a_therapist_a_colleagues_calendar(practice, ada_monday) -> None:
    before = AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).count()
    assert week(practice, "theo", "tess").status_code == 404
    assert AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).count() == before + 1


@pytest.mark.parametrize("persona", ["priya", "amira", "olga", "oren"])
def test_it_answers_not_found_to_everyone_off_the_practice(practice, persona) -> None:
    response = signed_in(practice.people[persona]).get("/practice/schedule/", ORG)
    assert response.status_code == 404


def test_it_answers_not_found_to_a_participant_and_an_anonymous_visitor(practice) -> None:
    from django.test import Client as Browser

    from wellkept.accounts.models import User

    outsider = User.objects.create_user("pat@example.invalid", None)
    assert signed_in(outsider).get("/practice/schedule/", ORG).status_code == 404
    assert Browser().get("/practice/schedule/", ORG).status_code in (302, 404)


def test_it_shows_one_day(practice, ada_monday) -> None:
    tess = practice.people["tess"]
    page = signed_in(tess).get(
        "/practice/schedule/day/",
        {**ORG, "therapist": str(tess.pk), "day": next_monday().date().isoformat()},
    )
    assert practice.clients["ada"].code in page.content.decode()
    other_day = signed_in(tess).get(
        "/practice/schedule/day/",
        {**ORG, "day": (next_monday() + dt.timedelta(days=1)).date().isoformat()},
    )
    assert practice.clients["ada"].code not in other_day.content.decode()


@pytest.mark.parametrize("day", ["not-a-day", "9999-12-31", "0001-01-01"])
def test_it_shows_this_week_for_a_malformed_or_far_off_day(practice, day) -> None:
    response = signed_in(practice.people["tess"]).get("/practice/schedule/", {**ORG, "day": day})
    assert response.status_code == 200


def booking(practice, room, **more: str) -> dict[str, str]:
    data = {
        "client": str(practice.clients["ada"].pk),
        "therapist": str(practice.people["tess"].pk),
        "date": next_monday().date().isoformat(),
        "time": "10:00",
        "minutes": "50",
        "place": str(room["blue"].pk),
        "repeat": "",
        "count": "",
        "until": "",
    }
    data.update(more)
    return data


def test_it_lets_the_front_desk_book_from_the_form(practice, room) -> None:
    response = signed_in(practice.people["fran"]).post(
        "/practice/schedule/new/?org=harbour", booking(practice, room)
    )
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert str(appointment.pk) in response["Location"]
    assert appointment.start == next_monday()


def test_it_books_a_series_from_the_form(practice, room) -> None:
    response = signed_in(practice.people["tess"]).post(
        "/practice/schedule/new/?org=harbour",
        booking(practice, room, repeat="weekly", count="3", place="video"),
    )
    assert response.status_code == 302
    assert Appointment.objects.filter(telehealth=True).count() == 3


def test_it_shows_a_clash_as_a_message_not_an_error(practice, room, ada_monday) -> None:
    response = signed_in(practice.people["fran"]).post(
        "/practice/schedule/new/?org=harbour", booking(practice, room, time="10:30")
    )
    assert response.status_code == 200
    assert "already has an appointment" in response.content.decode()
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date", "31/02/2026", "Enter the date as YYYY-MM-DD."),
        ("date", "9999-12-31", "within 2 years of today"),
        ("time", "25:99", "Enter the time as HH:MM."),
        ("minutes", "0", "at least 5 minutes"),
        ("place", "nowhere", "Choose a room, or video."),
        ("client", "not-a-client", "Choose a client."),
        ("count", "3", "Choose how the series repeats"),
    ],
)
def test_it_explains_bad_input(practice, room, field, value, message) -> None:
    response = signed_in(practice.people["fran"]).post(
        "/practice/schedule/new/?org=harbour", booking(practice, room, **{field: value})
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_it_offers_a_therapist_only_their_own_clients_and_calendar(practice, room) -> None:
    page = signed_in(practice.people["tess"]).get("/practice/schedule/new/", ORG)
    text = page.content.decode()
    assert practice.clients["ada"].code in text
    assert practice.clients["ben"].code not in text
    assert str(practice.people["theo"].pk) not in text
    forged = signed_in(practice.people["tess"]).post(
        "/practice/schedule/new/?org=harbour",
        booking(practice, room, client=str(practice.clients["ben"].pk)),
    )
    assert forged.status_code == 200
    assert not Appointment.objects.exists()


@pytest.mark.parametrize("persona", ["bill", "sue"])
def test_it_does_not_let_billing_or_a_supervisor_book(practice, room, persona) -> None:
    browser = signed_in(practice.people[persona])
    assert browser.get("/practice/schedule/new/", ORG).status_code == 404
    response = browser.post("/practice/schedule/new/?org=harbour", booking(practice, room))
    assert response.status_code == 404
    assert not Appointment.objects.exists()


def detail(practice, who: str, appointment: Appointment):
    return signed_in(practice.people[who]).get(f"/practice/schedule/{appointment.pk}/", ORG)


def test_it_shows_the_appointment_with_its_actions_to_its_therapist(practice, ada_monday) -> None:
    page = detail(practice, "tess", ada_monday).content.decode()
    assert practice.clients["ada"].code in page
    assert "Cancel the appointment" in page
    assert "Attended" in page


def test_it_shows_billing_the_appointment_without_actions(practice, ada_monday) -> None:
    page = detail(practice, "bill", ada_monday)
    assert page.status_code == 200
    assert "Cancel the appointment" not in page.content.decode()


@pytest.mark.parametrize("persona", ["theo", "olga", "oren", "priya"])
def test_it_hides_the_appointment_from_others(practice, ada_monday, persona) -> None:
    assert detail(practice, persona, ada_monday).status_code == 404


def test_it_moves_an_appointment_from_the_form(practice, room, ada_monday) -> None:
    browser = signed_in(practice.people["fran"])
    assert browser.get(f"/practice/schedule/{ada_monday.pk}/move/", ORG).status_code == 200
    response = browser.post(
        f"/practice/schedule/{ada_monday.pk}/move/?org=harbour",
        {
            "date": next_monday().date().isoformat(),
            "time": "15:00",
            "minutes": "50",
            "place": str(room["green"].pk),
        },
    )
    assert response.status_code == 302
    ada_monday.refresh_from_db()
    assert ada_monday.start == next_monday(15)
    assert ada_monday.room == room["green"]


def test_it_cancels_from_the_page_and_refuses_billing(practice, ada_monday) -> None:
    url = f"/practice/schedule/{ada_monday.pk}/cancel/?org=harbour"
    assert signed_in(practice.people["bill"]).post(url).status_code == 404
    assert signed_in(practice.people["theo"]).post(url).status_code == 404
    response = signed_in(practice.people["tess"]).post(url)
    assert response.status_code == 302
    ada_monday.refresh_from_db()
    assert ada_monday.status == AppointmentStatus.CANCELLED


def test_it_marks_from_the_page_and_explains_a_refusal(practice, ada_monday) -> None:
    url = f"/practice/schedule/{ada_monday.pk}/mark/?org=harbour"
    browser = signed_in(practice.people["fran"])
    early = browser.post(url, {"status": "attended"}, follow=True)
    assert "has not started yet" in early.content.decode()
    late = browser.post(url, {"status": "late_cancelled"})
    assert late.status_code == 302
    ada_monday.refresh_from_db()
    assert ada_monday.status == AppointmentStatus.LATE_CANCELLED
    bad = browser.post(url, {"status": "booked"}, follow=True)
    assert "Choose attended" in bad.content.decode()


def test_it_lists_the_clients_appointments_on_the_client_page(practice, ada_monday) -> None:
    page = signed_in(practice.people["fran"]).get(
        f"/practice/clients/{practice.clients['ada'].pk}/", ORG
    )
    text = page.content.decode()
    assert "Appointments" in text
    assert f"/practice/schedule/{ada_monday.pk}/" in text
    assert "Blue Room" in text


def test_it_lists_appointments_with_any_therapist_to_the_front_desk(practice) -> None:
    theo_ben = book(practice, "ben", "theo", slot(next_monday()))
    page = signed_in(practice.people["fran"]).get(
        f"/practice/clients/{practice.clients['ben'].pk}/", ORG
    )
    assert f"/practice/schedule/{theo_ben.pk}/" in page.content.decode()
