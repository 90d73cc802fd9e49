"""Differential-privacy mode: each period's figures noised once, for everyone.

When a period is first asked for (or the scheduler finds it closed), every
group any dashboard can show about it is computed and noised at once, and
stored (``NoisyRelease``). The quarter's budget pays ``epsilon_per_release``
once for the whole period; every viewer, whatever they ask and however
often, is answered from that one release, so no viewer can spend the
budget for others.

The groups of one period fall into tables, each a partition of the people:
the units of one depth of the tree (or the whole organisation), each
crossed with every shift type or none, and with every role category or
none. One person is in one group per table, so a table costs its share of
epsilon once (parallel composition); the tables share the period's epsilon
equally (sequential composition). Within a figure the share is split
between the people count (one person changes it by 1), the answer count
and the band counts (a person adds at most one answer per week and
schedule), and the sum of scores (each answer within the instrument's
range). The Laplace mechanism and its privacy map come from OpenDP.

Whether a figure is shown depends on its noisy people count only (fewer
than k: hidden), so the decision is covered by the same guarantee. The
exact auditor is not needed here: every figure is noisy, and what any
combination of them reveals is bounded by the budget.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from typing import TYPE_CHECKING, Any

import opendp.prelude as dp

from wellkept.insights.disclosure import ENROLMENT, Figure, Group, Hidden
from wellkept.insights.models import NoisyRelease
from wellkept.insights.periods import Grain, weeks_in
from wellkept.orgs.models import RoleCategory, ShiftType

if TYPE_CHECKING:
    from wellkept.insights.disclosure import Releaser

dp.enable_features("contrib")

# Half-width of a 95% interval of Laplace noise, in units of its scale.
LAPLACE_95 = math.log(20)


@functools.lru_cache(maxsize=256)
def _mechanism(sensitivity: float, epsilon: float) -> tuple[Any, float]:
    scale = sensitivity / epsilon
    measurement = dp.m.make_laplace(
        dp.atom_domain(T=float, nan=False), dp.absolute_distance(T=float), scale=scale
    )
    # OpenDP certifies the loss; refuse rather than release if it disagrees.
    if measurement.map(float(sensitivity)) > epsilon * (1 + 1e-9):
        raise ValueError("Noise scale does not meet the privacy budget.")
    return measurement, scale


def _laplace(value: float, *, sensitivity: float, epsilon: float) -> tuple[float, float]:
    """Return the value with Laplace noise for (sensitivity, epsilon), and the scale used."""
    if sensitivity <= 0:
        return value, 0.0
    # A period's release draws thousands of values at a handful of scales.
    measurement, scale = _mechanism(float(sensitivity), float(epsilon))
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
        bands=noisy_bands,
        noisy=True,
        mean_low=mean_low,
        mean_high=mean_high,
        **extra,
    )


def workload(releaser: Releaser, family: str, grain: Grain | None, period: dt.date) -> list[Group]:
    """Every group a dashboard can show about one period: unit (or none) x shift x role."""
    units: list[tuple[str | None, int]] = [(None, -1)]
    units += [(path, depth) for _, path, depth in releaser._unit_paths()]
    shifts: list[str | None] = [None]
    shifts += [
        str(pk)
        for pk in ShiftType.objects.filter(organisation=releaser.organisation).values_list(
            "pk", flat=True
        )
    ]
    roles: list[str | None] = [None, *RoleCategory.values]
    return [
        Group(
            family,
            grain,
            period,
            unit_path=path,
            unit_ids=releaser.subtree(path) if path else None,
            shift_id=shift,
            role=role,
        )
        for path, _ in units
        for shift in shifts
        for role in roles
    ]


def tables(releaser: Releaser) -> int:
    """How many partitions of the people the workload holds (see the module doc)."""
    depths = {depth for _, _, depth in releaser._unit_paths()}
    return (len(depths) + 1) * 2 * 2


def period_release(
    releaser: Releaser, family: str, grain: Grain | None, period: dt.date | None
) -> NoisyRelease:
    """Return the period's one noisy release, making it (and spending once) if it is the first."""
    if period is None:
        raise ValueError("A noisy release is about one period.")
    organisation = releaser.organisation
    found = NoisyRelease.objects.filter(
        organisation=organisation,
        family=family,
        grain=grain.value if grain else "",
        period_start=period,
    ).first()
    if found is not None:
        return found
    quarter = releaser._quarter(Group(family, grain, period))
    epsilon = releaser.settings.epsilon_per_release
    groups = workload(releaser, family, grain, period)
    figures: dict[str, Any] = {}
    spent = 0.0
    if not releaser.spend(family, quarter, epsilon):
        figures = {g.key: {"hidden": Hidden.BUDGET} for g in groups}
    else:
        spent = epsilon
        share = epsilon / tables(releaser)
        weeks = len(weeks_in(grain, period)) if grain is not None and family != ENROLMENT else 1
        low, high = _score_range(family)
        per_week = releaser._answers_per_week(family) if family != ENROLMENT else 1
        for group in groups:
            raw = releaser.raw(group)
            figure = noisy_figure(
                group=group,
                people=raw.people,
                responses=raw.responses,
                scored=raw.scored,
                total=raw.total,
                bands=raw.bands,
                epsilon=share,
                weeks=weeks * per_week,
                score_range=(low, high),
            )
            # Decided on the noisy count: the decision is covered by the budget too.
            if (figure.people or 0) < releaser.k:
                figures[group.key] = {"hidden": Hidden.SMALL}
            else:
                figures[group.key] = figure.as_json()
    return NoisyRelease.objects.create(
        organisation=organisation,
        family=family,
        grain=grain.value if grain else "",
        period_start=period,
        quarter=quarter or period,
        figures=figures,
        epsilon_spent=spent,
    )


def _score_range(family: str) -> tuple[int, int]:
    from wellkept.assessments.instruments import instruments

    instrument = instruments().get(family)
    return (instrument.minimum, instrument.maximum) if instrument is not None else (0, 0)
