"""A participant's own results over time, per questionnaire, as the history page shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from wellkept.assessments.charts import TrendChart, trend_chart
from wellkept.assessments.instruments import Band, Instrument, UnknownInstrument, get_instrument
from wellkept.assessments.models import Programme
from wellkept.assessments.selectors import HistoryPoint, own_histories
from wellkept.orgs.models import Participant

# A year of weekly check-ins fits; older ones are in the table below the chart.
HISTORY_POINTS = 53


@dataclass(frozen=True)
class Change:
    """How the latest score compares with the one before it, in words."""

    delta: int
    previous: HistoryPoint
    better: bool | None  # None: the same score

    @property
    def direction(self) -> str:
        return "the same as" if self.delta == 0 else ("up" if self.delta > 0 else "down")

    @property
    def size(self) -> int:
        return abs(self.delta)


@dataclass(frozen=True)
class InstrumentHistory:
    instrument: Instrument
    points: list[HistoryPoint]  # oldest first
    latest: HistoryPoint | None
    latest_band: Band | None
    change: Change | None
    chart: TrendChart | None

    @property
    def newest_first(self) -> list[HistoryPoint]:
        return list(reversed(self.points))


def change_since_last(instrument: Instrument, scored: list[HistoryPoint]) -> Change | None:
    """Compare the two most recent scored results; None before there are two."""
    if len(scored) < 2:
        return None
    previous = scored[-2]
    if scored[-1].total is None or previous.total is None:
        return None
    delta = scored[-1].total - previous.total
    better = None if delta == 0 else (delta > 0) == instrument.higher_is_better
    return Change(delta=delta, previous=previous, better=better)


def _instrument_codes(programme: Programme | None) -> list[str]:
    codes: list[str] = []
    if programme is not None:
        for schedule in programme.schedules.all():
            codes.extend(c for c in schedule.instruments if c not in codes)
    return codes


def own_results_over_time(
    *,
    user: Any,
    participant: Participant,
    programme: Programme | None,
    request: HttpRequest | None = None,
) -> list[InstrumentHistory]:
    """Return each questionnaire the person has answered, in the programme's order."""
    by_code = own_histories(user=user, participant=participant, request=request)
    codes = _instrument_codes(programme)
    codes.extend(sorted(set(by_code) - set(codes)))
    found = []
    for code in codes:
        points = by_code.get(code)
        if not points:
            continue
        try:
            instrument = get_instrument(code)
        except UnknownInstrument:
            continue
        scored = [p for p in points if p.total is not None]
        latest = scored[-1] if scored else None
        found.append(
            InstrumentHistory(
                instrument=instrument,
                points=points,
                latest=latest,
                latest_band=(
                    instrument.band_for(latest.total)
                    if latest is not None and latest.total is not None
                    else None
                ),
                change=change_since_last(instrument, scored),
                chart=trend_chart(instrument, points, max_points=HISTORY_POINTS, by_date=True),
            )
        )
    return found
