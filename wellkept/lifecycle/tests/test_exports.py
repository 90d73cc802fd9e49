"""Data-subject exports: answers with their questions, valid FHIR, no login, nothing once erased."""

from __future__ import annotations

import json

import pytest
from fhir.resources.bundle import Bundle

from wellkept.assessments.instruments import get_instrument, to_fhir_questionnaire
from wellkept.assessments.models import (
    CheckIn,
    ReminderOptOut,
    ReminderSent,
    Response,
    SafetyAlert,
)
from wellkept.assessments.selectors import decode_payload
from wellkept.assessments.services import checkin_save_answers, checkin_start
from wellkept.consent.services import consent_record
from wellkept.consent.tests import conftest as personas
from wellkept.lifecycle.exports import export_fhir_bundle, export_json
from wellkept.vault.services import datakey_shred

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    w = personas.build_world()
    personas.check_in(w, "pia", w.st_annes)
    return w


@pytest.fixture
def pia(world):
    return world.participants["pia"]


def by_instrument(exported, code):
    return next(r for r in exported["responses"] if r["instrument"] == code)


def test_it_exports_the_answers_with_questions_and_chosen_labels(pia):
    exported = export_json(pia)
    phq9 = by_instrument(exported, "phq9")
    first = phq9["answers"][0]
    assert first == {
        "item": "phq9_1",
        "number": 1,
        "question": get_instrument("phq9").items[0].text,
        "value": 1,
        "answer": "Several days",
    }
    assert phq9["answers"][1]["answer"] == "More than half the days"
    assert phq9["total"] == 10
    assert phq9["band"]
    assert phq9["band_label"]
    assert phq9["safety_signal"] is True
    burnout = by_instrument(exported, "burnout1")
    assert burnout["answers"][0]["value"] == 3
    assert burnout["answers"][0]["answer"]


def test_it_exports_enrolment_consents_check_ins_alerts_and_reminders(world, pia):
    ReminderOptOut.objects.create(participant=pia)
    ReminderSent.objects.create(
        participant=pia, schedule=world.st_annes.schedule, period_start=pia.enrolled_on
    )
    exported = export_json(pia)
    assert exported["enrolment"] == {
        "token": pia.token,
        "organisation": "St Anne's Hospital",
        "unit": "St Anne's Hospital",
        "shift_type": "Nights",
        "role_category": "Nurse",
        "enrolled_on": pia.enrolled_on.isoformat(),
    }
    assert [c["event"] for c in exported["consents"]] == ["given"]
    assert exported["consents"][0]["piiPrincipalId"] == pia.token
    [checkin] = exported["check_ins"]
    assert checkin["status"] == "Submitted"
    assert checkin["submitted_on"]
    assert checkin["check_in"] == "Monthly check-in"
    assert len(exported["safety_alerts"]) == SafetyAlert.objects.filter(participant=pia).count()
    assert exported["safety_alerts"][0]["instrument"] == "phq9"
    assert exported["reminders"]["reminder_emails"] == "off"
    assert exported["reminders"]["sent"] == [
        {"check_in": "Monthly check-in", "period_start": pia.enrolled_on.isoformat()}
    ]
    assert exported["about"]
    assert exported["generated_at"]


def test_it_lists_consent_decisions_oldest_first(world, pia):
    consent_record(
        actor=world.people["pia"],
        participant=pia,
        notice=world.st_annes.notice,
        take_part=True,
        follow_up_contact=False,
        safety_alert=True,
    )
    events = [c["event"] for c in export_json(pia)["consents"]]
    assert events == ["given", "changed"]


def test_it_exports_unfinished_answers(world):
    colin = world.participants["colin"]
    user = world.people["colin"]
    checkin = checkin_start(actor=user, participant=colin, schedule=world.st_annes.schedule)
    checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="burnout1", answers={"burnout1_1": 2}
    )
    [entry] = export_json(colin)["check_ins"]
    assert entry["status"] == "In progress"
    assert entry["unfinished_answers"]["burnout1"][0]["value"] == 2


def test_it_writes_plain_json(pia):
    exported = export_json(pia)
    assert json.loads(json.dumps(exported)) == exported


def test_it_builds_a_fhir_bundle_that_validates(pia):
    exported = export_fhir_bundle(pia)
    bundle = Bundle.model_validate(exported)
    assert bundle.type == "collection"
    kinds = [entry["resource"]["resourceType"] for entry in exported["entry"]]
    assert kinds.count("QuestionnaireResponse") == Response.objects.filter(participant=pia).count()
    assert kinds.count("Consent") == 1
    assert json.loads(json.dumps(exported)) == exported


def test_it_answers_the_shipped_questionnaire_with_loinc_codes(pia):
    exported = export_fhir_bundle(pia)
    responses = {
        e["resource"]["questionnaire"]: e["resource"]
        for e in exported["entry"]
        if e["resource"]["resourceType"] == "QuestionnaireResponse"
    }
    questionnaire = to_fhir_questionnaire(get_instrument("phq9"))
    phq9 = responses[f"{questionnaire.url}|{questionnaire.version}"]
    assert phq9["status"] == "completed"
    assert phq9["subject"]["identifier"]["value"] == pia.token
    first = phq9["item"][0]
    assert first["linkId"] == "phq9_1"
    coding = first["answer"][0]["valueCoding"]
    assert coding["system"] == "http://loinc.org"
    assert coding["code"] == "LA6569-3"
    assert coding["display"] == "Several days"
    totals = {x["url"].rsplit("/", 1)[-1]: x for x in phq9["extension"]}
    assert totals["total-score"]["valueInteger"] == 10
    # Answers LOINC does not code use the instrument's own answer system, as the Questionnaire does.
    burnout = next(r for q, r in responses.items() if "/burnout1|" in q)
    assert burnout["item"][0]["answer"][0]["valueCoding"]["system"].endswith(
        "/CodeSystem/burnout1-answers"
    )


def test_it_never_names_the_login(world, pia):
    user = world.people["pia"]
    for exported in (export_json(pia), export_fhir_bundle(pia)):
        text = json.dumps(exported)
        assert user.email not in text
        assert "@" not in text.replace("privacy@stannes.example", "")
        assert str(user.pk) not in text
        assert pia.login_link not in text


def test_it_exports_nothing_readable_after_crypto_shredding(world, pia):
    datakey_shred(actor=personas.SETUP, subject=pia.dek_subject)
    for response in Response.objects.filter(participant=pia):
        assert decode_payload(response) is None
    exported = export_json(pia)
    assert exported["responses"]
    for response in exported["responses"]:
        assert response["erased"] is True
        assert "answers" not in response
        assert "total" not in response
    bundle = export_fhir_bundle(pia)
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "QuestionnaireResponse" not in kinds


def test_it_leaves_out_other_peoples_data(world, pia):
    personas.check_in(world, "farah", world.elsewhere)
    exported = export_json(pia)
    farah = world.participants["farah"]
    assert farah.token not in json.dumps(exported)
    assert {r["id"] for r in exported["responses"]} == {
        str(pk) for pk in Response.objects.filter(participant=pia).values_list("pk", flat=True)
    }
    assert len(exported["check_ins"]) == CheckIn.objects.filter(participant=pia).count()
