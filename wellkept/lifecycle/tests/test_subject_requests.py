"""Requests received outside the app: recorded by one privacy officer, approved by another.

Priya, St Anne's privacy officer, records what a letter asks for with the
address it came from; Petra, St Anne's other privacy officer, decides.
Nobody learns whether the address reaches a participant before Petra
approves; only Priya then answers, for 24 hours.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import unquote

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from wellkept.accounts.models import readable_email
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup.tests.conftest import PIA_NAME, moving_clock, sign_in
from wellkept.lifecycle.models import (
    DeletionReceipt,
    ErasureRule,
    SubjectRequest,
    SubjectRequestStatus,
)
from wellkept.lifecycle.receipts import receipt_verify
from wellkept.lifecycle.services import legal_hold_set
from wellkept.lifecycle.subject_requests import subject_request_decide, subject_request_record
from wellkept.orgs.models import Participant

__all__ = ["moving_clock"]

pytestmark = pytest.mark.django_db

REASON = "Letter of 3 November: asks for a copy of everything held about them."
NOBODY = "kakapo.canary@nowhere-private.invalid"
MISSING = "0d5c1d8e-4c3e-4a0e-9d4b-2f0f3d1b9a77"


def pia_address(world) -> str:
    return readable_email(world.people["pia"])


def recorded(
    world, *, email: str | None = None, kind: str = "access", by: str = "priya"
) -> SubjectRequest:
    """Priya records a request with the address the letter came from (Pia's by default)."""
    return subject_request_record(
        actor=world.people[by],
        organisation=world.st_annes.organisation,
        email=email if email is not None else pia_address(world),
        kind=kind,
        reason=REASON,
    )


def approved(world, *, email: str | None = None, kind: str = "access") -> SubjectRequest:
    """Priya records; Petra approves through the page, with a fresh second factor."""
    subject_request = recorded(world, email=email, kind=kind)
    petra = sign_in(Client(), world.people["petra"], fresh_mfa=True)
    response = petra.post(_url("subject_request_approve", subject_request.pk))
    assert response.status_code == 302
    subject_request.refresh_from_db()
    assert subject_request.is_live()
    return subject_request


def _url(name, pk, org="st-annes"):
    return reverse(f"lifecycle:{name}", args=[pk]) + f"?org={org}"


LIST = reverse("lifecycle:subject_request") + "?org=st-annes"
NEW = reverse("lifecycle:subject_request_new") + "?org=st-annes"


# --- recording -----------------------------------------------------------------------


def test_it_records_a_request_that_looks_the_same_whether_the_address_reaches_anyone(client, world):
    sign_in(client, world.people["priya"])
    for email in (pia_address(world), NOBODY):
        response = client.post(NEW, {"email": email, "kind": "access", "reason": REASON})
        assert response.status_code == 302
    reaching, nobody = sorted(SubjectRequest.objects.all(), key=lambda r: r.participant_id is None)
    assert reaching.participant == world.participants["pia"]
    assert nobody.participant is None
    assert {reaching.status, nobody.status} == {SubjectRequestStatus.PENDING}
    # The entries are alike but for the reference.
    entries = AuditEntry.objects.filter(event=EventType.SUBJECT_REQUEST_RECORDED).order_by("id")
    assert [(e.reason, e.purpose, e.outcome) for e in entries] == [
        ("access", "legal_obligation", "allowed")
    ] * 2
    assert {e.target for e in entries} == {f"subject_request:{r.pk}" for r in (reaching, nobody)}
    # Neither the requester's list nor the approver's shows what it resolved to.
    pia = world.participants["pia"]
    mine = client.get(LIST).content.decode()
    approver = sign_in(Client(), world.people["petra"]).get(LIST).content.decode()
    for page in (mine, approver):
        assert pia.token not in page
        assert pia.token[:8] not in page
        assert "No one with this address" not in page
        assert page.count("<td>Access (a copy of everything held)</td>") == 2
    # And no answer page opens for a pending request.
    assert client.get(_url("subject_request_detail", reaching.pk)).status_code == 404
    assert client.get(_url("subject_request_detail", nobody.pk)).status_code == 404


BAD_INPUT = [
    ({"email": "not-an-address", "kind": "access", "reason": REASON}, "e-mail address as written"),
    ({"email": "a@b@c.example", "kind": "access", "reason": REASON}, "e-mail address as written"),
    ({"email": "", "kind": "access", "reason": REASON}, "Give the e-mail address"),
    ({"email": "x" * 300 + "@a.example", "kind": "access", "reason": REASON}, "at most 254"),
    ({"email": NOBODY, "kind": "access", "reason": ""}, "Write the reason"),
    ({"email": NOBODY, "kind": "access", "reason": "   short  "}, "at least 10 characters"),
    ({"email": NOBODY, "kind": "access", "reason": "y" * 1001}, "at most 1000"),
    ({"email": NOBODY, "kind": "rectification", "reason": REASON}, "access, portability or"),
    ({"email": NOBODY, "reason": REASON}, "access, portability or erasure"),
]


@pytest.mark.parametrize(("data", "message"), BAD_INPUT)
def test_bad_input_gets_a_clear_message_never_a_500(client, world, data, message):
    sign_in(client, world.people["priya"])
    response = client.post(NEW, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SubjectRequest.objects.exists()
    assert not AuditEntry.objects.filter(event=EventType.SUBJECT_REQUEST_RECORDED).exists()


# --- deciding ------------------------------------------------------------------------


def test_it_refuses_self_approval_and_records_the_attempt(client, world):
    subject_request = recorded(world)
    sign_in(client, world.people["priya"], fresh_mfa=True)
    for name in ("subject_request_approve", "subject_request_refuse"):
        assert client.post(_url(name, subject_request.pk)).status_code == 404
    subject_request.refresh_from_db()
    assert subject_request.status == SubjectRequestStatus.PENDING
    denied = AuditEntry.objects.filter(
        event=EventType.ACCESS_DENIED, target=f"subject_request:{subject_request.pk}/decision"
    )
    assert denied.count() == 2
    assert str(denied.first().actor_id) == str(world.people["priya"].pk)
    # Her own request is not in her list of requests to decide.
    assert "/approve/" not in client.get(LIST).content.decode()
    # The service refuses any caller, not only the page.
    with pytest.raises(PermissionDenied):
        subject_request_decide(
            actor=world.people["priya"], subject_request=subject_request, approve=False
        )
    assert not AuditEntry.objects.filter(event=EventType.SUBJECT_REQUEST_REFUSED).exists()


def test_the_database_refuses_a_request_decided_by_its_requester(world):
    subject_request = recorded(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubjectRequest.objects.filter(pk=subject_request.pk).update(
            status=SubjectRequestStatus.REFUSED,
            decided_by=world.people["priya"],
            decided_at=subject_request.requested_at,
        )


def test_a_second_officer_approves_with_a_fresh_second_factor(client, world):
    subject_request = recorded(world)
    petra = world.people["petra"]
    sign_in(client, petra)  # signed in a while ago: no fresh factor
    response = client.post(_url("subject_request_approve", subject_request.pk))
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    subject_request.refresh_from_db()
    assert subject_request.status == SubjectRequestStatus.PENDING
    sign_in(client, petra, fresh_mfa=True)
    assert client.post(_url("subject_request_approve", subject_request.pk)).status_code == 302
    subject_request.refresh_from_db()
    assert subject_request.status == SubjectRequestStatus.APPROVED
    assert str(subject_request.decided_by_id) == str(petra.pk)
    assert subject_request.expires_at - subject_request.decided_at == dt.timedelta(hours=24)
    entry = AuditEntry.objects.get(event=EventType.SUBJECT_REQUEST_APPROVED)
    assert entry.target == f"subject_request:{subject_request.pk}"
    assert str(entry.actor_id) == str(petra.pk)
    # Decided once: a second decision is refused with a message, nothing changed.
    again = client.post(_url("subject_request_refuse", subject_request.pk))
    assert again.status_code == 404
    subject_request.refresh_from_db()
    assert subject_request.status == SubjectRequestStatus.APPROVED


def test_a_second_officer_refuses_and_nothing_is_shown(client, world):
    subject_request = recorded(world)
    sign_in(Client(), world.people["petra"]).post(
        _url("subject_request_refuse", subject_request.pk)
    )
    subject_request.refresh_from_db()
    assert subject_request.status == SubjectRequestStatus.REFUSED
    assert AuditEntry.objects.filter(event=EventType.SUBJECT_REQUEST_REFUSED).count() == 1
    sign_in(client, world.people["priya"], fresh_mfa=True)
    assert client.get(_url("subject_request_detail", subject_request.pk)).status_code == 404
    assert "Refused" in client.get(LIST).content.decode()


# --- answering -----------------------------------------------------------------------


def test_it_shows_the_code_number_only_after_approval_to_the_requester(client, world):
    subject_request = approved(world)
    pia = world.participants["pia"]
    sign_in(client, world.people["priya"])
    page = client.get(_url("subject_request_detail", subject_request.pk))
    assert page.status_code == 200
    assert pia.token in page.content.decode()
    read = AuditEntry.objects.filter(event=EventType.RECORD_READ).latest("id")
    assert read.target == f"participant:{pia.token}/subject-request:{subject_request.pk}/summary"
    # The approver does not answer it: a request is its requester's to answer.
    petra = sign_in(Client(), world.people["petra"], fresh_mfa=True)
    assert petra.get(_url("subject_request_detail", subject_request.pk)).status_code == 404
    assert petra.get(_url("subject_export_json", subject_request.pk)).status_code == 404


def test_it_exports_everything_as_json_and_records_only_a_reference(client, world, case):
    subject_request = approved(world)
    sign_in(client, world.people["priya"], fresh_mfa=True)
    response = client.get(_url("subject_export_json", subject_request.pk))
    assert response.status_code == 200
    data = json.loads(response.content)
    pia = world.participants["pia"]
    assert data["enrolment"]["token"] == pia.token
    assert data["responses"]
    assert data["follow_up"]
    entry = AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).latest("id")
    assert entry.target == f"participant:{pia.token}/subject-request:{subject_request.pk}/json"
    assert entry.purpose == "legal_obligation"
    assert str(entry.actor_id) == str(world.people["priya"].pk)
    # A reference, never content: no name, no address in any entry.
    trail = json.dumps(list(AuditEntry.objects.values()), default=str)
    assert PIA_NAME not in trail
    assert pia_address(world) not in trail


def test_it_exports_a_valid_fhir_r5_bundle(client, world, case):
    subject_request = approved(world, kind="portability")
    sign_in(client, world.people["priya"], fresh_mfa=True)
    bundle = json.loads(client.get(_url("subject_export_fhir", subject_request.pk)).content)
    assert bundle["resourceType"] == "Bundle"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"QuestionnaireResponse", "Consent"}


@pytest.mark.parametrize("name", ["subject_export_json", "subject_export_fhir"])
def test_it_asks_for_a_fresh_second_factor_before_an_export(client, world, name):
    subject_request = approved(world)
    exports_before = AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).count()
    sign_in(client, world.people["priya"])  # signed in a while ago: no fresh factor
    url = _url(name, subject_request.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert url in unquote(response["Location"])
    assert AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).count() == exports_before
    # The prompt is the same for a reference that names no request.
    assert client.get(_url(name, MISSING)).status_code == 302
    sign_in(client, world.people["priya"], fresh_mfa=True)
    assert client.get(url).status_code == 200
    assert AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).count() == exports_before + 1


