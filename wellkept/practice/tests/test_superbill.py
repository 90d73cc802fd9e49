"""The superbill: what an insurer needs, the diagnosis codes of signed notes, and no note text."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from wellkept import clock
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import selectors, services, superbill
from wellkept.practice.tests.billing import past_session, text_of, with_fees
from wellkept.practice.tests.conftest import ADA_LEGAL, SETUP, signed_in
from wellkept.practice.tests.notes_helpers import SOAP, draft

pytestmark = pytest.mark.django_db

ORG = "?org=harbour"
# Planted in every section of a signed note: none of it may reach a superbill.
NOTE_CANARY = "Kestrelcanary"


@pytest.fixture
def charged(practice):
    codes = with_fees(practice)
    session = past_session(practice, days_ago=1)
    services.charge_create(actor=SETUP, appointment=session, service_code=codes["90834"])
    # A late cancellation the same week: charged, but no service to claim for.
    services.fee_set(
        actor=SETUP,
        organisation=practice.harbour,
        service_code=None,
        amount=7777,
        currency="USD",
        effective_from=session.start.date() - dt.timedelta(days=30),
    )
    late = past_session(practice, days_ago=2, status="late_cancelled")
    services.charge_create(actor=SETUP, appointment=late)
    tess = practice.people["tess"]
    day = session.start.date()
    note = draft(
        practice,
        service_date=day,
        sections={key: f"{text} {NOTE_CANARY}" for key, text in SOAP.items()},
        diagnosis_codes=["F43.20", "F41.1"],
    )
    services.note_sign(actor=tess, note=note)
    # A draft's diagnosis is not yet the therapist's word: it stays off.
    draft(practice, service_date=day, diagnosis_codes=["F32.9"])
    return day


def test_it_downloads_a_superbill_with_codes_and_fees_and_no_note_text(practice, charged) -> None:
    start = (charged - dt.timedelta(days=7)).isoformat()
    answer = signed_in(practice.people["bill"]).post(
        f"/practice/billing/clients/{practice.clients['ada'].pk}/superbill/{ORG}",
        {"start": start, "end": charged.isoformat()},
    )
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert ADA_LEGAL not in answer["Content-Disposition"]
    text = text_of(answer.content)
    for expected in (ADA_LEGAL, "IMX-4417-CANARY", "90834", "USD 120.00", "F43.20", "F41.1"):
        assert expected in text, expected
    assert "F32.9" not in text
    assert "77.77" not in text
    assert NOTE_CANARY not in text
    for section in SOAP.values():
        assert section.split(" (")[0] not in text
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_SUPERBILL_EXPORTED)
    assert entry.target == f"client:{practice.clients['ada'].pk}/superbill"


def test_it_keeps_note_text_out_of_the_uncompressed_pdf(practice, charged) -> None:
    ada = practice.clients["ada"]
    bill = practice.people["bill"]
    pdf = superbill.as_pdf(
        client=ada,
        start=charged,
        end=charged,
        sessions=selectors.superbill_sessions(ada, charged, charged),
        diagnosis_codes=selectors.superbill_diagnosis_codes(
            actor=bill, client=ada, start=charged, end=charged
        ),
        compress=False,
    )
    assert b"F43.20" in pdf
    assert NOTE_CANARY.encode() not in pdf


def test_it_says_what_is_wrong_with_the_dates(practice, charged) -> None:
    answer = signed_in(practice.people["bill"]).post(
        f"/practice/billing/clients/{practice.clients['ada'].pk}/superbill/{ORG}",
        {"start": charged.isoformat(), "end": (charged - dt.timedelta(days=1)).isoformat()},
    )
    assert answer.status_code == 200
    assert "The last day comes after the first." in answer.content.decode()
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_SUPERBILL_EXPORTED).exists()


def test_it_refuses_a_therapist_the_superbill_and_its_codes(practice, charged) -> None:
    tess = practice.people["tess"]
    answer = signed_in(tess).post(
        f"/practice/billing/clients/{practice.clients['ada'].pk}/superbill/{ORG}",
        {"start": charged.isoformat(), "end": charged.isoformat()},
    )
    assert answer.status_code == 404
    with pytest.raises(Http404):
        selectors.superbill_diagnosis_codes(
            actor=tess, client=practice.clients["ada"], start=charged, end=charged
        )


def test_it_reads_the_codes_without_loading_the_sections(
    practice, charged, django_assert_num_queries
) -> None:

    with CaptureQueriesContext(connection) as captured:
        selectors.superbill_diagnosis_codes(
            actor=practice.people["bill"],
            client=practice.clients["ada"],
            start=charged,
            end=clock.now().date(),
        )
    note_queries = [q["sql"] for q in captured.captured_queries if "progressnote" in q["sql"]]
    assert note_queries
    assert all('"sections"' not in sql for sql in note_queries)
