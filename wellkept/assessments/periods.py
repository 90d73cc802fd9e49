"""Check-in periods: the week, fortnight, month or quarter a day falls in."""

from __future__ import annotations

import datetime as dt

from wellkept.assessments.models import Frequency

# Fortnights count from a fixed Monday, so every installation agrees on them.
FORTNIGHT_EPOCH = dt.date(2024, 1, 1)


def period_start(frequency: Frequency | str, day: dt.date) -> dt.date:
    """Return the first day of the period of ``frequency`` that contains ``day``."""
    frequency = Frequency(frequency)
    if frequency == Frequency.WEEKLY:
        return day - dt.timedelta(days=day.weekday())
    if frequency == Frequency.FORTNIGHTLY:
        monday = day - dt.timedelta(days=day.weekday())
        weeks = (monday - FORTNIGHT_EPOCH).days // 7
        return monday - dt.timedelta(weeks=weeks % 2)
    if frequency == Frequency.MONTHLY:
        return day.replace(day=1)
    quarter_month = 3 * ((day.month - 1) // 3) + 1
    return dt.date(day.year, quarter_month, 1)


def next_period_start(frequency: Frequency | str, day: dt.date) -> dt.date:
    """Return the first day of the period after the one containing ``day``."""
    frequency = Frequency(frequency)
    start = period_start(frequency, day)
    if frequency == Frequency.WEEKLY:
        return start + dt.timedelta(weeks=1)
    if frequency == Frequency.FORTNIGHTLY:
        return start + dt.timedelta(weeks=2)
    months = 1 if frequency == Frequency.MONTHLY else 3
    month = start.month - 1 + months
    return dt.date(start.year + month // 12, month % 12 + 1, 1)