def _answers(client, pk):
    return [
        client.get(_url("subject_request_detail", pk)).status_code,
        client.get(_url("subject_export_json", pk)).status_code,
        client.get(_url("subject_export_fhir", pk)).status_code,
        client.post(_url("subject_erase", pk), {"confirm": "on"}).status_code,
    ]


def test_pending_refused_missing_and_malformed_requests_answer_404_and_are_recorded(client, world):
    pending = recorded(world)
    refused = recorded(world, kind="erasure")
    sign_in(Client(), world.people["petra"]).post(_url("subject_request_refuse", refused.pk))
    sign_in(client, world.people["priya"], fresh_mfa=True)
    for pk in (pending.pk, refused.pk, MISSING, "not-a-request"):
        assert _answers(client, pk) == [404] * 4, pk
    assert Participant.objects.filter(pk=world.participants["pia"].pk).exists()
    assert not AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).exists()
    denied = AuditEntry.objects.filter(event=EventType.ACCESS_DENIED, purpose="legal_obligation")
    assert denied.count() == 16


def test_an_expired_request_answers_404(client, world, moving_clock):
    subject_request = approved(world)
    moving_clock(hours=23, minutes=59)
    sign_in(client, world.people["priya"], fresh_mfa=True)
    assert client.get(_url("subject_request_detail", subject_request.pk)).status_code == 200
    moving_clock(minutes=2)
    sign_in(client, world.people["priya"], fresh_mfa=True)
    assert _answers(client, subject_request.pk) == [404] * 4
    assert "have passed" in client.get(LIST).content.decode()


