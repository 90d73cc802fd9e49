"""An instrument as the rest of Wellkept sees it: frozen values, checked once when loaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MissingRule = Literal["prorate", "none"]
Rounding = Literal["half_up"]


@dataclass(frozen=True)
class Option:
    value: int
    label: str
    loinc: str | None


@dataclass(frozen=True)
class Item:
    id: str
    text: str
    options: tuple[Option, ...]
    scored: bool
    loinc: str | None

    @property
    def values(self) -> tuple[int, ...]:
        """Return the option values in the order they are shown."""
        return tuple(option.value for option in self.options)

    @property
    def lowest(self) -> int:
        """Return the smallest option value (for PHQ-9 item 9: 'Not at all')."""
        return min(self.values)


@dataclass(frozen=True)
class Band:
    code: str
    minimum: int
    maximum: int
    label: str
    meaning: str

    def __contains__(self, score: object) -> bool:
        return isinstance(score, int) and self.minimum <= score <= self.maximum


@dataclass(frozen=True)
class Suggestion:
    """A follow-up the total points to, e.g. the PHQ-9 after a PHQ-2 of 3 or more."""

    code: str
    minimum: int
    maximum: int


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    title: str
    short_title: str
    stem: str
    items: tuple[Item, ...]
    minimum: int
    maximum: int
    multiplier: int
    higher_is_better: bool
    bands: tuple[Band, ...]
    safety_item_ids: tuple[str, ...]
    licence: str
    citation: str
    loinc_panel: str | None
    loinc_total: str | None
    missing_rule: MissingRule = "none"
    max_missing: int = 0
    rounding: Rounding | None = None
    missing_source: str = ""
    suggestions: tuple[Suggestion, ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """Return the code and version that stored answers refer to, e.g. 'phq9@1.0'."""
        return f"{self.code}@{self.version}"

    @property
    def scored_items(self) -> tuple[Item, ...]:
        """Return the items that count towards the total."""
        return tuple(item for item in self.items if item.scored)

    def item(self, item_id: str) -> Item:
        """Return the item with this id or raise KeyError naming the instrument."""
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(f"{self.short_title} has no item {item_id!r}.")

    def number(self, item_id: str) -> int:
        """Return the 1-based position of an item, as a person filling in the form sees it."""
        for position, item in enumerate(self.items, start=1):
            if item.id == item_id:
                return position
        raise KeyError(f"{self.short_title} has no item {item_id!r}.")

    def band_for(self, score: int) -> Band:
        """Return the band that contains a total score."""
        for band in self.bands:
            if score in band:
                return band
        raise ValueError(
            f"A {self.short_title} score is between {self.minimum} and {self.maximum}, "
            f"so {score!r} has no band."
        )
