"""The practice's opening hours for messages: parsed from a setting, asked in the practice's zone.

``WELLKEPT_PRACTICE_HOURS`` reads like a sign on the door:
``"Mon-Fri 09:00-17:00"`` or ``"Mon-Thu 08:30-18:00, Fri 08:30-13:00"``.
A value that cannot be read stops the request with ``ImproperlyConfigured``
naming the setting and the span, never a silent "always open" that would
leave a client at night without the crisis lines.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from wellkept.practice.services import practice_zone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(
    r"^(?P<first>[a-z]{3})(?:-(?P<last>[a-z]{3}))?\s+"
    r"(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$"
)
# How far ahead to look for the next opening (a week covers any sign).
_LOOKAHEAD_DAYS = 8


@dataclass(frozen=True)
class Span:
    """Opening hours on some weekdays (0 is Monday)."""

    days: frozenset[int]
    start: dt.time
    end: dt.time


def _bad(value: str, why: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"WELLKEPT_PRACTICE_HOURS must look like 'Mon-Fri 09:00-17:00' (spans separated by "
        f"commas); {why} in {value!r}."
    )


def _time(text: str, value: str) -> dt.time:
    try:
        return dt.time.fromisoformat(text)
    except ValueError:
        raise _bad(value, f"{text!r} is not a time of day") from None


def parse_hours(value: str) -> tuple[Span, ...]:
    """Read an opening-hours sign; raise ImproperlyConfigured on anything else."""
    spans = []
    for part in value.split(","):
        found = _SPAN.match(part.strip().lower())
        if found is None:
            raise _bad(value, f"{part.strip()!r} is not a span")
        first, last = found["first"], found["last"] or found["first"]
        if first not in DAYS or last not in DAYS:
            raise _bad(value, f"{part.strip()!r} names an unknown day")
        lo, hi = DAYS.index(first), DAYS.index(last)
        if hi < lo:
            raise _bad(value, f"{part.strip()!r} runs backwards")
        start, end = _time(found["start"], value), _time(found["end"], value)
        if end <= start:
            raise _bad(value, f"{part.strip()!r} closes before it opens")
        spans.append(Span(days=frozenset(range(lo, hi + 1)), start=start, end=end))
    return tuple(spans)


def practice_hours() -> tuple[Span, ...]:
    """The configured opening hours (read now, not at import)."""
    return parse_hours(settings.WELLKEPT_PRACTICE_HOURS)


def is_open(moment: dt.datetime, spans: tuple[Span, ...] | None = None) -> bool:
    """Whether the practice answers messages at ``moment`` (an aware datetime)."""
    local = moment.astimezone(practice_zone())
    for span in spans if spans is not None else practice_hours():
        if local.weekday() in span.days and span.start <= local.time() < span.end:
            return True
    return False


def next_opening(moment: dt.datetime, spans: tuple[Span, ...] | None = None) -> dt.datetime | None:
    """When the practice next opens after ``moment``, in the practice's zone; None if never."""
    chosen = spans if spans is not None else practice_hours()
    zone = practice_zone()
    local = moment.astimezone(zone)
    for ahead in range(_LOOKAHEAD_DAYS):
        day = local.date() + dt.timedelta(days=ahead)
        starts = sorted(s.start for s in chosen if day.weekday() in s.days)
        for start in starts:
            opening = dt.datetime.combine(day, start, tzinfo=zone)
            if opening > local:
                return opening
    return None
