"""A dashboard's pictures as plain SVG geometry: no script, no third-party library.

Only released figures are drawn. A hidden period is a gap in the line with
a marker that says "hidden" (never a point at some value), and a figure
with differential-privacy noise is drawn with its uncertainty band, so the
picture claims no more precision than the numbers have. The template puts
the same figures in a table under every chart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from wellkept.assessments.instruments.instrument import Instrument
from wellkept.insights.disclosure import Figure
from wellkept.insights.selectors import Dashboard

WIDTH = 640
HEIGHT = 260
LEFT = 40
RIGHT = 16
TOP = 14
BOTTOM = 40
BAR_HEIGHT = 26
BAR_GAP = 10
BAR_LEFT = 170
BAR_WIDTH = 360


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class Series:
    name: str
    css: str
    # One polyline per run of shown periods: a hidden period breaks the line.
    lines: list[str]
    dots: list[Dot]
    # DP uncertainty: one polygon per run of noisy periods.
    bands: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Gridline:
    y: float
    value: int


@dataclass(frozen=True)
class HiddenMark:
    x: float
    y: float
    label: str


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_bottom: int
    series: list[Series]
    ticks: list[Tick]
    gridlines: list[Gridline]
    hidden: list[HiddenMark]
    description: str


@dataclass(frozen=True)
class Bar:
    y: float
    width: float
    label: str
    value: int
    text_x: float
    text_y: float


@dataclass(frozen=True)
class BandChart:
    width: int
    height: int
    bar_left: int
    bars: list[Bar]
    description: str


def _runs(indices: list[int]) -> list[list[int]]:
    """Split sorted indices into runs of consecutive ones."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _series(
    name: str,
    css: str,
    figures: list[Figure],
    labels: list[str],
    x_of: list[float],
    y_of: Callable[[float | None], float],
) -> Series:
    to_y = y_of
    shown = [i for i, f in enumerate(figures) if f.shown and f.mean is not None]
    lines = []
    for run in _runs(shown):
        lines.append(" ".join(f"{x_of[i]},{to_y(figures[i].mean)}" for i in run))
    dots = [
        Dot(
            x=x_of[i],
            y=to_y(figures[i].mean),
            label=f"{name}, {labels[i]}: mean {figures[i].mean:.1f}",
        )
        for i in shown
    ]
    noisy = [
        i
        for i in shown
        if figures[i].noisy and figures[i].mean_low is not None and figures[i].mean_high is not None
    ]
    bands = []
    for run in _runs(noisy):
        upper = [f"{x_of[i]},{to_y(figures[i].mean_high)}" for i in run]
        lower = [f"{x_of[i]},{to_y(figures[i].mean_low)}" for i in reversed(run)]
        if len(run) == 1:
            # A lone point: a narrow vertical bar rather than a degenerate polygon.
            x = x_of[run[0]]
            high = to_y(figures[run[0]].mean_high)
            low = to_y(figures[run[0]].mean_low)
            upper = [f"{x - 4},{high}", f"{x + 4},{high}"]
            lower = [f"{x + 4},{low}", f"{x - 4},{low}"]
        bands.append(" ".join(upper + lower))
    return Series(name=name, css=css, lines=lines, dots=dots, bands=bands)


def trend_chart(dashboard: Dashboard, *, filtered_name: str | None) -> TrendChart | None:
    """Lay out the mean score per period: the filtered group (if any) and the organisation."""
    points = dashboard.trend
    if not points:
        return None
    instrument: Instrument = dashboard.instrument
    low, high = instrument.minimum, instrument.maximum
    span = max(high - low, 1)
    inner_w = WIDTH - LEFT - RIGHT
    inner_h = HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(points) - 1, 1)
    x_of = [
        round(LEFT + (i * step if len(points) > 1 else inner_w / 2), 1) for i in range(len(points))
    ]

    def y_of(value: float | None) -> float:
        clamped = min(max(value or 0.0, low), high)
        return round(TOP + inner_h * (1 - (clamped - low) / span), 1)

    labels = [p.label for p in points]
    series = [
        _series(
            "Whole organisation",
            "overall",
            [p.overall for p in points],
            labels,
            x_of,
            y_of,
        )
    ]
    hidden_source = [p.overall for p in points]
    if filtered_name is not None:
        series.append(
            _series(filtered_name, "filtered", [p.figure for p in points], labels, x_of, y_of)
        )
        hidden_source = [p.figure for p in points]
    hidden = [
        HiddenMark(x=x_of[i], y=float(TOP + inner_h), label=f"{labels[i]}: hidden")
        for i, f in enumerate(hidden_source)
        if not f.shown
    ]
    # Label at most about eight periods so the axis stays legible on a tablet.
    every = max(1, -(-len(points) // 8))
    ticks = [
        Tick(x=x_of[i], label=_short(labels[i]))
        for i in range(len(points))
        if (len(points) - 1 - i) % every == 0
    ]
    bounds = sorted({b.minimum for b in instrument.bands if b.minimum > low} | {low, high})
    direction = "Higher is better." if instrument.higher_is_better else "Lower is better."
    shown = sum(1 for f in hidden_source if f.shown)
    return TrendChart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_bottom=TOP + inner_h,
        series=series,
        ticks=ticks,
        gridlines=[Gridline(y=y_of(v), value=v) for v in bounds],
        hidden=hidden,
        description=(
            f"Mean {instrument.short_title} score per period, {labels[0]} to {labels[-1]}: "
            f"{shown} of {len(points)} periods shown, the rest hidden. {direction} "
            "The same figures are in the table below."
        ),
    )


def _short(label: str) -> str:
    """Shorten "November 2026" to "Nov 26" and "Week of 3 Nov 2026" to "3 Nov"."""
    words = label.split()
    if label.startswith("Week of") and len(words) >= 4:
        return f"{words[2]} {words[3]}"
    if len(words) == 2 and words[0][:1] != "Q":
        return f"{words[0][:3]} {words[1][-2:]}"
    return label


def band_chart(dashboard: Dashboard) -> BandChart | None:
    """Lay out the severity band counts of the latest shown period as horizontal bars."""
    bands = dashboard.bands
    if not bands or dashboard.latest is None:
        return None
    most = max((count or 0) for _, _, count in bands) or 1
    bars = []
    for i, (_, label, count) in enumerate(bands):
        y = float(TOP + i * (BAR_HEIGHT + BAR_GAP))
        width = round(BAR_WIDTH * (count or 0) / most, 1)
        bars.append(
            Bar(
                y=y,
                width=width,
                label=label,
                value=count or 0,
                text_x=BAR_LEFT + width + 6,
                text_y=y + BAR_HEIGHT / 2 + 5,
            )
        )
    return BandChart(
        width=WIDTH,
        height=TOP * 2 + len(bars) * (BAR_HEIGHT + BAR_GAP),
        bar_left=BAR_LEFT,
        bars=bars,
        description=(
            f"Answers per severity band in {dashboard.latest.label} (each answer counts once). "
            "The same figures are in the table below."
        ),
    )