def test_an_unknown_address_after_approval_says_no_data_is_held(client, world):
    subject_request = approved(world, email=NOBODY)
    sign_in(client, world.people["priya"], fresh_mfa=True)
    page = client.get(_url("subject_request_detail", subject_request.pk)).content.decode()
    assert (
        "No one with this address takes part in the programme here: no programme data is held"
        in page
    )
    assert "Download as JSON" not in page
    assert client.get(_url("subject_export_json", subject_request.pk)).status_code == 404


def test_a_staff_address_that_is_not_a_participant_says_no_data_is_held(client, world):
    subject_request = approved(world, email=readable_email(world.people["lena"]))
    assert subject_request.participant is None
    sign_in(client, world.people["priya"])
    page = client.get(_url("subject_request_detail", subject_request.pk)).content.decode()
    assert "no programme data is held" in page


def test_a_participant_of_another_organisation_is_not_reached(client, world):
    subject_request = approved(world, email=readable_email(world.people["farah"]))
    assert subject_request.participant is None


def test_it_refuses_the_privacy_officer_of_another_organisation(client, world):
    subject_request = approved(world)
    sign_in(client, world.people["oscar"], fresh_mfa=True)
    for org in ("elsewhere", "st-annes"):
        url = _url("subject_export_json", subject_request.pk, org)
        assert client.get(url).status_code == 404
        assert (
            client.get(_url("subject_request_detail", subject_request.pk, org)).status_code == 404
        )
        approve = _url("subject_request_approve", recorded(world).pk, org)
        assert client.post(approve).status_code == 404


