"""Helpers for the schedule's tests: rooms, slots in the coming week, a booking."""

from __future__ import annotations

import datetime as dt

from wellkept import clock
from wellkept.practice import services
from wellkept.practice.models import Appointment, Room
from wellkept.practice.services import Slot
from wellkept.practice.tests.conftest import SETUP, Practice


def rooms(practice: Practice) -> dict[str, Room]:
    return {
        "blue": Room.objects.create(organisation=practice.harbour, name="Blue Room"),
        "green": Room.objects.create(organisation=practice.harbour, name="Green Room"),
        "far": Room.objects.create(organisation=practice.other, name="Far Room"),
    }


def next_monday(hour: int = 10) -> dt.datetime:
    """Next week's Monday at ``hour`` UTC: always in the future, always a weekday."""
    today = clock.now().astimezone(dt.UTC).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return dt.datetime.combine(monday, dt.time(hour), tzinfo=dt.UTC)


def slot(start: dt.datetime, minutes: int = 50, room: Room | None = None) -> Slot:
    return Slot(
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        room=room,
        telehealth=room is None,
    )


def book(practice: Practice, client: str, therapist: str, when: Slot) -> Appointment:
    return services.appointment_book(
        actor=SETUP,
        client=practice.clients[client],
        therapist=practice.people[therapist],
        slot=when,
    )
