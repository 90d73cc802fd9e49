"""What a definition file must mean, beyond its shape: ranges, bands, references, uniqueness.

Every check adds a sentence rather than stopping at the first, so a person
fixing a file sees everything wrong with it in one run of ``validate``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path

from wellkept.assessments.instruments.schema import BandSpec, InstrumentSpec, ItemSpec


def expected_file_name(data: Mapping[str, object]) -> str | None:
    """Return the file name a definition must have, or None if code or version is unusable."""
    code, version = data.get("code"), data.get("version")
    if isinstance(code, str) and isinstance(version, str):
        return f"{code}-{version}.toml"
    return None


def file_name_problem(data: Mapping[str, object], path: Path) -> str | None:
    """Return a sentence if the file is not named <code>-<version>.toml."""
    expected = expected_file_name(data)
    if expected is None or path.name == expected:
        return None
    # The name is how a person finds the version stored answers refer to.
    return (
        f"the file must be named {expected} to match its code {data['code']!r} "
        f"and version {data['version']!r}."
    )


def problems(spec: InstrumentSpec) -> list[str]:
    """Return every semantic problem of a definition whose shape is already valid."""
    found = [*_answer_sets(spec), *_items(spec), *_safety(spec)]
    if not any(item.answers not in spec.answers for item in spec.items):
        found.extend(_range(spec))
        found.extend(_proration(spec))
    found.extend(_missing_rule(spec))
    found.extend(_bands(spec))
    found.extend(_suggestions(spec))
    return found


def _scores(low: int, high: int) -> str:
    return f"score {low}" if low == high else f"scores {low} to {high}"


def _repeated(values: Iterable[object]) -> list[object]:
    return [value for value, count in Counter(values).items() if count > 1]


def _answer_sets(spec: InstrumentSpec) -> list[str]:
    found: list[str] = []
    used = {item.answers for item in spec.items}
    for name, options in spec.answers.items():
        where = f"answers.{name}"
        if len(options) < 2:
            found.append(f"{where} needs at least two options to choose from.")
        for value in _repeated(option.value for option in options):
            found.append(f"{where} gives the value {value} to more than one option.")
        for label in _repeated(option.label for option in options):
            found.append(f"{where} has the label {label!r} more than once.")
        for code in _repeated(option.loinc for option in options if option.loinc):
            found.append(f"{where} uses the LOINC answer code {code} more than once.")
        if name not in used:
            found.append(f"{where} is not used by any item; remove it or fix the item's answers.")
    found.extend(_unlabelled_codes(spec, used))
    return found


def _unlabelled_codes(spec: InstrumentSpec, used: set[str]) -> list[str]:
    # Options without a LOINC code are exported to FHIR under their value
    # alone, so one value must mean one thing throughout the instrument.
    labels: dict[int, set[str]] = {}
    for name in sorted(used & set(spec.answers)):
        for option in spec.answers[name]:
            if option.loinc is None:
                labels.setdefault(option.value, set()).add(option.label)
    return [
        f"options without a LOINC code are exported under their value, so the value {value} "
        f"cannot be labelled both {' and '.join(repr(label) for label in sorted(names))}; "
        "give them LOINC answer codes or one label."
        for value, names in sorted(labels.items())
        if len(names) > 1
    ]


def _items(spec: InstrumentSpec) -> list[str]:
    found: list[str] = []
    prefix = f"{spec.code}_"
    for item_id in _repeated(item.id for item in spec.items):
        found.append(f"the item id {item_id} is used more than once; item ids must be unique.")
    for code in _repeated(item.loinc for item in spec.items if item.loinc):
        found.append(f"the LOINC code {code} is given to more than one item.")
    for index, item in enumerate(spec.items):
        where = f"items[{index}] ({item.id})"
        if not item.id.startswith(prefix):
            # Stored answers are keyed by item id; a shared prefix keeps two
            # instruments' answers from ever being mistaken for each other.
            found.append(f"{where}: the id must start with {prefix!r}, the instrument's code.")
        if item.answers not in spec.answers:
            known = ", ".join(sorted(spec.answers))
            found.append(
                f"{where} uses answers {item.answers!r}, which are not defined; defined: {known}."
            )
    if not any(item.scored for item in spec.items):
        found.append("no item is scored; at least one item must count towards the total.")
    return found


def _scored(spec: InstrumentSpec) -> list[ItemSpec]:
    return [item for item in spec.items if item.scored]


def _range(spec: InstrumentSpec) -> list[str]:
    scoring = spec.scoring
    values = [[option.value for option in spec.answers[item.answers]] for item in _scored(spec)]
    low = sum(min(v) for v in values) * scoring.multiplier
    high = sum(max(v) for v in values) * scoring.multiplier
    if (scoring.minimum, scoring.maximum) == (low, high):
        return []
    # Declared and derived on purpose: a typo in one option value shows up here.
    return [
        f"scoring.minimum and scoring.maximum say {scoring.minimum} to {scoring.maximum}, "
        f"but the scored items' options times the multiplier {scoring.multiplier} "
        f"give {low} to {high}."
    ]


def _proration(spec: InstrumentSpec) -> list[str]:
    if spec.scoring.missing_rule != "prorate":
        return []
    sets = {
        frozenset(option.value for option in spec.answers[item.answers]) for item in _scored(spec)
    }
    if len(sets) > 1:
        # Proration fills a gap with the mean of the other answers, which
        # only makes sense if every item is answered on the same scale.
        return ["missing_rule 'prorate' needs every scored item to use the same answer values."]
    return []


def _missing_rule(spec: InstrumentSpec) -> list[str]:
    scoring = spec.scoring
    scored = len(_scored(spec))
    if scoring.missing_rule == "none":
        found = []
        if scoring.max_missing != 0:
            found.append("scoring.max_missing must be 0 when missing_rule is 'none'.")
        if scoring.rounding is not None:
            found.append("scoring.rounding only applies when missing_rule is 'prorate'.")
        return found
    found = []
    if scoring.max_missing < 1:
        found.append("scoring.max_missing must be at least 1 when missing_rule is 'prorate'.")
    if scored and scoring.max_missing >= scored:
        found.append(
            f"scoring.max_missing is {scoring.max_missing}, but with {scored} scored items "
            "at least one must be answered; lower it."
        )
    if scoring.rounding is None:
        found.append("scoring.rounding is required when missing_rule is 'prorate' (use 'half_up').")
    return found


def _band_name(band: BandSpec) -> str:
    return f"{band.code} ({band.minimum} to {band.maximum})"


def _bands(spec: InstrumentSpec) -> list[str]:
    low, high = spec.scoring.minimum, spec.scoring.maximum
    found: list[str] = []
    for code in _repeated(band.code for band in spec.bands):
        found.append(f"the band code {code} is used more than once.")
    upside_down = [band for band in spec.bands if band.minimum > band.maximum]
    for band in upside_down:
        found.append(f"the band {band.code} starts at {band.minimum} but ends at {band.maximum}.")
    if upside_down:
        return found
    bands = sorted(spec.bands, key=lambda band: (band.minimum, band.maximum))
    first, last = bands[0], bands[-1]
    if first.minimum > low:
        found.append(
            f"no band covers {_scores(low, first.minimum - 1)}: "
            f"the lowest band, {_band_name(first)}, starts above the lowest score {low}."
        )
    if first.minimum < low:
        found.append(f"the band {_band_name(first)} starts below the lowest possible score {low}.")
    if last.maximum < high:
        found.append(
            f"no band covers {_scores(last.maximum + 1, high)}: "
            f"the highest band, {_band_name(last)}, ends below the highest score {high}."
        )
    if last.maximum > high:
        found.append(f"the band {_band_name(last)} ends above the highest possible score {high}.")
    for before, after in itertools.pairwise(bands):
        if after.minimum <= before.maximum:
            shared = _scores(after.minimum, min(before.maximum, after.maximum))
            found.append(
                f"the bands {_band_name(before)} and {_band_name(after)} overlap: "
                f"{shared} would fall in both."
            )
        elif after.minimum > before.maximum + 1:
            found.append(
                f"no band covers {_scores(before.maximum + 1, after.minimum - 1)}, between "
                f"{_band_name(before)} and {_band_name(after)}."
            )
    return found


def _safety(spec: InstrumentSpec) -> list[str]:
    ids = {item.id for item in spec.items}
    found = [
        f"scoring.safety_items names {item_id}, which is not an item of this instrument."
        for item_id in spec.scoring.safety_items
        if item_id not in ids
    ]
    for item_id in _repeated(spec.scoring.safety_items):
        found.append(f"scoring.safety_items names {item_id} more than once.")
    return found


def _suggestions(spec: InstrumentSpec) -> list[str]:
    low, high = spec.scoring.minimum, spec.scoring.maximum
    found: list[str] = []
    for code in _repeated(suggestion.code for suggestion in spec.suggestions):
        found.append(f"the suggestion {code} is listed more than once.")
    for index, suggestion in enumerate(spec.suggestions):
        where = f"suggestions[{index}] ({suggestion.code})"
        if suggestion.minimum > suggestion.maximum:
            found.append(
                f"{where} starts at {suggestion.minimum} but ends at {suggestion.maximum}."
            )
        elif suggestion.minimum < low or suggestion.maximum > high:
            found.append(
                f"{where} covers {suggestion.minimum} to {suggestion.maximum}, "
                f"outside the score range {low} to {high}."
            )
    return found
