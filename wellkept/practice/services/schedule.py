"""Writes of the practice's schedule: book, repeat, move, cancel, mark; calendar feeds.

Each service asks the policy first (one audited decision about the
therapist's calendar), validates, takes the audit lock before it looks for
clashes (so two bookings cannot both find the slot free) and records its
own audit event in the same transaction. Audit entries name the
appointment, client and therapist by row id, never by name.

Times arrive as aware datetimes and are stored in UTC; a weekly series is
repeated in the practice's wall-clock time (``settings.TIME_ZONE``), so a
4 pm session stays at 4 pm across a change to or from summer time.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can, roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.accounts.models import User
from wellkept.accounts.tokens import token_issue
from wellkept.actors import Actor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    HOLDING_STATUSES,
    Appointment,
    AppointmentSeries,
    AppointmentStatus,
    CalendarFeed,
    Client,
    ClientAssignment,
    ClientStatus,
    Recurrence,
    Room,
)
from wellkept.practice.scopes import appointment_resource, calendar_resource
from wellkept.practice.services.deciding import allow, purpose_of
from wellkept.practice.services.telehealth import video_room_ensure

# An appointment longer than a working day is a typing mistake, not a session.
LONGEST = dt.timedelta(hours=8)
SHORTEST = dt.timedelta(minutes=5)
# A series is booked for at most a year ahead: the practice reviews it then.
MOST_OCCURRENCES = 52
FURTHEST = dt.timedelta(days=366)
ROOM_NAME_MAX = 80
ROOM_NOTE_MAX = 120
STEP_DAYS = {Recurrence.WEEKLY: 7, Recurrence.FORTNIGHTLY: 14}
# What a therapist or the front desk may mark once the time has come.
MARKS = frozenset(
    {AppointmentStatus.ATTENDED, AppointmentStatus.LATE_CANCELLED, AppointmentStatus.NO_SHOW}
)
# Marks that say something happened (or not) at the time: only once it has begun.
AFTER_START = frozenset({AppointmentStatus.ATTENDED, AppointmentStatus.NO_SHOW})


@dataclass(frozen=True)
class Slot:
    """When and where: aware start and end, and a room or video (never both)."""

    start: dt.datetime
    end: dt.datetime
    room: Room | None = None
    telehealth: bool = False


@dataclass(frozen=True)
class IssuedFeed:
    """A new calendar feed: ``raw`` goes into the feed's address, shown once, kept nowhere."""

    feed: CalendarFeed
    raw: str


