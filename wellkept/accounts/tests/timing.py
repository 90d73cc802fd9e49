"""Does a request take longer for one input than another? A paired, robust answer.

For the equal-time promise of public forms that take an address (a known
account versus an unknown one). Requests are made in pairs, one of each, in
a random order within the pair, so that the machine getting busier or
quieter (CI runners are shared) moves both alike; the statistic is the
median of the pair differences, with a bootstrap confidence interval, so a
few slow outliers (a garbage collection, another process) do not decide it.
Rounds are added until the interval is narrow enough to tell a difference
of ``resolution_ms`` from none, or the rounds run out.

Reusable for any such form: ``compare(lambda: post(a), lambda: post(b))``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Verdict:
    """The median extra time of ``first`` over ``second`` (ms) and its 95 % interval."""

    shift_ms: float
    low_ms: float
    high_ms: float
    pairs: int

    def excludes(self, difference_ms: float) -> bool:
        """True when a gap of ``difference_ms`` or more, either way, is ruled out."""
        return -difference_ms < self.low_ms and self.high_ms < difference_ms

    def shows(self, difference_ms: float) -> bool:
        """True when ``first`` is reliably at least ``difference_ms`` slower."""
        return self.low_ms > difference_ms

    def __str__(self) -> str:
        return (
            f"{self.shift_ms:+.2f} ms (95% {self.low_ms:+.2f} .. {self.high_ms:+.2f}) "
            f"over {self.pairs} pairs"
        )


def _elapsed_ms(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return (time.perf_counter() - began) * 1000


def pair_differences(
    first: Callable[[], object], second: Callable[[], object], *, pairs: int, rng: random.Random
) -> list[float]:
    differences = []
    for _ in range(pairs):
        if rng.random() < 0.5:
            a = _elapsed_ms(first)
            b = _elapsed_ms(second)
        else:
            b = _elapsed_ms(second)
            a = _elapsed_ms(first)
        differences.append(a - b)
    return differences


def median_shift(differences: list[float], *, resamples: int = 2000, seed: int = 1) -> Verdict:
    values = np.asarray(differences)
    draws = np.random.default_rng(seed).integers(0, len(values), (resamples, len(values)))
    medians = np.median(values[draws], axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return Verdict(float(np.median(values)), float(low), float(high), len(values))


def compare(
    first: Callable[[], object],
    second: Callable[[], object],
    *,
    resolution_ms: float = 3.0,
    pairs_per_round: int = 100,
    max_rounds: int = 4,
    warm_up: int = 10,
    seed: int = 20260101,
) -> Verdict:
    """Measure until the 95 % interval is narrower than ``resolution_ms``."""
    rng = random.Random(seed)
    pair_differences(first, second, pairs=warm_up, rng=rng)
    differences: list[float] = []
    verdict = median_shift([0.0])
    for _ in range(max_rounds):
        differences += pair_differences(first, second, pairs=pairs_per_round, rng=rng)
        verdict = median_shift(differences)
        if verdict.high_ms - verdict.low_ms < resolution_ms:
            break
    return verdict
