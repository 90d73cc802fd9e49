"""Read definition files into instruments, and the shipped catalogue, loaded once per process."""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from wellkept.assessments.instruments import checks
from wellkept.assessments.instruments.errors import InstrumentFileError, UnknownInstrument
from wellkept.assessments.instruments.instrument import (
    Band,
    Instrument,
    Item,
    Option,
    Suggestion,
)
from wellkept.assessments.instruments.messages import sentences
from wellkept.assessments.instruments.schema import InstrumentSpec

DEFINITIONS = Path(__file__).resolve().parent / "definitions"


def load_instrument(path: Path) -> Instrument:
    """Read, validate and return one definition file, or raise InstrumentFileError."""
    path = Path(path)
    data = _read(path)
    name_problem = checks.file_name_problem(data, path)
    try:
        spec = InstrumentSpec.model_validate(data)
    except ValidationError as exc:
        found = sentences(exc, data)
        raise InstrumentFileError(path, [*found, *filter(None, [name_problem])]) from None
    found = [*filter(None, [name_problem]), *checks.problems(spec)]
    if found:
        raise InstrumentFileError(path, found)
    return _build(spec)


def _read(path: Path) -> dict[str, object]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InstrumentFileError(path, ["there is no such file."]) from None
    except UnicodeDecodeError:
        raise InstrumentFileError(path, ["is not UTF-8 text."]) from None
    except OSError as exc:
        raise InstrumentFileError(path, [f"cannot be read: {exc.strerror or exc}."]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentFileError(path, [f"is not valid TOML: {exc}."]) from None


def _build(spec: InstrumentSpec) -> Instrument:
    answers = {
        name: tuple(Option(value=o.value, label=o.label, loinc=o.loinc) for o in options)
        for name, options in spec.answers.items()
    }
    scoring = spec.scoring
    return Instrument(
        code=spec.code,
        version=spec.version,
        title=spec.title,
        short_title=spec.short_title,
        stem=spec.stem,
        items=tuple(
            Item(
                id=item.id,
                text=item.text,
                options=answers[item.answers],
                scored=item.scored,
                loinc=item.loinc,
            )
            for item in spec.items
        ),
        minimum=scoring.minimum,
        maximum=scoring.maximum,
        multiplier=scoring.multiplier,
        higher_is_better=scoring.higher_is_better,
        bands=tuple(
            Band(
                code=b.code, minimum=b.minimum, maximum=b.maximum, label=b.label, meaning=b.meaning
            )
            for b in sorted(spec.bands, key=lambda band: band.minimum)
        ),
        safety_item_ids=tuple(scoring.safety_items),
        licence=spec.licence,
        citation=spec.citation,
        loinc_panel=spec.loinc.panel,
        loinc_total=spec.loinc.total,
        missing_rule=scoring.missing_rule,
        max_missing=scoring.max_missing,
        rounding=scoring.rounding,
        missing_source=scoring.missing_source,
        suggestions=tuple(
            Suggestion(code=s.code, minimum=s.minimum, maximum=s.maximum) for s in spec.suggestions
        ),
        sources=tuple(spec.sources),
    )


def _version_key(version: str) -> tuple[int, ...]:
    # "1.10" is newer than "1.9"; string order would say otherwise.
    return tuple(int(part) for part in version.split("."))


@dataclass(frozen=True)
class _Catalogue:
    by_key: Mapping[tuple[str, str], Instrument]
    latest: Mapping[str, Instrument]


@functools.cache
def _catalogue() -> _Catalogue:
    # Loaded once per process: the files ship with the code and change only
    # with a release. A broken file raises here and is not cached, so the
    # error repeats loudly instead of leaving a half-empty catalogue.
    by_key: dict[tuple[str, str], Instrument] = {}
    for path in sorted(DEFINITIONS.glob("*.toml")):
        instrument = load_instrument(path)
        by_key[(instrument.code, instrument.version)] = instrument
    latest: dict[str, Instrument] = {}
    for instrument in sorted(by_key.values(), key=lambda i: (i.code, _version_key(i.version))):
        latest[instrument.code] = instrument
    return _Catalogue(by_key=by_key, latest=latest)


def instruments() -> dict[str, Instrument]:
    """Return the latest version of every shipped instrument, by code."""
    return dict(_catalogue().latest)


def all_versions() -> tuple[Instrument, ...]:
    """Return every shipped instrument version, ordered by code and then version."""
    return tuple(
        sorted(_catalogue().by_key.values(), key=lambda i: (i.code, _version_key(i.version)))
    )


def get_instrument(code: str, version: str | None = None) -> Instrument:
    """Return a shipped instrument (its latest version unless one is named)."""
    catalogue = _catalogue()
    if code not in catalogue.latest:
        known = ", ".join(sorted(catalogue.latest))
        raise UnknownInstrument(f"No instrument has the code {code!r}. Known codes: {known}.")
    if version is None:
        return catalogue.latest[code]
    try:
        return catalogue.by_key[(code, version)]
    except KeyError:
        known = ", ".join(i.version for i in all_versions() if i.code == code)
        raise UnknownInstrument(
            f"{catalogue.latest[code].short_title} has no version {version!r}. "
            f"Known versions: {known}."
        ) from None
