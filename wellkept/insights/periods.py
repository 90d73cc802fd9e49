"""Reporting periods built from whole ISO weeks.

Months and quarters are sets of whole weeks: a week belongs to the month
(and the quarter) that holds its Thursday, the rule ISO 8601 uses for the
year. Every month and quarter is then exactly a union of weeks, so the
differencing check can describe any released group, at any grain, with the
same week-level building blocks; a calendar month cut mid-week would let a
month minus its weeks isolate the few days in between.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import models


class Grain(models.TextChoices):
    WEEK = "week", "Week"
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"


GRAINS: tuple[Grain, ...] = (Grain.WEEK, Grain.MONTH, Grain.QUARTER)

# The periods one quarter's data is released in at most: 14 weeks, 3 months, the quarter.
PERIODS_PER_QUARTER = 18

MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip


def week_of(day: dt.date) -> dt.date:
    """Return the Monday of the ISO week holding ``day``."""
    return day - dt.timedelta(days=day.weekday())


def _thursday(monday: dt.date) -> dt.date:
    return monday + dt.timedelta(days=3)


def period_of(grain: Grain | str, day: dt.date) -> dt.date:
    """Return the start label of the period of ``grain`` holding ``day``.

    Weeks start on their Monday; months and quarters are labelled by their
    calendar first day, though they contain whole weeks (see module doc).
    """
    grain = Grain(grain)
    monday = week_of(day)
    if grain == Grain.WEEK:
        return monday
    thursday = _thursday(monday)
    if grain == Grain.MONTH:
        return thursday.replace(day=1)
    return dt.date(thursday.year, 3 * ((thursday.month - 1) // 3) + 1, 1)


def _add_months(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def weeks_in(grain: Grain | str, start: dt.date) -> list[dt.date]:
    """Return the Mondays of the weeks that make up the period."""
    grain = Grain(grain)
    if grain == Grain.WEEK:
        return [start]
    end = _add_months(start, 1 if grain == Grain.MONTH else 3)
    # The first Monday whose Thursday falls on or after ``start``.
    monday = week_of(start)
    if _thursday(monday) < start:
        monday += dt.timedelta(weeks=1)
    weeks = []
    while _thursday(monday) < end:
        weeks.append(monday)
        monday += dt.timedelta(weeks=1)
    return weeks


def last_day(grain: Grain | str, start: dt.date) -> dt.date:
    """Return the Sunday that ends the period."""
    return weeks_in(grain, start)[-1] + dt.timedelta(days=6)


def is_closed(grain: Grain | str, start: dt.date, today: dt.date) -> bool:
    """Only a period that has ended is released: an open one still changes every day."""
    return last_day(grain, start) < today


def previous(grain: Grain | str, start: dt.date) -> dt.date:
    grain = Grain(grain)
    if grain == Grain.WEEK:
        return start - dt.timedelta(weeks=1)
    return _add_months(start, -1 if grain == Grain.MONTH else -3)


def recent(grain: Grain | str, count: int, today: dt.date) -> list[dt.date]:
    """Return the last ``count`` closed periods, oldest first."""
    start = period_of(grain, today)
    while not is_closed(grain, start, today):
        start = previous(grain, start)
    found = [start]
    while len(found) < count:
        start = previous(grain, start)
        found.append(start)
    return found[::-1]


def ledger_quarter(grain: Grain | str, start: dt.date) -> dt.date:
    """Return the quarter whose weeks the period belongs to: the differencing ledger's scope."""
    return period_of(Grain.QUARTER, weeks_in(grain, start)[0])


def label(grain: Grain | str, start: dt.date) -> str:
    """Return a short human label: "Week of 3 Nov 2026", "November 2026", "Q4 2026"."""
    grain = Grain(grain)
    if grain == Grain.WEEK:
        return f"Week of {start.day} {MONTH_NAMES[start.month - 1][:3]} {start.year}"
    if grain == Grain.MONTH:
        return f"{MONTH_NAMES[start.month - 1]} {start.year}"
    return f"Q{(start.month - 1) // 3 + 1} {start.year}"


def parse(grain: Grain | str, value: str) -> dt.date:
    """Parse a period from a URL (YYYY-MM-DD) and check that it starts a period of ``grain``."""
    grain = Grain(grain)
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a date: use YYYY-MM-DD.") from None
    starts = {
        Grain.WEEK: day.weekday() == 0,
        Grain.MONTH: day.day == 1,
        Grain.QUARTER: day.day == 1 and day.month in (1, 4, 7, 10),
    }[grain]
    if not starts:
        raise ValueError(f"{value} does not start a {grain.label.lower()}.")
    return day


def iter_grains_of(day: dt.date) -> Iterator[tuple[Grain, dt.date]]:
    for grain in GRAINS:
        yield grain, period_of(grain, day)
