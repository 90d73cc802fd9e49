"""Appointment reminders: one e-mail per booked appointment, the day before, once.

What a reminder says is deliberately thin: the date, the time, the place
(a room of the practice, or that the video link will follow) and the
practice's name. Never the client's name (the mailbox may be shared), the
therapist, the kind of service or anything about why the client comes: an
e-mail from "the anxiety clinic, with Dr X" tells whoever reads it too
much. A client is written to only if they agreed to e-mail at intake.

A reminder is claimed (``reminded_at`` set under a condition) and sent in
one transaction, so two runs never send it twice; a message the mail server
refused rolls its claim back and is retried by the next run.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import visible
from wellkept.access.purposes import Purpose
from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.practice.models import Appointment, AppointmentStatus, Client, ContactChannel
from wellkept.practice.services.schedule import practice_zone

# Appointments starting within this window from now are reminded.
AHEAD = dt.timedelta(hours=24)
SUBJECT = "Appointment reminder from {practice}"
BODY = """\
Hello,

This is a reminder of your appointment:

Date: {date}
Time: {time}
Place: {place}

{practice}

If you cannot come, please let the practice know as soon as you can.
"""
VIDEO_PLACE = "By video: the video link will be sent to you before the appointment"


class MailServerUnavailable(Exception):
    """The mail server could not be reached at all; nothing was sent."""


@dataclass
class Summary:
    sent: int = 0
    not_by_email: int = 0
    failed: int = 0
    dry_run: bool = False

    def __str__(self) -> str:
        verb = "Would send" if self.dry_run else "Sent"
        line = f"{verb} {self.sent} appointment reminder(s)."
        if self.not_by_email:
            line += f" {self.not_by_email} client(s) did not agree to e-mail: not reminded."
        if self.failed:
            line += f" {self.failed} could not be sent and will be retried on the next run."
        if self.dry_run:
            line += " Nothing was sent."
        return line


def reminder_text(appointment: Appointment) -> tuple[str, str]:
    """The subject and body of the appointment's reminder: when, where, which practice."""
    local = appointment.start.astimezone(practice_zone())
    practice = appointment.organisation.name
    place = VIDEO_PLACE if appointment.telehealth else f"{appointment.room}, {practice}"
    body = BODY.format(
        date=local.strftime("%A %d %B %Y"),
        time=local.strftime("%H:%M") + f" ({local.tzname()})",
        place=place,
        practice=practice,
    )
    return SUBJECT.format(practice=practice), body


def _address(client: Client) -> str:
    """The client's e-mail address if they agreed to e-mail, else ""."""
    channels = client.contact_channels if isinstance(client.contact_channels, str) else ""
    email = client.email if isinstance(client.email, str) else ""
    if ContactChannel.EMAIL not in channels.split(",") or not email.strip():
        return ""
    return email.strip()


def _claim(appointment: Appointment, now: dt.datetime) -> bool:
    # A conditional update: of two runs at once, exactly one sees a row changed.
    return bool(
        Appointment.objects.filter(pk=appointment.pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
    )


def _message(appointment: Appointment, to: str, connection: Any) -> EmailMessage:
    subject, body = reminder_text(appointment)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        connection=connection,
        headers={"Auto-Submitted": "auto-generated"},
    )


def reminders_send(*, actor: SystemActor, dry_run: bool = False) -> Summary:
    """E-mail the reminders of booked appointments starting in the next 24 hours, once each."""
    now = clock.now()
    purpose = Purpose.SERVICE_ADMINISTRATION
    due = list(
        visible(
            actor,
            Action.READ,
            Appointment.objects.filter(
                status=AppointmentStatus.BOOKED,
                reminded_at__isnull=True,
                start__gte=now,
                start__lt=now + AHEAD,
            ).select_related("organisation", "room"),
            purpose,
        ).order_by("start")
    )
    clients = {
        c.pk: c
        for c in visible(
            actor,
            Action.READ,
            Client.objects.filter(pk__in={a.client_id for a in due}),
            purpose,
        )
    }
    summary = Summary(dry_run=dry_run)
    plan = [(a, _address(clients[a.client_id])) for a in due if a.client_id in clients]
    summary.not_by_email = sum(1 for _a, to in plan if not to)
    plan = [(a, to) for a, to in plan if to]
    if dry_run:
        summary.sent = len(plan)
        return summary
    connection = get_connection()
    if plan:
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise MailServerUnavailable(
                f"Cannot reach the mail server ({exc.__class__.__name__}); nothing was sent."
            ) from None
    try:
        for appointment, to in plan:
            try:
                with transaction.atomic():
                    if not _claim(appointment, now):
                        continue  # another run has it
                    # Sent inside the claim: a refused message rolls the claim
                    # and its audit entry back, and the next run retries it.
                    _message(appointment, to, connection).send()
                    audit_record(
                        actor=actor,
                        event=EventType.PRACTICE_APPOINTMENT_REMINDED,
                        target=f"appointment:{appointment.pk}",
                        purpose=purpose.value,
                    )
            except (smtplib.SMTPException, OSError):
                # Counted, never logged with the address.
                summary.failed += 1
            else:
                summary.sent += 1
    finally:
        connection.close()
    return summary