# --- erasure -------------------------------------------------------------------------


def test_it_erases_with_a_fresh_second_factor_and_gives_the_receipt(client, world):
    subject_request = approved(world, kind="erasure")
    pia = world.participants["pia"]
    sign_in(client, world.people["priya"])
    # Without a fresh second factor: sent to prove it, nothing erased.
    response = client.post(_url("subject_erase", subject_request.pk), {"confirm": "on"})
    assert response.status_code == 302
    assert Participant.objects.filter(pk=pia.pk).exists()
    sign_in(client, world.people["priya"], fresh_mfa=True)
    page = client.post(_url("subject_erase", subject_request.pk), {"confirm": "on"})
    assert page.status_code == 200
    assert not Participant.objects.filter(pk=pia.pk).exists()
    receipt = DeletionReceipt.objects.get()
    assert receipt.rule == ErasureRule.OUTSIDE_REQUEST
    assert receipt_verify(receipt.document).receipt_id == str(receipt.pk)
    download = client.get(
        reverse("lifecycle:receipt_download", args=[receipt.pk]) + "?org=st-annes"
    )
    assert json.loads(download.content) == receipt.document
    erased = AuditEntry.objects.get(event=EventType.SUBJECT_ERASED)
    assert str(erased.actor_id) == str(world.people["priya"].pk)
    assert erased.reason.startswith("outside_request; rows deleted:")
    # The request keeps no link to the erased person, and says it was answered.
    subject_request.refresh_from_db()
    assert subject_request.participant_id is None
    assert subject_request.receipt == receipt
    after = client.get(_url("subject_request_detail", subject_request.pk)).content.decode()
    assert "Download the signed deletion receipt" in after
    assert "No one with this address" not in after
    # The reason, under the request's own key, outlived the person's.
    assert subject_request.reason == REASON


