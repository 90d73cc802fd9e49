"""Consent receipts (Kantara v1.1 fields) and FHIR R5 Consent resources for one decision."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from fhir.resources.consent import Consent

from wellkept.consent import inventory
from wellkept.consent.models import ConsentEvent, ConsentRecord, Notice
from wellkept.consent.receipts import (
    CHOICE_SYSTEM,
    TOKEN_SYSTEM,
    consent_fhir,
    consent_receipt,
)
from wellkept.consent.services import consent_record, notice_publish
from wellkept.consent.tests.conftest import CONTACT, SETUP

pytestmark = pytest.mark.django_db


def latest(participant) -> ConsentRecord:
    return ConsentRecord.objects.filter(participant=participant).latest("recorded_at")


def withdraw(world, name) -> ConsentRecord:
    return consent_record(
        actor=world.people[name],
        participant=world.participants[name],
        notice=world.st_annes.notice,
        take_part=False,
        follow_up_contact=False,
        safety_alert=False,
    )


def test_it_fills_the_kantara_fields(world, settings):
    settings.WELLKEPT_BASE_URL = "https://wellkept.stannes.example/"
    record = latest(world.participants["pia"])
    receipt = consent_receipt(record)
    assert receipt["version"] == "KI-CR-v1.1.0"
    assert receipt["consentReceiptID"] == str(record.pk)
    assert receipt["consentTimestamp"] == int(record.recorded_at.timestamp())
    assert receipt["collectionMethod"] == record.method
    assert receipt["language"] == "en"
    assert receipt["jurisdiction"]
    assert "publicKey" not in receipt
    assert receipt["policyUrl"] == ("https://wellkept.stannes.example/me/consent/notice/1/")
    assert receipt["piiControllers"] == [
        {"piiController": "St Anne's Hospital", "onBehalf": False, "contact": CONTACT}
    ]
    assert receipt["sensitive"] is True
    assert receipt["spiCat"] == ["health"]


def test_it_names_the_participant_by_token_only(world):
    pia = world.participants["pia"]
    receipt = consent_receipt(latest(pia))
    assert receipt["piiPrincipalId"] == pia.token
    text = json.dumps(receipt)
    assert "pia@" not in text
    assert str(world.people["pia"].pk) not in text
    assert pia.login_link not in text


def test_it_lists_a_purpose_for_each_choice_that_was_on(world):
    everything = consent_receipt(latest(world.participants["pia"]))
    purposes = everything["services"][0]["purposes"]
    assert len(purposes) == 3
    primary = [p for p in purposes if p["primaryPurpose"]]
    assert len(primary) == 1
    assert primary[0]["purpose"].startswith("I want to take part")
    for purpose in purposes:
        assert purpose["consentType"] == "EXPLICIT"
        assert purpose["thirdPartyDisclosure"] is False
        assert purpose["termination"].startswith("You can change your choices or withdraw")
        assert purpose["purposeCategory"]
    # The whole inventory stands behind taking part; the categories are its own.
    assert set(primary[0]["piiCategory"]) == {i.category for i in inventory.INVENTORY}

    only_taking_part = consent_receipt(latest(world.participants["colin"]))
    assert [p["primaryPurpose"] for p in only_taking_part["services"][0]["purposes"]] == [True]
    assert only_taking_part["choices"] == {
        "take_part": True,
        "follow_up_contact": False,
        "safety_alert": False,
    }


def test_it_says_a_safety_alert_concerns_health_data(world):
    purposes = consent_receipt(latest(world.participants["pia"]))["services"][0]["purposes"]
    safety = next(p for p in purposes if p["purposeCategory"] == ["14 - Protecting Your Health"])
    assert "Health data (special category)" in safety["piiCategory"]
    assert "Contact and sign-in details" not in safety["piiCategory"]


def test_it_records_the_event_notice_version_and_digest(world):
    record = latest(world.participants["pia"])
    receipt = consent_receipt(record)
    assert receipt["event"] == ConsentEvent.GIVEN
    assert receipt["consentStatus"] == "active"
    assert receipt["noticeVersion"] == 1
    assert receipt["inventoryDigest"] == world.st_annes.notice.inventory_digest


def test_it_gives_a_withdrawal_receipt_without_purposes(world):
    receipt = consent_receipt(withdraw(world, "pia"))
    assert receipt["event"] == ConsentEvent.WITHDRAWN
    assert receipt["consentStatus"] == "withdrawn"
    assert receipt["services"][0]["purposes"] == []
    assert not any(receipt["choices"].values())


def test_it_reads_the_notice_as_frozen_at_publication(world):
    notice = world.st_annes.notice
    content = dict(notice.content)
    content["controller"] = "St Anne's Hospital (as published)"
    Notice.objects.filter(pk=notice.pk).update(content=content)
    receipt = consent_receipt(latest(world.participants["pia"]))
    assert receipt["piiControllers"][0]["piiController"] == "St Anne's Hospital (as published)"


def test_it_is_plain_json(world):
    receipt = consent_receipt(latest(world.participants["pia"]))
    assert json.loads(json.dumps(receipt)) == receipt


def test_it_builds_a_valid_fhir_consent_for_a_decision_to_take_part(world):
    pia = world.participants["pia"]
    record = latest(pia)
    resource = consent_fhir(record)
    Consent.model_validate(resource)
    assert resource["resourceType"] == "Consent"
    assert resource["status"] == "active"
    assert resource["decision"] == "permit"
    assert resource["date"] == record.recorded_at.astimezone(dt.UTC).date().isoformat()
    assert resource["subject"] == {"identifier": {"system": TOKEN_SYSTEM, "value": pia.token}}
    assert resource["controller"] == [{"display": "St Anne's Hospital"}]
    assert resource["policyBasis"]["url"].endswith("/me/consent/notice/1/")
    assert "provision" not in resource  # every optional choice on: no exception
    assert json.loads(json.dumps(resource)) == resource


def test_it_lists_declined_optional_choices_as_exceptions(world):
    resource = consent_fhir(latest(world.participants["colin"]))
    assert resource["decision"] == "permit"
    purposes = resource["provision"][0]["purpose"]
    assert {p["code"] for p in purposes} == {"follow_up_contact", "safety_alert"}
    assert {p["system"] for p in purposes} == {CHOICE_SYSTEM}


def test_it_marks_a_withdrawal_as_an_inactive_denial(world):
    resource = consent_fhir(withdraw(world, "pia"))
    assert resource["status"] == "inactive"
    assert resource["decision"] == "deny"
    assert "provision" not in resource


def test_it_ends_a_superseded_decision(world):
    record = latest(world.participants["pia"])
    later = record.recorded_at + dt.timedelta(days=3)
    resource = consent_fhir(record, superseded_at=later)
    assert resource["status"] == "inactive"
    assert resource["decision"] == "permit"
    assert resource["period"]["end"].startswith(later.astimezone(dt.UTC).date().isoformat())


def test_it_points_a_renewal_at_the_new_notice(world):
    pia = world.participants["pia"]
    v2 = notice_publish(
        actor=SETUP, organisation=world.st_annes.organisation, privacy_contact=CONTACT
    )
    record = consent_record(
        actor=world.people["pia"],
        participant=pia,
        notice=v2,
        take_part=True,
        follow_up_contact=True,
        safety_alert=False,
    )
    receipt = consent_receipt(record)
    assert receipt["event"] == ConsentEvent.RENEWED
    assert receipt["noticeVersion"] == 2
    assert receipt["policyUrl"].endswith("/notice/2/")
    assert consent_fhir(record)["policyText"][0]["identifier"]["value"].endswith("/v2")