def practice_zone() -> zoneinfo.ZoneInfo:
    """The practice's time zone, in which times are entered and shown."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _local_text(moment: dt.datetime) -> str:
    return moment.astimezone(practice_zone()).strftime("%a %d %b %Y %H:%M")


def room_create(
    *, actor: Actor, organisation: Organisation, name: str, capacity_note: str = ""
) -> Room:
    """Add a room to the practice (set-up by its administrator or a command); audited."""
    resource = Resource(
        kind=ResourceKind.ORG_CONFIG,
        reference=f"rooms:{organisation.pk}",
        organisation_id=organisation.pk,
    )
    if not can(actor, Action.CREATE, resource, Purpose.SERVICE_ADMINISTRATION):
        raise PermissionDenied("You may not set up rooms at this practice.")
    name, capacity_note = name.strip(), capacity_note.strip()
    if not name:
        raise ValidationError({"name": "Enter the room's name."})
    if len(name) > ROOM_NAME_MAX or len(capacity_note) > ROOM_NOTE_MAX:
        raise ValidationError(
            {
                "name": f"Keep the name under {ROOM_NAME_MAX} and the note under "
                f"{ROOM_NOTE_MAX} characters."
            }
        )
    with transaction.atomic():
        if Room.objects.filter(organisation=organisation, name__iexact=name).exists():
            raise ValidationError(
                {"name": f"{organisation.name} already has a room called {name}."}
            )
        room = Room.objects.create(
            organisation=organisation, name=name, capacity_note=capacity_note
        )
        audit_record(
            actor=actor,
            event=EventType.CONFIG_CHANGED,
            target=f"room:{room.pk}",
            purpose=Purpose.SERVICE_ADMINISTRATION.value,
            reason="room created",
        )
    return room


def _check_slot(organisation_id: object, slot: Slot) -> None:
    errors: dict[str, str] = {}
    if slot.start.tzinfo is None or slot.end.tzinfo is None:
        # A naive time would be read in whatever zone the server happens to run.
        errors["start"] = "Give the time with its time zone."
    elif slot.end <= slot.start:
        errors["end"] = "The appointment must end after it starts."
    elif slot.end - slot.start > LONGEST:
        errors["end"] = "An appointment lasts at most 8 hours; check the times."
    elif slot.end - slot.start < SHORTEST:
        errors["end"] = "An appointment lasts at least 5 minutes."
    if slot.room is not None and slot.telehealth:
        errors["room"] = "Choose a room or video, not both."
    elif slot.room is None and not slot.telehealth:
        errors["room"] = "Choose a room, or video."
    elif slot.room is not None and slot.room.organisation_id != organisation_id:
        errors["room"] = "Choose a room of this practice."
    if errors:
        raise ValidationError(errors)


def _check_people(client: Client, therapist: User) -> None:
    if client.status == ClientStatus.DISCHARGED:
        raise ValidationError(
            f"Client {client.code} is discharged: re-admit them before booking.", code="discharged"
        )
    if AccessRole.SPECIALIST not in roles_in(therapist, client.organisation_id):
        raise ValidationError("Choose a therapist of this practice.", code="therapist")
    if not ClientAssignment.objects.filter(
        client=client, therapist=therapist, until__isnull=True
    ).exists():
        raise ValidationError(
            f"Client {client.code} does not work with this therapist: assign them first.",
            code="not_assigned",
        )


def _clash(therapist: User, slot: Slot, *, ignore: uuid.UUID | None = None) -> str:
    """Say what the slot clashes with (the therapist's time, the room's), or ""."""
    overlapping = Appointment.objects.filter(
        status__in=HOLDING_STATUSES, start__lt=slot.end, end__gt=slot.start
    )
    if ignore is not None:
        overlapping = overlapping.exclude(pk=ignore)
    taken = overlapping.filter(therapist=therapist).order_by("start").first()
    if taken is not None:
        return (
            "The therapist already has an appointment from "
            f"{_local_text(taken.start)} to {_local_text(taken.end)}."
        )
    if slot.room is not None:
        taken = overlapping.filter(room=slot.room).order_by("start").first()
        if taken is not None:
            return (
                f"{slot.room.name} is booked from {_local_text(taken.start)} "
                f"to {_local_text(taken.end)}."
            )
    return ""


def _lock_calendar(therapist: User, room: Room | None) -> None:
    # Takes the audit lock first: every booking queues there, so the clash
    # check below sees every appointment committed before it.
    lock_rows(User.objects.filter(pk=therapist.pk)).exists()
    if room is not None:
        lock_rows(Room.objects.filter(pk=room.pk)).exists()


def booking_resource(client: Client, therapist: User) -> Resource:
    return calendar_resource(
        client.organisation_id, therapist.pk, reference=f"client:{client.pk}/appointment"
    )


def _create(
    actor: Actor,
    client: Client,
    therapist: User,
    slot: Slot,
    series: AppointmentSeries | None,
) -> Appointment:
    appointment = Appointment.objects.create(
        organisation_id=client.organisation_id,
        client=client,
        therapist=therapist,
        start=slot.start.astimezone(dt.UTC),
        end=slot.end.astimezone(dt.UTC),
        room=slot.room,
        telehealth=slot.telehealth,
        series=series,
        created_by=actor if isinstance(actor, User) else None,
    )
    # A video appointment gets its random room now (issue 19, telehealth).
    video_room_ensure(appointment)
    return appointment


def appointment_book(
    *,
    actor: Actor,
    client: Client,
    therapist: User,
    slot: Slot,
    request: HttpRequest | None = None,
) -> Appointment:
    """Book one appointment, refusing a discharged client and any clash; audited."""
    allow(
        actor,
        Action.CREATE,
        booking_resource(client, therapist),
        request,
        "book appointments in this calendar",
    )
    _check_slot(client.organisation_id, slot)
    _check_people(client, therapist)
    with transaction.atomic():
        _lock_calendar(therapist, slot.room)
        clash = _clash(therapist, slot)
        if clash:
            raise ValidationError(clash, code="clash")
        appointment = _create(actor, client, therapist, slot, None)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_APPOINTMENT_BOOKED,
            target=f"appointment:{appointment.pk}",
            purpose=purpose_of(actor).value,
            reason=f"client:{client.pk}, therapist user:{therapist.pk}",
            request=request,
        )
    return appointment


def occurrences(
    first: Slot, recurrence: str, *, count: int | None = None, until: dt.date | None = None
) -> list[Slot]:
    """The slots of a series, repeated in the practice's wall-clock time."""
    zone = practice_zone()
    start = first.start.astimezone(zone)
    length = first.end - first.start
    step = dt.timedelta(days=STEP_DAYS[Recurrence(recurrence)])
    slots: list[Slot] = []
    wall = start.replace(tzinfo=None)
    while len(slots) < (count or MOST_OCCURRENCES):
        # The same local time on the later day, whatever its UTC offset.
        local = wall.replace(tzinfo=zone)
        if until is not None and local.date() > until:
            break
        begin = local.astimezone(dt.UTC)
        slots.append(Slot(begin, begin + length, first.room, first.telehealth))
        wall += step
    return slots


