"""The FHIR R5 export validates, round-trips, and carries the LOINC codes."""

from __future__ import annotations

import json

import pytest
from fhir.resources.questionnaire import Questionnaire

from wellkept.assessments.instruments import (
    get_instrument,
    instruments,
    to_fhir_json,
    to_fhir_questionnaire,
)
from wellkept.assessments.instruments.fhir import ITEM_WEIGHT, LOINC

CODES = sorted(instruments())


def questions(resource: dict) -> list[dict]:
    return [item for item in resource["item"] if item["type"] != "display"]


@pytest.mark.parametrize("code", CODES)
def test_it_round_trips_through_the_fhir_model(code: str) -> None:
    instrument = get_instrument(code)
    text = to_fhir_json(instrument)
    again = Questionnaire.model_validate(json.loads(text))
    assert again == to_fhir_questionnaire(instrument)
    assert json.loads(again.model_dump_json()) == json.loads(text)


@pytest.mark.parametrize("code", CODES)
def test_it_exports_one_question_per_item_after_the_stem(code: str) -> None:
    instrument = get_instrument(code)
    resource = json.loads(to_fhir_json(instrument))
    assert resource["resourceType"] == "Questionnaire"
    assert resource["url"] == f"https://wellkept.invalid/fhir/Questionnaire/{code}"
    assert (resource["version"], resource["status"]) == (instrument.version, "active")
    assert resource["copyright"] == instrument.licence
    assert resource["item"][0] == {"linkId": "stem", "text": instrument.stem, "type": "display"}
    exported = questions(resource)
    assert [q["linkId"] for q in exported] == [item.id for item in instrument.items]
    assert {q["type"] for q in exported} == {"coding"}
    assert [q["required"] for q in exported] == [item.scored for item in instrument.items]


def test_it_codes_the_phq9_in_loinc() -> None:
    phq9 = get_instrument("phq9")
    resource = json.loads(to_fhir_json(phq9))
    assert resource["code"] == [{"system": LOINC, "code": "44249-1", "display": phq9.title}]
    exported = questions(resource)
    assert [q["code"][0]["code"] for q in exported] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
        "69722-7",
    ]
    item9 = exported[8]
    assert [o["valueCoding"] for o in item9["answerOption"]] == [
        {"system": LOINC, "code": "LA6568-5", "display": "Not at all"},
        {"system": LOINC, "code": "LA6569-3", "display": "Several days"},
        {"system": LOINC, "code": "LA6570-1", "display": "More than half the days"},
        {"system": LOINC, "code": "LA6571-9", "display": "Nearly every day"},
    ]
    assert [o["extension"] for o in item9["answerOption"]] == [
        [{"url": ITEM_WEIGHT, "valueDecimal": value}] for value in (0, 1, 2, 3)
    ]


def test_it_codes_the_who5_answers_in_the_wellkept_system() -> None:
    resource = json.loads(to_fhir_json(get_instrument("who5")))
    assert "code" not in resource
    first = questions(resource)[0]
    assert "code" not in first
    assert [o["valueCoding"]["code"] for o in first["answerOption"]] == [
        "5",
        "4",
        "3",
        "2",
        "1",
        "0",
    ]
    assert {o["valueCoding"]["system"] for o in first["answerOption"]} == {
        "https://wellkept.invalid/fhir/CodeSystem/who5-answers"
    }
    assert first["answerOption"][0]["extension"] == [{"url": ITEM_WEIGHT, "valueDecimal": 5}]
