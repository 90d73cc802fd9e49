"""Canary for the clinician's data: answers, scores and bands never leave the vault in clear.

A clinician is invited with the ``invite`` command and, through the test
client and the real forms, accepts, joins with consent, takes the monthly
check-in (PHQ-9 with a distinctive pattern and a safety answer, GAD-7,
WHO-5), starts the weekly pulse and leaves it unfinished (so an encrypted
draft exists), reads the result and My data, and downloads the JSON and FHIR
exports and a consent receipt. Then the test reads what an attacker with the
machine would (the SQLite file and its WAL, or ``pg_dump`` on PostgreSQL;
every log line; the audit trail's SIEM export) and fails on any trace of a
payload: its JSON keys, item ids, band labels as a payload writes them, or
the planted e-mail address.

The scanning helpers are those of ``tests/test_canary_journey.py``.
"""

from __future__ import annotations

import json
import logging
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client

from tests import test_canary_journey as journey
from wellkept.assessments.instruments import get_instrument
from wellkept.assessments.models import CheckIn, CheckInStatus, Response, SafetyAlert
from wellkept.assessments.tests import fixtures
from wellkept.orgs.models import Organisation

pytestmark = pytest.mark.django_db(transaction=True)

hospital = fixtures.hospital
log_file = journey.log_file

EMAIL = "xanthippe.checkin-canary@canary-hospital.invalid"
PASSWORD = "canary checkin albatross 1729"
INSTRUMENTS = ("phq9", "gad7", "who5", "phq2", "burnout1")
# Distinctive answers: a total no other test produces by chance.
PHQ9 = {
    "phq9_1": 3,
    "phq9_2": 1,
    "phq9_3": 2,
    "phq9_4": 0,
    "phq9_5": 3,
    "phq9_6": 1,
    "phq9_7": 2,
    "phq9_8": 0,
    "phq9_9": 1,  # the safety item: the person agreed to alerts
    "phq9_difficulty": 2,
}
GAD7 = {"gad7_1": 2, "gad7_2": 0, "gad7_3": 3, "gad7_4": 1, "gad7_5": 2, "gad7_6": 0, "gad7_7": 3}
WHO5 = {"who5_1": 1, "who5_2": 4, "who5_3": 2, "who5_4": 5, "who5_5": 0}
PHQ2_DRAFT = {"phq2_1": 2, "phq2_2": 3}


def as_json_member(key: str, value: str) -> str:
    return json.dumps({key: value})[1:-1]


def payload_markers() -> dict[str, str]:
    """Everything by which a decrypted payload would give itself away, named."""
    markers = {
        # The keys of Response.payload and of a draft, compact or as json.dumps writes them.
        f"payload key {key}": f'"{key}":'
        for key in ("answers", "total", "raw", "band", "band_label", "safety", "suggestions")
    }
    for code in INSTRUMENTS:
        instrument = get_instrument(code)
        for item in instrument.items:
            markers[f"item id {item.id}"] = item.id
        for band in instrument.bands:
            # As json.dumps writes them in a payload: "band_label": "Moderate".
            markers[f"{code} band label {band.label}"] = as_json_member("band_label", band.label)
            markers[f"{code} band code {band.code}"] = as_json_member("band", band.code)
    return markers


def post_answers(client: Client, url: str, answers: dict[str, int], **extra: str) -> str:
    response = client.post(url, {**{k: str(v) for k, v in answers.items()}, **extra})
    assert response.status_code == 302, response.content[:800]
    return str(response["Location"])


def idempotency_key(page: bytes) -> str:
    found = re.search(rb'name="idempotency_key" value="([^"]+)"', page)
    assert found is not None, "the last step has no idempotency key"
    return found.group(1).decode()


def find_leaks(sources: dict[str, bytes], planted: dict[str, str]) -> list[str]:
    return [
        f"{what} in the {where}"
        for where, data in sources.items()
        for what, value in planted.items()
        if any(form in data for form in journey.forms_of(value))
    ]