def test_an_access_request_never_erases_and_an_erasure_request_never_exports(client, world):
    access = approved(world)
    erasure = approved(world, kind="erasure")
    sign_in(client, world.people["priya"], fresh_mfa=True)
    assert client.post(_url("subject_erase", access.pk), {"confirm": "on"}).status_code == 404
    assert client.get(_url("subject_export_json", erasure.pk)).status_code == 404
    assert Participant.objects.filter(pk=world.participants["pia"].pk).exists()
    page = client.get(_url("subject_request_detail", access.pk)).content.decode()
    assert "Erase" not in page


def test_a_legal_hold_stops_the_erasure_with_a_message(client, world):
    subject_request = approved(world, kind="erasure")
    pia = world.participants["pia"]
    legal_hold_set(
        actor=world.people["priya"],
        organisation=world.st_annes.organisation,
        token=pia.token,
        reason="Litigation hold from the hospital's solicitors, ref 2026-77.",
    )
    sign_in(client, world.people["priya"], fresh_mfa=True)
    response = client.post(
        _url("subject_erase", subject_request.pk), {"confirm": "on"}, follow=True
    )
    assert "A legal hold is in force" in response.content.decode()
    assert Participant.objects.filter(pk=pia.pk).exists()


def test_it_closes_a_participant_only_account_with_its_second_factors(client, world):
    from allauth.mfa.models import Authenticator

    from wellkept.accounts.models import User
    from wellkept.consent.tests.conftest import with_mfa

    subject_request = approved(world, kind="erasure")
    pia_login = with_mfa(world.people["pia"])
    assert Authenticator.objects.filter(user=pia_login).exists()
    sign_in(client, world.people["priya"], fresh_mfa=True)
    page = client.post(
        _url("subject_erase", subject_request.pk), {"confirm": "on", "close_account": "on"}
    )
    assert page.status_code == 200
    assert not User.objects.filter(pk=pia_login.pk).exists()
    assert not Authenticator.objects.filter(user_id=pia_login.pk).exists()
    receipt = DeletionReceipt.objects.get().document["receipt"]
    assert receipt["categories"]["sign-in account"] == 1
    assert receipt["categories"]["second factors"] >= 1
    assert User.objects.filter(pk=world.people["priya"].pk).exists()


# --- what is kept --------------------------------------------------------------------


def test_a_reference_that_is_not_a_request_is_never_copied_into_the_trail(client, world):
    sign_in(client, world.people["priya"], fresh_mfa=True)
    typed = "jane.doe@st-annes.example"
    assert client.get(_url("subject_export_json", typed)).status_code == 404
    denied = AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).latest("id")
    assert denied.target == "subject_request:malformed"
    assert "jane" not in json.dumps(list(AuditEntry.objects.values()), default=str)


