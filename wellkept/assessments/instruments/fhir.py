"""Export an instrument as a FHIR R5 Questionnaire, coded in LOINC wherever LOINC has a code."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from wellkept.assessments.instruments.instrument import Instrument, Item, Option

if TYPE_CHECKING:
    from fhir.resources.questionnaire import Questionnaire

BASE_URL = "https://wellkept.invalid/fhir"
LOINC = "http://loinc.org"
# R5's core extension for an answer's numeric score (R4's ordinalValue).
ITEM_WEIGHT = "http://hl7.org/fhir/StructureDefinition/itemWeight"
STEM_LINK_ID = "stem"  # cannot clash: item ids always start with the instrument code and _


def answer_system(instrument: Instrument) -> str:
    """Return the code system for answers that LOINC does not code (WHO-5, burnout item)."""
    return f"{BASE_URL}/CodeSystem/{instrument.code}-answers"


def _option(instrument: Instrument, option: Option) -> dict[str, Any]:
    if option.loinc:
        coding = {"system": LOINC, "code": option.loinc, "display": option.label}
    else:
        # One value means one thing per instrument (checked on load), so the
        # value itself is a stable code.
        coding = {
            "system": answer_system(instrument),
            "code": str(option.value),
            "display": option.label,
        }
    return {
        "extension": [{"url": ITEM_WEIGHT, "valueDecimal": Decimal(option.value)}],
        "valueCoding": coding,
    }


def _item(instrument: Instrument, item: Item, number: int) -> dict[str, Any]:
    question: dict[str, Any] = {
        "linkId": item.id,
        "prefix": str(number),
        "text": item.text,
        "type": "coding",
        "required": item.scored,
        "repeats": False,
        "answerConstraint": "optionsOnly",
        "answerOption": [_option(instrument, option) for option in item.options],
    }
    if item.loinc:
        question["code"] = [{"system": LOINC, "code": item.loinc, "display": item.text}]
    return question


def to_fhir_questionnaire(instrument: Instrument) -> Questionnaire:
    """Return the instrument as a validated FHIR R5 Questionnaire resource."""
    # Imported here: the FHIR models take longer to import than the rest of
    # the package, and scoring (every check-in) never needs them.
    from fhir.resources.questionnaire import Questionnaire

    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "id": f"{instrument.code}-{instrument.version}",
        "url": f"{BASE_URL}/Questionnaire/{instrument.code}",
        "version": instrument.version,
        "name": instrument.code.upper(),
        "title": instrument.title,
        "status": "active",
        "publisher": "Wellkept",
        "description": f"Cite as: {instrument.citation}",
        "copyright": instrument.licence,
        "item": [
            {"linkId": STEM_LINK_ID, "text": instrument.stem, "type": "display"},
            *(
                _item(instrument, item, number)
                for number, item in enumerate(instrument.items, start=1)
            ),
        ],
    }
    if instrument.loinc_panel:
        resource["code"] = [
            {"system": LOINC, "code": instrument.loinc_panel, "display": instrument.title}
        ]
    return Questionnaire.model_validate(resource)


def to_fhir_json(instrument: Instrument) -> str:
    """Return the Questionnaire as indented FHIR JSON."""
    return to_fhir_questionnaire(instrument).model_dump_json(indent=2)
