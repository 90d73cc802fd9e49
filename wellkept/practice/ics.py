"""A therapist's calendar as iCalendar text (RFC 5545), written out by hand.

Only what a phone's calendar needs and nothing a lost phone should show:
each event is titled with the client's code, placed in a room or "Video",
and timed in UTC. Never a name, a service or a note: a synced calendar
ends up in places (a personal phone, a cloud account) the practice does
not control.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from wellkept.practice.models import Appointment, AppointmentStatus

PRODUCT = "-//Wellkept//Practice calendar//EN"
# RFC 5545 3.1: lines of at most 75 octets, folded with CRLF and one space.
LINE_OCTETS = 75


def escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma, newline."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def fold(line: str) -> str:
    """Fold one content line into pieces of at most 75 octets, never splitting a character."""
    pieces: list[str] = []
    current = ""
    limit = LINE_OCTETS
    for char in line:
        if len((current + char).encode("utf-8")) > limit:
            pieces.append(current)
            current = char
            # Continuation lines start with a space, which counts towards the 75.
            limit = LINE_OCTETS - 1
        else:
            current += char
    pieces.append(current)
    return "\r\n ".join(pieces)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar_text(appointments: Iterable[Appointment], *, name: str, generated: dt.datetime) -> str:
    """Return the iCalendar text of ``appointments`` (cancelled ones marked so)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for appointment in appointments:
        cancelled = appointment.status == AppointmentStatus.CANCELLED
        # A joint session shows its case's code, never one member's.
        summary = appointment.case.code if appointment.case else appointment.client.code
        lines += [
            "BEGIN:VEVENT",
            f"UID:{appointment.pk}@wellkept",
            f"DTSTAMP:{_stamp(generated)}",
            f"DTSTART:{_stamp(appointment.start)}",
            f"DTEND:{_stamp(appointment.end)}",
            f"SUMMARY:{escape(summary)}",
            f"LOCATION:{escape(appointment.place)}",
            f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
            "CLASS:CONFIDENTIAL",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
