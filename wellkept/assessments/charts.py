"""A person's own trend as plain SVG geometry: no script, no third-party library.

The template draws the shapes and always puts the same numbers in a table
beside the chart, so a screen reader (or anyone) gets the data without the
picture.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from wellkept.assessments.instruments import Instrument
from wellkept.assessments.selectors import HistoryPoint

WIDTH = 320
HEIGHT = 160
LEFT = 34
RIGHT = 10
TOP = 10
BOTTOM = 26
MAX_POINTS = 26


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str
    latest: bool


@dataclass(frozen=True)
class Gridline:
    y: float
    value: int


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    polyline: str
    dots: list[Dot]
    gridlines: list[Gridline]
    first_day: str
    last_day: str
    description: str


def trend_chart(
    instrument: Instrument,
    points: list[HistoryPoint],
    *,
    max_points: int = MAX_POINTS,
    by_date: bool = False,
) -> TrendChart | None:
    """Lay out the last results of one instrument; None when there is nothing to compare.

    Results are evenly spaced by default; ``by_date`` places them by their
    day instead, so a gap of months looks like one (the history page).
    """
    scored = [p for p in points if p.total is not None][-max_points:]
    if len(scored) < 2:
        return None
    low, high = instrument.minimum, instrument.maximum
    span = max(high - low, 1)
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    first, days = scored[0].day, max((scored[-1].day - scored[0].day).days, 1)

    def x_of(index: int, point: HistoryPoint) -> float:
        share = (point.day - first).days / days if by_date else index / (len(scored) - 1)
        return round(LEFT + inner_w * share, 1)

    def y_of(value: int) -> float:
        return round(TOP + inner_h * (1 - (value - low) / span), 1)

    dots = [
        Dot(
            x=x_of(i, p),
            y=y_of(p.total or 0),
            label=f"{p.day.isoformat()}: {p.total} ({p.band_label or 'not scored'})",
            latest=i == len(scored) - 1,
        )
        for i, p in enumerate(scored)
    ]
    # Band boundaries (the first score of each band but the lowest) as gridlines.
    bounds = sorted({b.minimum for b in instrument.bands if b.minimum > low} | {low, high})
    gridlines = [Gridline(y=y_of(v), value=v) for v in bounds]
    direction = "Higher is better." if instrument.higher_is_better else "Lower is better."
    return TrendChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        polyline=" ".join(f"{d.x},{d.y}" for d in dots),
        dots=dots,
        gridlines=gridlines,
        # With the year once the results span more than one.
        first_day=scored[0].day.strftime(_day_format(scored[0].day, scored[-1].day)),
        last_day=scored[-1].day.strftime(_day_format(scored[0].day, scored[-1].day)),
        description=(
            f"Your {instrument.short_title} scores over your last {len(scored)} check-ins, "
            f"from {scored[0].total} on {scored[0].day.strftime('%d %b %Y')} to "
            f"{scored[-1].total} on {scored[-1].day.strftime('%d %b %Y')}. {direction}"
        ),
    )


def _day_format(first: dt.date, last: dt.date) -> str:
    return "%d %b" if first.year == last.year else "%d %b %Y"
