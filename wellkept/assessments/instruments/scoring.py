"""Score answers by an instrument's published rules, and check answers before they are stored."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from wellkept.assessments.instruments.errors import InvalidAnswers
from wellkept.assessments.instruments.instrument import Band, Instrument


@dataclass(frozen=True)
class Score:
    total: int | None
    raw: int | None
    band: Band | None
    answered: int
    missing: int
    prorated: bool
    safety_signal: bool
    suggestions: tuple[str, ...]


WHOLE_NUMBER = re.compile(r"-?[0-9]+")


def check_answers(instrument: Instrument, answers: Mapping[str, object]) -> dict[str, str]:
    """Return item id -> a sentence for each answer that cannot be stored; empty when all fine.

    Form values arrive as text, so "2" is read as 2; anything else that is
    not a whole number (2.5, "two", True) is refused. Unscored items may be
    left out.
    """
    return _problems(instrument, answers, require_scored=True, allow_text=True)


def _problems(
    instrument: Instrument,
    answers: Mapping[str, object],
    *,
    require_scored: bool,
    allow_text: bool,
) -> dict[str, str]:
    errors: dict[str, str] = {}
    known = {item.id for item in instrument.items}
    for key in answers:
        if key not in known:
            errors[str(key)] = f"There is no question {key!r} in the {instrument.short_title}."
    for number, item in enumerate(instrument.items, start=1):
        value = answers.get(item.id)
        if value is None or value == "":
            if item.scored and require_scored:
                errors[item.id] = f"Choose one of the answers for item {number}."
            continue
        if allow_text and isinstance(value, str) and WHOLE_NUMBER.fullmatch(value):
            value = int(value)
        # bool is an int to Python, but True is not an answer anyone chose.
        if isinstance(value, bool) or not isinstance(value, int) or value not in item.values:
            errors[item.id] = f"That answer is not one of the options for item {number}."
    return errors


def _round_half_up(value: Fraction) -> int:
    # Exact fractions, so 4.5 is 4.5 and not 4.499999; half up, so a
    # prorated total never understates symptoms at the edge of a band.
    return math.floor(value + Fraction(1, 2))


def score(instrument: Instrument, answers: Mapping[str, int | None]) -> Score:
    """Score answers (missing: absent or None); raise InvalidAnswers for values not offered."""
    errors = _problems(instrument, answers, require_scored=False, allow_text=False)
    if errors:
        raise InvalidAnswers(errors)
    scored = instrument.scored_items
    given = [value for item in scored if (value := answers.get(item.id)) is not None]
    answered, missing = len(given), len(scored) - len(given)
    # Risk is read from the item itself, so it shows even when too few items
    # were answered for a total.
    safety_signal = any(
        (value := answers.get(item_id)) is not None and value > instrument.item(item_id).lowest
        for item_id in instrument.safety_item_ids
    )
    raw: int | None = None
    prorated = False
    if missing == 0:
        raw = sum(given)
    elif instrument.missing_rule == "prorate" and 0 < missing <= instrument.max_missing:
        # Each missing answer is replaced by the mean of the answered ones,
        # which is the mean times the number of scored items.
        raw = _round_half_up(Fraction(sum(given) * len(scored), answered))
        prorated = True
    if raw is None:
        return Score(None, None, None, answered, missing, False, safety_signal, ())
    total = raw * instrument.multiplier
    suggestions = tuple(
        rule.code for rule in instrument.suggestions if rule.minimum <= total <= rule.maximum
    )
    return Score(
        total=total,
        raw=raw,
        band=instrument.band_for(total),
        answered=answered,
        missing=missing,
        prorated=prorated,
        safety_signal=safety_signal,
        suggestions=suggestions,
    )