def _check_series(first: Slot, count: int | None, until: dt.date | None) -> None:
    if (count is None) == (until is None):
        raise ValidationError(
            {"count": "Give either a number of appointments or a last date, not both."}
        )
    if count is not None and not 2 <= count <= MOST_OCCURRENCES:
        raise ValidationError(
            {"count": f"A series has between 2 and {MOST_OCCURRENCES} appointments."}
        )
    if until is not None:
        first_day = first.start.astimezone(practice_zone()).date()
        if until <= first_day:
            raise ValidationError({"until": "The last date must be after the first appointment."})
        if until - first_day > FURTHEST:
            raise ValidationError({"until": "A series can be booked at most a year ahead."})


def appointment_series_book(
    *,
    actor: Actor,
    client: Client,
    therapist: User,
    first: Slot,
    recurrence: str,
    count: int | None = None,
    until: dt.date | None = None,
    request: HttpRequest | None = None,
) -> AppointmentSeries:
    """Book a weekly or fortnightly series: every occurrence, or none if any clashes."""
    allow(
        actor,
        Action.CREATE,
        booking_resource(client, therapist),
        request,
        "book appointments in this calendar",
    )
    if recurrence not in Recurrence.values:
        raise ValidationError({"recurrence": "Choose weekly or every two weeks."})
    _check_slot(client.organisation_id, first)
    _check_series(first, count, until)
    _check_people(client, therapist)
    slots = occurrences(first, recurrence, count=count, until=until)
    with transaction.atomic():
        _lock_calendar(therapist, first.room)
        clashes = [f"{_local_text(s.start)}: {c}" for s in slots if (c := _clash(therapist, s))]
        if clashes:
            # All or nothing: half a series is worse than none, nobody notices the gaps.
            raise ValidationError(
                ["Nothing was booked; these dates clash.", *clashes], code="clash"
            )
        series = AppointmentSeries.objects.create(
            client=client,
            therapist=therapist,
            recurrence=recurrence,
            count=count,
            until=until,
            created_by=actor if isinstance(actor, User) else None,
        )
        for slot in slots:
            appointment = _create(actor, client, therapist, slot, series)
            audit_record(
                actor=actor,
                event=EventType.PRACTICE_APPOINTMENT_BOOKED,
                target=f"appointment:{appointment.pk}",
                purpose=purpose_of(actor).value,
                reason=(f"client:{client.pk}, therapist user:{therapist.pk}, series:{series.pk}"),
                request=request,
            )
    return series


def _locked(appointment: Appointment) -> Appointment:
    return lock_rows(Appointment.objects.select_related("client", "room")).get(pk=appointment.pk)


def appointment_reschedule(
    *,
    actor: Actor,
    appointment: Appointment,
    slot: Slot,
    request: HttpRequest | None = None,
) -> Appointment:
    """Move a booked appointment to another time or place, refusing any clash; audited."""
    allow(
        actor,
        Action.UPDATE,
        appointment_resource(appointment),
        request,
        "change this appointment",
    )
    _check_slot(appointment.organisation_id, slot)
    with transaction.atomic():
        therapist = User.objects.get(pk=appointment.therapist_id)
        _lock_calendar(therapist, slot.room)
        locked = _locked(appointment)
        if locked.status != AppointmentStatus.BOOKED:
            raise ValidationError(
                f"Only a booked appointment can be moved; this one is "
                f"{locked.get_status_display().lower()}.",
                code="status",
            )
        if locked.client.status == ClientStatus.DISCHARGED:
            raise ValidationError(
                f"Client {locked.client.code} is discharged: cancel instead.", code="discharged"
            )
        clash = _clash(therapist, slot, ignore=locked.pk)
        if clash:
            raise ValidationError(clash, code="clash")
        locked.start = slot.start.astimezone(dt.UTC)
        locked.end = slot.end.astimezone(dt.UTC)
        locked.room = slot.room
        locked.telehealth = slot.telehealth
        # Moved by hand: the reminder (if one went) named the old time.
        locked.reminded_at = None
        locked.save(update_fields=["start", "end", "room", "telehealth", "reminded_at"])
        video_room_ensure(locked)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_APPOINTMENT_CHANGED,
            target=f"appointment:{locked.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return locked


