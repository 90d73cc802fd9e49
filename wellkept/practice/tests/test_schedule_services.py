"""The schedule's services: who may book, move, cancel and mark; clashes; series; audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import services
from wellkept.practice.models import Appointment, AppointmentStatus, Recurrence
from wellkept.practice.services import Slot
from wellkept.practice.tests.conftest import SETUP
from wellkept.practice.tests.schedule import book, next_monday, rooms, slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(practice):
    return rooms(practice)


def test_it_lets_the_front_desk_book_any_therapist_and_audits_it(practice, room) -> None:
    ada, tess, fran = practice.clients["ada"], practice.people["tess"], practice.people["fran"]
    when = slot(next_monday(), room=room["blue"])
    appointment = services.appointment_book(actor=fran, client=ada, therapist=tess, slot=when)
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.start == when.start
    assert appointment.room == room["blue"]
    assert appointment.created_by == fran
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_APPOINTMENT_BOOKED)
    assert entry.target == f"appointment:{appointment.pk}"
    assert entry.reason == f"client:{ada.pk}, therapist user:{tess.pk}"
    assert entry.actor_id == str(fran.pk)


def test_it_stores_times_in_utc(practice, room) -> None:
    start = next_monday().astimezone(dt.timezone(dt.timedelta(hours=2)))
    appointment = book(practice, "ada", "tess", slot(start, room=room["blue"]))
    appointment.refresh_from_db()
    assert appointment.start.utcoffset() == dt.timedelta(0)
    assert appointment.start == start


def test_it_lets_a_therapist_book_their_own_client_in_their_own_calendar(practice) -> None:
    tess = practice.people["tess"]
    appointment = services.appointment_book(
        actor=tess, client=practice.clients["ada"], therapist=tess, slot=slot(next_monday())
    )
    assert appointment.telehealth
    assert appointment.room is None


def test_it_refuses_a_therapist_booking_in_a_colleagues_calendar(practice) -> None:
    with pytest.raises(PermissionDenied):
        services.appointment_book(
            actor=practice.people["tess"],
            client=practice.clients["ben"],
            therapist=practice.people["theo"],
            slot=slot(next_monday()),
        )
    assert not Appointment.objects.exists()


def test_it_refuses_a_therapist_booking_a_client_not_theirs(practice) -> None:
    tess = practice.people["tess"]
    with pytest.raises(ValidationError, match="does not work with this therapist"):
        services.appointment_book(
            actor=tess, client=practice.clients["ben"], therapist=tess, slot=slot(next_monday())
        )


@pytest.mark.parametrize("persona", ["bill", "sue", "priya", "amira", "olga", "oren"])
def test_it_refuses_booking_to_everyone_else(practice, persona) -> None:
    with pytest.raises(PermissionDenied):
        services.appointment_book(
            actor=practice.people[persona],
            client=practice.clients["ada"],
            therapist=practice.people["tess"],
            slot=slot(next_monday()),
        )
    assert AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).exists()


def test_it_refuses_a_discharged_client(practice) -> None:
    services.client_discharge(
        actor=practice.people["fran"], client=practice.clients["ada"], reason_code="completed"
    )
    practice.clients["ada"].refresh_from_db()
    with pytest.raises(ValidationError, match="discharged"):
        book(practice, "ada", "tess", slot(next_monday()))


def test_it_refuses_a_therapist_who_is_not_assigned(practice) -> None:
    with pytest.raises(ValidationError, match="assign them first"):
        book(practice, "ada", "theo", slot(next_monday()))


@pytest.mark.parametrize(
    ("minutes", "message"),
    [(0, "end after it starts"), (-30, "end after it starts"), (600, "at most 8 hours")],
)
def test_it_refuses_impossible_times(practice, minutes, message) -> None:
    with pytest.raises(ValidationError, match=message):
        book(practice, "ada", "tess", slot(next_monday(), minutes=minutes))


def test_it_refuses_a_naive_time(practice) -> None:
    start = next_monday().replace(tzinfo=None)
    with pytest.raises(ValidationError, match="time zone"):
        book(practice, "ada", "tess", Slot(start, start + dt.timedelta(hours=1), None, True))


def test_it_refuses_a_room_and_video_at_once_or_neither(practice, room) -> None:
    start = next_monday()
    end = start + dt.timedelta(hours=1)
    with pytest.raises(ValidationError, match="not both"):
        book(practice, "ada", "tess", Slot(start, end, room["blue"], True))
    with pytest.raises(ValidationError, match="Choose a room, or video"):
        book(practice, "ada", "tess", Slot(start, end, None, False))


def test_it_refuses_another_practices_room(practice, room) -> None:
    with pytest.raises(ValidationError, match="room of this practice"):
        book(practice, "ada", "tess", slot(next_monday(), room=room["far"]))


def test_it_refuses_double_booking_a_therapist_with_a_clear_message(practice, room) -> None:
    start = next_monday()
    book(practice, "ada", "tess", slot(start, room=room["blue"]))
    with pytest.raises(ValidationError) as refused:
        book(practice, "ada", "tess", slot(start + dt.timedelta(minutes=30), room=room["green"]))
    assert "The therapist already has an appointment from" in refused.value.messages[0]
    assert Appointment.objects.count() == 1


def test_it_refuses_double_booking_a_room(practice, room) -> None:
    start = next_monday()
    book(practice, "ada", "tess", slot(start, room=room["blue"]))
    with pytest.raises(ValidationError, match="Blue Room is booked from"):
        book(practice, "ben", "theo", slot(start + dt.timedelta(minutes=10), room=room["blue"]))


def test_it_allows_back_to_back_and_a_cancelled_slot(practice, room) -> None:
    start = next_monday()
    first = book(practice, "ada", "tess", slot(start, minutes=60, room=room["blue"]))
    book(practice, "ben", "theo", slot(start + dt.timedelta(hours=1), room=room["blue"]))
    services.appointment_cancel(actor=SETUP, appointment=first)
    again = book(practice, "ada", "tess", slot(start, minutes=60, room=room["blue"]))
    assert again.status == AppointmentStatus.BOOKED


def test_it_books_a_weekly_series_and_each_occurrence_is_audited(practice, room) -> None:
    series = services.appointment_series_book(
        actor=practice.people["fran"],
        client=practice.clients["ada"],
        therapist=practice.people["tess"],
        first=slot(next_monday(), room=room["blue"]),
        recurrence=Recurrence.WEEKLY,
        count=4,
    )
    starts = list(series.appointments.order_by("start").values_list("start", flat=True))
    assert starts == [next_monday() + dt.timedelta(weeks=n) for n in range(4)]
    booked = AuditEntry.objects.filter(event=EventType.PRACTICE_APPOINTMENT_BOOKED)
    assert booked.count() == 4
    assert all(f"series:{series.pk}" in e.reason for e in booked)


def test_it_books_a_fortnightly_series_until_a_date(practice) -> None:
    first = next_monday()
    series = services.appointment_series_book(
        actor=SETUP,
        client=practice.clients["ada"],
        therapist=practice.people["tess"],
        first=slot(first),
        recurrence=Recurrence.FORTNIGHTLY,
        until=(first + dt.timedelta(days=43)).date(),
    )
    assert series.appointments.count() == 4


def test_it_keeps_the_wall_clock_time_across_summer_time(practice, settings) -> None:
    settings.TIME_ZONE = "Europe/London"
    # 2027-03-28: the clocks go forward in London; 4 pm stays 4 pm.
    first = dt.datetime(2027, 3, 22, 16, tzinfo=dt.UTC)
    slots = services.occurrences(slot(first), Recurrence.WEEKLY, count=2)
    assert slots[0].start == dt.datetime(2027, 3, 22, 16, tzinfo=dt.UTC)
    assert slots[1].start == dt.datetime(2027, 3, 29, 15, tzinfo=dt.UTC)
    assert slots[1].end - slots[1].start == dt.timedelta(minutes=50)


def test_it_books_no_part_of_a_series_that_clashes(practice, room) -> None:
    start = next_monday()
    book(practice, "ben", "theo", slot(start + dt.timedelta(weeks=2), room=room["blue"]))
    with pytest.raises(ValidationError) as refused:
        services.appointment_series_book(
            actor=SETUP,
            client=practice.clients["ada"],
            therapist=practice.people["tess"],
            first=slot(start, room=room["blue"]),
            recurrence=Recurrence.WEEKLY,
            count=4,
        )
    assert refused.value.messages[0] == "Nothing was booked; these dates clash."
    assert "Blue Room is booked" in refused.value.messages[1]
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("count", "until", "message"),
    [
        (None, None, "not both"),
        (1, None, "between 2 and 52"),
        (53, None, "between 2 and 52"),
        (None, dt.date(2000, 1, 1), "after the first"),
    ],
)
def test_it_refuses_a_series_without_a_sensible_end(practice, count, until, message) -> None:
    with pytest.raises(ValidationError, match=message):
        services.appointment_series_book(
            actor=SETUP,
            client=practice.clients["ada"],
            therapist=practice.people["tess"],
            first=slot(next_monday()),
            recurrence=Recurrence.WEEKLY,
            count=count,
            until=until,
        )


def test_it_moves_an_appointment_and_audits_it(practice, room) -> None:
    appointment = book(practice, "ada", "tess", slot(next_monday(), room=room["blue"]))
    later = slot(next_monday(14), room=room["green"])
    moved = services.appointment_reschedule(
        actor=practice.people["tess"], appointment=appointment, slot=later
    )
    assert moved.start == later.start
    assert moved.room == room["green"]
    assert AuditEntry.objects.filter(
        event=EventType.PRACTICE_APPOINTMENT_CHANGED, target=f"appointment:{appointment.pk}"
    ).exists()


def test_it_refuses_moving_onto_another_appointment(practice, room) -> None:
    first = book(practice, "ada", "tess", slot(next_monday(), room=room["blue"]))
    book(practice, "ada", "tess", slot(next_monday(14), room=room["blue"]))
    with pytest.raises(ValidationError, match="already has an appointment"):
        services.appointment_reschedule(
            actor=SETUP, appointment=first, slot=slot(next_monday(14), room=room["green"])
        )


def test_it_moves_an_appointment_over_its_own_old_time(practice, room) -> None:
    first = book(practice, "ada", "tess", slot(next_monday(), room=room["blue"]))
    moved = services.appointment_reschedule(
        actor=SETUP,
        appointment=first,
        slot=slot(next_monday() + dt.timedelta(minutes=15), room=room["blue"]),
    )
    assert moved.start == next_monday() + dt.timedelta(minutes=15)


@pytest.mark.parametrize("persona", ["theo", "bill", "sue", "olga"])
def test_it_refuses_moving_or_cancelling_to_others(practice, persona) -> None:
    appointment = book(practice, "ada", "tess", slot(next_monday()))
    with pytest.raises(PermissionDenied):
        services.appointment_reschedule(
            actor=practice.people[persona], appointment=appointment, slot=slot(next_monday(14))
        )
    with pytest.raises(PermissionDenied):
        services.appointment_cancel(actor=practice.people[persona], appointment=appointment)
    with pytest.raises(PermissionDenied):
        services.appointment_mark(
            actor=practice.people[persona],
            appointment=appointment,
            status=AppointmentStatus.LATE_CANCELLED,
        )


def test_it_cancels_once_and_audits_it(practice) -> None:
    appointment = book(practice, "ada", "tess", slot(next_monday()))
    services.appointment_cancel(actor=practice.people["fran"], appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_APPOINTMENT_CANCELLED).count() == 1
    with pytest.raises(ValidationError, match="Only a booked appointment can be cancelled"):
        services.appointment_cancel(actor=practice.people["fran"], appointment=appointment)


def test_it_marks_attended_once_begun_and_audits_the_change(practice, monkeypatch) -> None:
    start = next_monday()
    appointment = book(practice, "ada", "tess", slot(start))
    monkeypatch.setattr("wellkept.clock.now", lambda: start + dt.timedelta(minutes=5))
    marked = services.appointment_mark(
        actor=practice.people["tess"], appointment=appointment, status=AppointmentStatus.ATTENDED
    )
    assert marked.status == AppointmentStatus.ATTENDED
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_APPOINTMENT_STATUS_CHANGED)
    assert entry.reason == "booked -> attended"


def test_it_refuses_marking_attended_or_missed_before_the_start(practice) -> None:
    appointment = book(practice, "ada", "tess", slot(next_monday()))
    for status in (AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW):
        with pytest.raises(ValidationError, match="has not started yet"):
            services.appointment_mark(actor=SETUP, appointment=appointment, status=status)
    late = services.appointment_mark(
        actor=practice.people["fran"],
        appointment=appointment,
        status=AppointmentStatus.LATE_CANCELLED,
    )
    assert late.status == AppointmentStatus.LATE_CANCELLED


def test_it_refuses_marking_a_cancelled_appointment_or_an_unknown_status(practice) -> None:
    appointment = book(practice, "ada", "tess", slot(next_monday()))
    with pytest.raises(ValidationError, match="attended, cancelled late or missed"):
        services.appointment_mark(actor=SETUP, appointment=appointment, status="booked")
    services.appointment_cancel(actor=SETUP, appointment=appointment)
    with pytest.raises(ValidationError, match="was cancelled"):
        services.appointment_mark(
            actor=SETUP, appointment=appointment, status=AppointmentStatus.LATE_CANCELLED
        )


def test_it_creates_a_feed_for_a_therapist_and_replaces_the_old_one(practice) -> None:
    tess, harbour = practice.people["tess"], practice.harbour
    first = services.calendar_feed_create(actor=tess, organisation=harbour)
    second = services.calendar_feed_create(actor=tess, organisation=harbour)
    first.feed.refresh_from_db()
    assert first.feed.revoked_at is not None
    assert second.feed.revoked_at is None
    # Only a prefix and a keyed MAC are stored, never the secret.
    assert second.raw.startswith(second.feed.prefix)
    assert second.raw.split(".", 1)[1] not in second.feed.mac
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_CALENDAR_FEED_CREATED).count() == 2


def test_it_revokes_a_feed_and_says_when_there_is_none(practice) -> None:
    tess, harbour = practice.people["tess"], practice.harbour
    services.calendar_feed_create(actor=tess, organisation=harbour)
    services.calendar_feed_revoke(actor=tess, organisation=harbour)
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_CALENDAR_FEED_REVOKED).exists()
    with pytest.raises(ValidationError, match="no calendar feed"):
        services.calendar_feed_revoke(actor=tess, organisation=harbour)


@pytest.mark.parametrize("persona", ["fran", "bill", "sue", "oren"])
def test_it_refuses_a_feed_to_anyone_but_a_therapist_of_the_practice(practice, persona) -> None:
    with pytest.raises(PermissionDenied):
        services.calendar_feed_create(actor=practice.people[persona], organisation=practice.harbour)


def test_it_lets_an_administrator_add_a_room_and_nobody_else(practice) -> None:
    room = services.room_create(
        actor=practice.people["amira"], organisation=practice.harbour, name="Quiet Room"
    )
    assert room.organisation == practice.harbour
    for persona in ("fran", "tess", "bill", "olga"):
        with pytest.raises(PermissionDenied):
            services.room_create(
                actor=practice.people[persona], organisation=practice.harbour, name="Other"
            )


def test_it_erases_a_clients_appointments_with_the_client(practice, room) -> None:
    services.appointment_series_book(
        actor=SETUP,
        client=practice.clients["ada"],
        therapist=practice.people["tess"],
        first=slot(next_monday(), room=room["blue"]),
        recurrence=Recurrence.WEEKLY,
        count=3,
    )
    services.client_erase(actor=SETUP, client=practice.clients["ada"])
    assert not Appointment.objects.exists()