def test_answers_scores_and_bands_appear_nowhere_in_clear(
    hospital: fixtures.Hospital, tmp_path: Path, log_file: Path
) -> None:
    # An administrator invites a clinician from the command line.
    out = StringIO()
    call_command(
        "invite", EMAIL, "--org", hospital.organisation.slug, "--role", "clinician", stdout=out
    )
    link = re.search(r"https?://\S+/accounts/invite/\S+/", out.getvalue())
    assert link is not None, out.getvalue()

    # The clinician opens the link, chooses a password and lands on the programme.
    client = Client()
    opened = client.get(link.group(0).split("testserver", 1)[-1])
    assert opened.status_code == 302
    accepted = client.post(opened["Location"], {"password1": PASSWORD, "password2": PASSWORD})
    assert accepted.status_code == 302
    assert accepted["Location"] == "/me/programme/"

    # Joins with consent, both optional choices on.
    assert client.get("/me/programme/join/").status_code == 200
    joined = client.post(
        "/me/programme/join/",
        {
            "unit": str(hospital.ward.pk),
            "shift_type": str(hospital.night.pk),
            "role_category": "physician",
            "follow_up_contact": "on",
            "safety_alert": "on",
            "notice_version": str(hospital.notice.version),
        },
    )
    assert joined.status_code == 302, joined.content[:800]

    # The monthly check-in, one questionnaire per page.
    started = client.post("/me/programme/check-in/monthly/start/")
    assert started.status_code == 302
    step2 = post_answers(client, started["Location"], PHQ9)
    step3 = post_answers(client, step2, GAD7)
    key = idempotency_key(client.get(step3).content)
    result_url = post_answers(client, step3, WHO5, idempotency_key=key)
    result = client.get(result_url)
    assert result.status_code == 200
    assert b"You do not have to handle this alone" in result.content

    # The weekly pulse, left after its first page: an encrypted draft.
    pulse = client.post("/me/programme/check-in/pulse/start/")
    post_answers(client, pulse["Location"], PHQ2_DRAFT)
    draft = CheckIn.objects.get(schedule=hospital.pulse, status=CheckInStatus.IN_PROGRESS)
    assert draft.draft  # readable through the vault ...

    # My data, both downloads, and a consent receipt.
    assert client.get("/me/data/").status_code == 200
    export = client.get("/me/data/download/my-data.json")
    fhir = client.get("/me/data/download/my-data.fhir.json")
    consent_page = client.get("/me/consent/").content.decode()
    receipt_url = re.search(r'href="(/me/consent/receipt/[0-9a-f-]+\.json)"', consent_page)
    assert receipt_url is not None
    receipt = client.get(receipt_url.group(1))
    assert (export.status_code, fhir.status_code, receipt.status_code) == (200, 200, 200)

    # ... and the values are really in the system, so the scan can fail.
    assert b'"band_label": "Moderate"' in export.content
    assert b"phq9_1" in export.content
    assert b"who5_3" in export.content
    assert b"phq2_2" in export.content  # the unfinished draft is exported too
    assert b"QuestionnaireResponse" in fhir.content
    assert Response.objects.filter(checkin__schedule=hospital.monthly).count() == 3
    assert SafetyAlert.objects.count() == 1

    planted = {**payload_markers(), "clinician e-mail": EMAIL, "e-mail local part": "xanthippe"}
    logging.getLogger("wellkept.canary").info("canary scan starting")
    sources = {
        "database": journey.stored_bytes(tmp_path),
        "logs": log_file.read_bytes(),
        "audit export": journey.audit_export_bytes(tmp_path),
    }
    assert b"canary scan starting" in sources["logs"], "the log capture is not working"
    assert find_leaks(sources, planted) == []


def test_the_scan_finds_a_payload_kept_in_clear(tmp_path: Path, log_file: Path) -> None:
    """Prove the markers are findable: a payload in a plain column or a log line is caught."""
    stored = json.dumps({"answers": {"phq9_1": 3}, "total": 19, "band_label": "Moderately severe"})
    Organisation.objects.create(name=stored[:200], slug="canary-clear")
    logging.getLogger("wellkept.canary").warning("leaky %s", json.dumps({"who5_3": 2}))
    sources = {"database": journey.stored_bytes(tmp_path), "logs": log_file.read_bytes()}
    leaks = find_leaks(sources, payload_markers())
    assert "payload key answers in the database" in leaks
    assert "payload key total in the database" in leaks
    assert "item id phq9_1 in the database" in leaks
    assert "phq9 band label Moderately severe in the database" in leaks
    assert "item id who5_3 in the logs" in leaks