def appointment_cancel(
    *,
    actor: Actor,
    appointment: Appointment,
    request: HttpRequest | None = None,
    reason: str = "",
    own_portal: Resource | None = None,
) -> Appointment:
    """Cancel a booked appointment in good time: the slot is free again; audited.

    ``own_portal`` is the client's own portal resource when the client
    cancels for themselves: the policy decides on it (for self-service)
    instead of on the therapist's calendar, which a client never holds.
    """
    purpose = purpose_of(actor)
    if own_portal is None:
        allow(
            actor,
            Action.UPDATE,
            appointment_resource(appointment),
            request,
            "cancel this appointment",
        )
    else:
        # A portal resource of another client must never cancel this one.
        if not own_portal.reference.startswith(f"client:{appointment.client_id}/"):
            raise PermissionDenied("You may not cancel this appointment.")
        purpose = Purpose.SELF_SERVICE
        allow(actor, Action.UPDATE, own_portal, request, "cancel this appointment", purpose)
    with transaction.atomic():
        locked = _locked(appointment)
        if locked.status != AppointmentStatus.BOOKED:
            raise ValidationError(
                f"Only a booked appointment can be cancelled; this one is "
                f"{locked.get_status_display().lower()}.",
                code="status",
            )
        locked.status = AppointmentStatus.CANCELLED
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_APPOINTMENT_CANCELLED,
            target=f"appointment:{locked.pk}",
            purpose=purpose.value,
            reason=reason,
            request=request,
        )
    return locked


def appointment_mark(
    *,
    actor: Actor,
    appointment: Appointment,
    status: str,
    request: HttpRequest | None = None,
) -> Appointment:
    """Mark an appointment attended, cancelled late or missed (or correct the mark); audited."""
    allow(actor, Action.UPDATE, appointment_resource(appointment), request, "mark this appointment")
    if status not in MARKS:
        raise ValidationError(
            "Mark the appointment attended, cancelled late or missed.", code="status"
        )
    with transaction.atomic():
        locked = _locked(appointment)
        if locked.status == AppointmentStatus.CANCELLED:
            raise ValidationError(
                "This appointment was cancelled; it cannot be marked.", code="status"
            )
        if status in AFTER_START and locked.start > clock.now():
            raise ValidationError(
                "The appointment has not started yet: it can be marked attended or missed "
                "only from its start.",
                code="too_early",
            )
        if locked.status == status:
            return locked
        before = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_APPOINTMENT_STATUS_CHANGED,
            target=f"appointment:{locked.pk}",
            purpose=purpose_of(actor).value,
            reason=f"{before} -> {status}",
            request=request,
        )
    return locked


def calendar_feed_create(
    *, actor: User, organisation: Organisation, request: HttpRequest | None = None
) -> IssuedFeed:
    """Give the therapist a new private feed of their calendar; an older one stops working."""
    resource = calendar_resource(organisation.pk, actor.pk, reference=f"calendar:{actor.pk}/feed")
    allow(actor, Action.CREATE, resource, request, "subscribe to this calendar")
    issued = token_issue()
    with transaction.atomic():
        now = clock.now()
        lock_rows(User.objects.filter(pk=actor.pk)).exists()
        CalendarFeed.objects.filter(
            therapist=actor, organisation=organisation, revoked_at__isnull=True
        ).update(revoked_at=now)
        feed = CalendarFeed.objects.create(
            therapist=actor,
            organisation=organisation,
            prefix=issued.prefix,
            mac=issued.mac,
            created_at=now,
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CALENDAR_FEED_CREATED,
            target=f"calendar_feed:{feed.prefix}",
            purpose=Purpose.CLINICAL_CARE.value,
            request=request,
        )
    return IssuedFeed(feed=feed, raw=issued.raw)


def calendar_feed_revoke(
    *, actor: User, organisation: Organisation, request: HttpRequest | None = None
) -> CalendarFeed:
    """Stop the therapist's calendar feed at once; audited."""
    resource = calendar_resource(organisation.pk, actor.pk, reference=f"calendar:{actor.pk}/feed")
    allow(actor, Action.UPDATE, resource, request, "change this calendar's feed")
    with transaction.atomic():
        feed = (
            lock_rows(CalendarFeed.objects.all())
            .filter(therapist=actor, organisation=organisation, revoked_at__isnull=True)
            .first()
        )
        if feed is None:
            raise ValidationError("There is no calendar feed to stop.", code="missing")
        feed.revoked_at = clock.now()
        feed.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CALENDAR_FEED_REVOKED,
            target=f"calendar_feed:{feed.prefix}",
            purpose=Purpose.CLINICAL_CARE.value,
            request=request,
        )
    return feed
