"""The latent model behind synthetic answers: who is strained, where, and when."""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect_left
from dataclasses import dataclass

from wellkept.assessments.instruments import Instrument
from wellkept.orgs.models import RoleCategory

# Each person has a stable level on three correlated facets (burnout, low
# mood, anxiety) around a shared distress trait; where and how they work
# shifts it; the season moves everyone; a slowly drifting personal state
# and day-to-day noise move each occasion. Every item answer is the facet
# plus item noise, cut at thresholds chosen so that the shipped instruments
# land near published prevalence among hospital staff: burnout (item >= 3)
# in roughly 30-45%, PHQ-9 >= 10 in 15-20%, PHQ-9 item 9 above 0 in 2-4%.

FACETS = ("burnout", "mood", "anxiety")

# How much of each facet is the shared trait (the rest is the facet's own).
TRAIT_LOADING = {"burnout": 0.60, "mood": 0.75, "anxiety": 0.70}

# Unit path words (last two segments) and what working there adds.
HARD_UNITS = (
    "intensive", "icu", "emergency", "resuscitation", "majors", "high-dependency",
    "neonatal", "acute",
)  # fmt: skip
EASY_UNITS = ("outpatient", "clinic", "day-", "radiology", "imaging", "catheter", "liaison")
SHIFT_EFFECT = {"day": 0.0, "evening": 0.10, "night": 0.40, "rotating": 0.30}
ROLE_EFFECT = {
    RoleCategory.RESIDENT: 0.30,
    RoleCategory.NURSE: 0.15,
    RoleCategory.PHYSICIAN: 0.05,
    RoleCategory.ADVANCED_PRACTICE: 0.05,
    RoleCategory.ALLIED_HEALTH: -0.10,
    RoleCategory.OTHER: 0.0,
}
# Burnout reacts to work more than mood does; anxiety in between.
WORK_WEIGHT = {"burnout": 1.0, "mood": 0.6, "anxiety": 0.75}

# Item thresholds on the latent scale, lowest answer first. Calibrated by
# simulation; test_seeding checks that the prevalences stay in range.
THRESHOLDS_0_3 = (0.45, 1.55, 2.45)
THRESHOLDS_SAFETY = (2.55, 3.3, 3.9)
THRESHOLDS_BURNOUT = (-0.55, 0.75, 1.7, 2.5)
THRESHOLDS_WHO5 = (-1.25, -0.4, 0.35, 1.1, 1.95)
THRESHOLDS: dict[str, tuple[float, ...]] = {
    "burnout1": THRESHOLDS_BURNOUT,
    "who5": THRESHOLDS_WHO5,
}
ITEM_NOISE = 0.75
OCCASION_NOISE = 0.30
STATE_PERSISTENCE = 0.85
STATE_STEP = 0.20

FACET_OF = {
    "phq2": "mood",
    "phq9": "mood",
    "gad7": "anxiety",
    "who5": "mood",
    "burnout1": "burnout",
}


def season_effect(day: dt.date) -> float:
    """Return what the time of year adds: winter pressure, and the summer staffing gap."""
    doy = day.timetuple().tm_yday
    # Distance in days to mid-January, wrapping round the new year.
    to_winter = min(abs(doy - 20), 365 - abs(doy - 20))
    winter = 0.30 * math.exp(-((to_winter / 45) ** 2))
    summer = 0.20 * math.exp(-(((doy - 215) / 25) ** 2))
    return winter + summer


def unit_effect(path: str) -> float:
    """Return what working in a unit adds, from the words of its department and unit."""
    words = "/".join(path.strip("/").split("/")[-2:])
    if any(w in words for w in HARD_UNITS):
        return 0.35
    if any(w in words for w in EASY_UNITS):
        return -0.25
    return 0.0


@dataclass
class Person:
    """One participant's place in the latent model, and their drifting state."""

    levels: dict[str, float]
    participation: float
    state: float = 0.0

    @classmethod
    def draw(cls, rng: random.Random, *, work: float, participation: float) -> Person:
        trait = rng.gauss(0.0, 1.0)
        levels = {}
        for facet in FACETS:
            loading = TRAIT_LOADING[facet]
            own = rng.gauss(0.0, 1.0)
            person = loading * trait + math.sqrt(1 - loading * loading) * own
            levels[facet] = 0.75 * person + WORK_WEIGHT[facet] * work
        rate = min(0.98, max(0.10, rng.gauss(participation, 0.15)))
        return cls(levels=levels, participation=rate, state=rng.gauss(0.0, 0.3))

    def step(self, rng: random.Random) -> None:
        """Move on one week: the personal state drifts and slowly returns to zero."""
        self.state = STATE_PERSISTENCE * self.state + rng.gauss(0.0, STATE_STEP)

    def latent(self, facet: str, season: float, rng: random.Random) -> float:
        return self.levels[facet] + season + self.state + rng.gauss(0.0, OCCASION_NOISE)


ItemPlan = tuple[str, tuple[int, ...], tuple[float, ...]]
_plans: dict[str, tuple[str, list[ItemPlan]]] = {}


def _plan(instrument: Instrument) -> tuple[str, list[ItemPlan]]:
    """Return the instrument's facet and, per item, its options by severity and thresholds."""
    found = _plans.get(instrument.key)
    if found is not None:
        return found
    items: list[ItemPlan] = []
    for item in instrument.items:
        # Severity runs against the option values when higher is better (WHO-5).
        by_severity = tuple(sorted(item.values, reverse=instrument.higher_is_better))
        thresholds: tuple[float, ...]
        if item.id in instrument.safety_item_ids:
            thresholds = THRESHOLDS_SAFETY
        else:
            thresholds = THRESHOLDS.get(instrument.code, THRESHOLDS_0_3)
        if len(thresholds) != len(by_severity) - 1:
            # An instrument this model was not tuned for: evenly spaced cuts.
            n = len(by_severity) - 1
            thresholds = tuple(-1.0 + 3.0 * k / max(n - 1, 1) for k in range(n))
        items.append((item.id, by_severity, thresholds))
    found = (FACET_OF.get(instrument.code, "mood"), items)
    _plans[instrument.key] = found
    return found


def answers_for(
    instrument: Instrument, person: Person, season: float, rng: random.Random
) -> dict[str, int]:
    """Return one occasion's answers to ``instrument``: valid option values for every item."""
    facet, items = _plan(instrument)
    level = person.latent(facet, season, rng)
    gauss = rng.gauss
    return {
        # bisect counts the thresholds below the item's value: its severity.
        item_id: by_severity[bisect_left(thresholds, level + gauss(0.0, ITEM_NOISE))]
        for item_id, by_severity, thresholds in items
    }