def _every_stored_value() -> str:
    """Every row of every table, as the database returns it, in one string."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            dump.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(dump)


def test_the_address_and_the_reason_never_reach_the_database_in_clear(client, world):
    sign_in(client, world.people["priya"])
    reason = "Dugong-canary letter asking for everything held, received 3 November."
    address = "Dugong.Canary@Nowhere-Private.invalid"
    client.post(NEW, {"email": address, "kind": "access", "reason": reason})
    client.post(NEW, {"email": pia_address(world), "kind": "erasure", "reason": reason})
    sign_in(Client(), world.people["petra"], fresh_mfa=True).post(
        _url("subject_request_approve", SubjectRequest.objects.get(kind="access").pk)
    )
    rows = _every_stored_value().lower()
    assert "dugong" not in rows
    assert "nowhere-private" not in rows
    # Pia's address is stored by the accounts app as ciphertext and a blind
    # index only; the request adds no copy of it.
    assert pia_address(world).lower() not in rows
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM lifecycle_subjectrequest")
        assert all(raw.startswith("wk1$") for (raw,) in cursor.fetchall())


# ---- Equal time, whether the address has an account (issue 15) -------------------------


def _work_of(world, email: str, monkeypatch) -> tuple[list[str], dict[str, int]]:
    """The SQL statements (values left out) and keyed hashes one recording performs."""
    import re
    from collections import Counter

    from django.test.utils import CaptureQueriesContext

    from wellkept.vault.keyring import get_keyring

    keyring = get_keyring()
    calls: Counter[str] = Counter()
    original = type(keyring).mac

    def counting(self, name: str, data: bytes) -> bytes:
        calls[name] += 1
        return original(self, name, data)

    monkeypatch.setattr(type(keyring), "mac", counting)
    with CaptureQueriesContext(connection) as queries:
        recorded(world, email=email)
    monkeypatch.setattr(type(keyring), "mac", original)
    # Values differ by nature (ids, times, ciphertext, the participant found
    # or NULL); the statements must not.
    shapes = [
        re.sub(r"'[^']*'|\"s\d+_x\d+\"|\b\d+\b|X'[0-9A-F]*'|\bNULL\b", "?", q["sql"]).replace(
            "?::uuid", "?"
        )
        for q in queries.captured_queries
    ]
    return shapes, dict(calls)


def test_recording_does_the_same_work_for_any_address(world, monkeypatch):
    staff_only = readable_email(world.people["lena"])
    done = {
        email: _work_of(world, email, monkeypatch)
        for email in (pia_address(world), staff_only, NOBODY)
    }
    participant, staff, nobody = done.values()
    for other in (staff, nobody):
        assert len(participant[0]) == len(other[0])
        assert [a for a, b in zip(participant[0], other[0], strict=True) if a != b] == []
        assert participant[1] == other[1]
    assert participant[1]["pseudonym"] >= 1  # the keyed link is computed every time


@pytest.mark.timing
def test_recording_takes_the_same_time_for_any_address(world):
    """A statistical check of timing, built not to be flaky on a busy machine.

    Before the fix a known address cost a keyed hash, a join and a query
    more: 0.9 to 1.5 ms here (the issue measured 1-1.5 ms through the page).
    Calls are taken in pairs, one address of each kind in a seeded random
    order, so that load changes fall on both alike; the statistic is the
    median of the paired differences, which ignores the outliers a busy
    machine adds. A difference of a third of a millisecond or more is
    refused. A measurement that lands outside by bad luck is taken again, up
    to three times: a real difference fails all three, noise does not.
    """
    import random
    import statistics
    import time

    known, unknown = pia_address(world), NOBODY
    for email in (known, unknown):  # warm caches and the keyring first
        recorded(world, email=email)
    chooser = random.Random(15)
    gaps = []
    for _attempt in range(3):
        differences = []
        for _pair in range(60):
            pair = [known, unknown]
            chooser.shuffle(pair)
            took = {}
            for email in pair:
                started = time.perf_counter()
                recorded(world, email=email)
                took[email] = time.perf_counter() - started
            differences.append(took[known] - took[unknown])
        gaps.append(statistics.median(differences))
        if abs(gaps[-1]) < 0.3e-3:
            return
    pytest.fail(f"recording is slower for one kind of address by {gaps} seconds")
