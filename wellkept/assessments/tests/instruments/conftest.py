"""A small valid definition, written to a temporary file and broken on purpose by each test."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from wellkept.assessments.instruments import Instrument

TOY = """\
code = "toy"
version = "1.0"
title = "Toy questionnaire"
short_title = "Toy"
stem = "How often?"
licence = "Free to use."
citation = "Nobody N. A toy. 2024."
sources = ["Nobody N. A toy. 2024."]

[loinc]
panel = "44249-1"
total = "44261-6"

[scoring]
minimum = 0
maximum = 6
multiplier = 1
higher_is_better = false
missing_rule = "prorate"
max_missing = 1
rounding = "half_up"
missing_source = "Made up for the tests."
safety_items = ["toy_2"]

[[answers.frequency]]
value = 0
label = "Never"
loinc = "LA6568-5"

[[answers.frequency]]
value = 1
label = "Sometimes"
loinc = "LA6569-3"

[[answers.frequency]]
value = 2
label = "Often"
loinc = "LA6570-1"

[[answers.frequency]]
value = 3
label = "Always"
loinc = "LA6571-9"

[[items]]
id = "toy_1"
text = "First question"
answers = "frequency"
loinc = "44250-9"

[[items]]
id = "toy_2"
text = "Second question"
answers = "frequency"
loinc = "44255-8"

[[bands]]
code = "low"
minimum = 0
maximum = 2
label = "Low"
meaning = "Low."

[[bands]]
code = "high"
minimum = 3
maximum = 6
label = "High"
meaning = "High."

[[suggestions]]
code = "more"
minimum = 3
maximum = 6
"""

WriteDefinition = Callable[..., Path]


@pytest.fixture
def write_definition(tmp_path: Path) -> WriteDefinition:
    """Return a function writing the toy definition, with replacements, to a temporary file."""

    def write(
        replace: Mapping[str, str] | None = None, *, name: str = "toy-1.0.toml", text: str = TOY
    ) -> Path:
        for old, new in (replace or {}).items():
            assert old in text, f"test setup: {old!r} is not in the definition"
            text = text.replace(old, new, 1)
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


def answers_for(instrument: Instrument, raw: int) -> dict[str, int]:
    """Return complete answers whose raw total (before the multiplier) is ``raw``."""
    answers: dict[str, int] = {}
    left = raw - sum(item.lowest for item in instrument.scored_items)
    for item in instrument.scored_items:
        step = min(left, max(item.values) - item.lowest)
        answers[item.id] = item.lowest + step
        left -= step
    assert left == 0, f"test setup: {instrument.key} cannot reach a raw total of {raw}"
    return answers
