"""The practice's schedule: rooms, appointments, weekly series, calendar feeds.

An appointment says who (the client, by row; the therapist), when (aware
datetimes, stored in UTC and shown in the practice's time zone) and where
(a room, or by video). It carries no free text at all: not the service,
not a reason for the visit, nothing the client said. What the front desk
needs to know about a client stays on the client, under the client's key.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from wellkept import clock
from wellkept.orgs.models import Organisation
from wellkept.practice.models.clients import Client


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    ATTENDED = "attended", "Attended"
    LATE_CANCELLED = "late_cancelled", "Late cancellation"
    NO_SHOW = "no_show", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"


class CancelReason(models.TextChoices):
    """Why the practice cancelled an appointment by itself (blank: cancelled by hand)."""

    DISCHARGED = "discharged", "The client was discharged"


# Statuses that hold the therapist's and the room's time: a cancelled slot is free again.
HOLDING_STATUSES = frozenset(
    {AppointmentStatus.BOOKED, AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW}
)


class Recurrence(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    FORTNIGHTLY = "fortnightly", "Every two weeks"


class Room(models.Model):
    """A room of the practice where clients are seen."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="practice_rooms"
    )
    name = models.CharField(max_length=80)
    capacity_note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="room_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class AppointmentSeries(models.Model):
    """A recurring booking: the same weekday and local time, every week or every two."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="series")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointment_series"
    )
    recurrence = models.CharField(max_length=16, choices=Recurrence.choices)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="series_recurrence_valid",
                condition=models.Q(recurrence__in=Recurrence.values),
            ),
            # Exactly one end: a number of occurrences or a last date.
            models.CheckConstraint(
                name="series_one_end",
                condition=(models.Q(count__isnull=False) & models.Q(until__isnull=True))
                | (models.Q(count__isnull=True) & models.Q(until__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return f"series {self.pk}"


class Appointment(models.Model):
    """One appointment of a client with a therapist, in a room or by video."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="appointments"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="appointments")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="appointments"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    telehealth = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED
    )
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=clock.now)
    # A joint session of a couple or family case (every member attends);
    # ``client`` is then the member it is billed to.
    case = models.ForeignKey(
        "practice.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
    )
    # When the reminder went out: the job sends one per appointment, once.
    reminded_at = models.DateTimeField(null=True, blank=True)
    # A code, never free text: blank when someone cancelled it by hand.
    cancel_reason = models.CharField(
        max_length=16, choices=CancelReason.choices, blank=True, default=""
    )

    class Meta:
        ordering = ["start"]
        indexes = [
            models.Index(fields=["therapist", "start"], name="appointment_therapist_start"),
            models.Index(fields=["room", "start"], name="appointment_room_start"),
        ]
        constraints = [
            models.CheckConstraint(
                name="appointment_ends_after_start", condition=models.Q(end__gt=models.F("start"))
            ),
            models.CheckConstraint(
                name="appointment_status_valid",
                condition=models.Q(status__in=AppointmentStatus.values),
            ),
            models.CheckConstraint(
                name="appointment_cancel_reason_valid",
                condition=models.Q(cancel_reason="")
                | models.Q(cancel_reason__in=CancelReason.values, status="cancelled"),
            ),
            # Somewhere to be: a room, or by video, never both.
            models.CheckConstraint(
                name="appointment_one_place",
                condition=(models.Q(room__isnull=False) & models.Q(telehealth=False))
                | (models.Q(room__isnull=True) & models.Q(telehealth=True)),
            ),
        ]

    def __str__(self) -> str:
        return f"appointment {self.pk}"

    @property
    def place(self) -> str:
        return "Video" if self.telehealth else str(self.room)


class CalendarFeed(models.Model):
    """A therapist's private calendar subscription: prefix plus keyed hash, never the secret."""

    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    # As the API tokens (accounts.tokens): a lookup prefix and a keyed MAC.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    mac = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=clock.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "organisation"],
                condition=models.Q(revoked_at__isnull=True),
                name="calendar_feed_one_live",
            ),
        ]

    def __str__(self) -> str:
        return f"calendar feed {self.prefix}"
