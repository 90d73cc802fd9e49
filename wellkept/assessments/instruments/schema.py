"""The shape of a definition file, checked field by field before any meaning is read into it.

Strict and closed (``extra="forbid"``): a misspelt key or a quoted number is
an error, never a silent default, because a scoring rule that quietly falls
back to a default is a wrong score nobody notices.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

# ASCII digits only: \d would also accept other scripts' digits.
CODE = re.compile(r"[a-z][a-z0-9]*")
NAME = re.compile(r"[a-z][a-z0-9_]*")
VERSION = re.compile(r"[0-9]+\.[0-9]+")
ITEM_ID = re.compile(r"[a-z][a-z0-9]*_[a-z0-9_]+")
LOINC_CODE = re.compile(r"[0-9]{1,7}-[0-9]")
LOINC_ANSWER = re.compile(r"LA[0-9]+-[0-9]")


def loinc_check_digit_ok(code: str) -> bool:
    """Return whether a LOINC code's last digit matches LOINC's mod-10 check."""
    digits = code.replace("-", "")
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            value = value - 9 if value > 9 else value
        total += value
    return total % 10 == 0


def _text(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    return value


def _shaped(pattern: re.Pattern[str], example: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise ValueError(f"{value!r} is not valid here; write it like {example}")
        return value

    return AfterValidator(check)


def _loinc_code(value: str) -> str:
    if not LOINC_CODE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a LOINC code; LOINC codes are up to seven digits, "
            "a dash and a check digit, like 44249-1"
        )
    # The check digit catches the commonest slip, one mistyped digit.
    if not loinc_check_digit_ok(value):
        raise ValueError(f"{value!r} fails the LOINC check digit; look for a mistyped digit")
    return value


def _loinc_answer(value: str) -> str:
    if not LOINC_ANSWER.fullmatch(value):
        raise ValueError(f"{value!r} is not a LOINC answer code; they start with LA, like LA6568-5")
    return value


Text = Annotated[str, AfterValidator(_text)]
Code = Annotated[str, _shaped(CODE, "phq9 (lower-case letters, then letters or digits)")]
Name = Annotated[str, _shaped(NAME, "moderately_severe (lower-case letters, digits, _)")]
Version = Annotated[str, _shaped(VERSION, "1.0 (major.minor)")]
ItemId = Annotated[str, _shaped(ITEM_ID, "phq9_1 (the instrument code, _, a name)")]
LoincCode = Annotated[str, AfterValidator(_loinc_code)]
LoincAnswer = Annotated[str, AfterValidator(_loinc_answer)]


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class OptionSpec(Strict):
    value: int
    label: Text
    loinc: LoincAnswer | None = None


class ItemSpec(Strict):
    id: ItemId
    text: Text
    answers: Name
    scored: bool = True
    loinc: LoincCode | None = None


class BandSpec(Strict):
    code: Name
    minimum: int
    maximum: int
    label: Text
    meaning: Text


class SuggestionSpec(Strict):
    code: Name
    minimum: int
    maximum: int


class LoincSpec(Strict):
    panel: LoincCode | None = None
    total: LoincCode | None = None


class ScoringSpec(Strict):
    minimum: int
    maximum: int
    multiplier: int = Field(ge=1)
    higher_is_better: bool
    missing_rule: Literal["prorate", "none"]
    max_missing: int = Field(ge=0)
    rounding: Literal["half_up"] | None = None
    missing_source: Text
    safety_items: list[ItemId] = []


class InstrumentSpec(Strict):
    code: Code
    version: Version
    title: Text
    short_title: Text
    stem: Text
    licence: Text
    citation: Text
    sources: list[Text] = Field(min_length=1)
    loinc: LoincSpec = LoincSpec()
    scoring: ScoringSpec
    answers: dict[Name, list[OptionSpec]] = Field(min_length=1)
    items: list[ItemSpec] = Field(min_length=1)
    bands: list[BandSpec] = Field(min_length=1)
    suggestions: list[SuggestionSpec] = []
