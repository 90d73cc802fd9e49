"""Validated self-assessment instruments, kept as data: one TOML file per instrument version.

The files in ``definitions/`` hold the items, answers, scoring rules, bands,
safety items, licence and LOINC codes; this package checks them, scores
answers by the published rules and exports FHIR. See docs/instruments.md.
"""

from __future__ import annotations

from wellkept.assessments.instruments.errors import (
    InstrumentFileError,
    InvalidAnswers,
    UnknownInstrument,
)
from wellkept.assessments.instruments.fhir import to_fhir_json, to_fhir_questionnaire
from wellkept.assessments.instruments.instrument import Band, Instrument, Item, Option, Suggestion
from wellkept.assessments.instruments.loader import (
    all_versions,
    get_instrument,
    instruments,
    load_instrument,
)
from wellkept.assessments.instruments.scoring import Score, check_answers, score

__all__ = [
    "Band",
    "Instrument",
    "InstrumentFileError",
    "InvalidAnswers",
    "Item",
    "Option",
    "Score",
    "Suggestion",
    "UnknownInstrument",
    "all_versions",
    "check_answers",
    "get_instrument",
    "instruments",
    "load_instrument",
    "score",
    "to_fhir_json",
    "to_fhir_questionnaire",
]
