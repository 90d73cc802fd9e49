"""Differential-privacy mode: calibrated noise from OpenDP on released figures.

Every released group spends ``epsilon`` of the quarter's budget, split in
four: the people count (one person changes it by 1), the response count
and the band counts (one person adds at most one response a week), and
the sum of scores (at most one response a week, each within the
instrument's range). Contributions are bounded by construction: a check-in
is one per person, schedule and period. The Laplace mechanism and its
privacy map come from OpenDP; the figure shows an approximate 95% band.
"""

from __future__ import annotations

import math
from typing import Any

import opendp.prelude as dp

from wellkept.insights.disclosure import Figure, Group

dp.enable_features("contrib")

# Half-width of a 95% interval of Laplace noise, in units of its scale.
LAPLACE_95 = math.log(20)


def _laplace(value: float, *, sensitivity: float, epsilon: float) -> tuple[float, float]:
    """Return the value with Laplace noise for (sensitivity, epsilon), and the scale used."""
    if sensitivity <= 0:
        return value, 0.0
    scale = sensitivity / epsilon
    measurement = dp.m.make_laplace(
        dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float), scale=scale
    )
    # OpenDP certifies the loss; refuse rather than release if it disagrees.
    if measurement.map(float(sensitivity)) > epsilon * (1 + 1e-9):
        raise ValueError("Noise scale does not meet the privacy budget.")
    return float(measurement(float(value))), scale


def noisy_figure(
    *,
    group: Group,
    people: int,
    responses: int,
    scored: int,
    total: int,
    bands: dict[str, int],
    epsilon: float,
    weeks: int,
    score_range: tuple[int, int],
) -> Figure:
    share = epsilon / 4
    low, high = score_range
    noisy_people, people_scale = _laplace(people, sensitivity=1, epsilon=share)
    noisy_responses, _ = _laplace(responses, sensitivity=weeks, epsilon=share)
    noisy_scored, _ = _laplace(scored, sensitivity=weeks, epsilon=share / 2)
    # Clamp to the instrument's range: one person moves the sum by at most this.
    noisy_sum, sum_scale = _laplace(
        total, sensitivity=weeks * max(abs(low), abs(high)), epsilon=share / 2
    )
    noisy_bands: dict[str, int] = {}
    for band, count in sorted(bands.items()):
        value, _ = _laplace(count, sensitivity=weeks, epsilon=share)
        noisy_bands[band] = max(0, round(value))
    mean = mean_low = mean_high = None
    denominator = max(noisy_scored, 1.0)
    if scored:
        mean = min(max(noisy_sum / denominator, low), high)
        spread = LAPLACE_95 * sum_scale / denominator
        mean_low, mean_high = max(low, mean - spread), min(high, mean + spread)
        mean, mean_low, mean_high = round(mean, 1), round(mean_low, 1), round(mean_high, 1)
    extra: dict[str, Any] = {"people_margin": round(LAPLACE_95 * people_scale, 1)}
    return Figure(
        group=group,
        shown=True,
        people=max(0, round(noisy_people)),
        responses=max(0, round(noisy_responses)),
        mean=mean,
        sd=None,
        bands=noisy_bands,
        noisy=True,
        mean_low=mean_low,
        mean_high=mean_high,
        **extra,
    )
