"""Signed deletion receipts: issued by every erasure, verifiable by anyone, tamper-evident."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from wellkept.assessments.tests.fixtures import SYSTEM
from wellkept.lifecycle.models import DeletionReceipt, ErasureRule
from wellkept.lifecycle.receipts import ReceiptError, public_key_pem, receipt_verify
from wellkept.lifecycle.services import participant_erase
from wellkept.lifecycle.tombstones import tombstone_digest, tombstones_since
from wellkept.vault.keyring import LocalFileKeyring, reset_keyring

pytestmark = pytest.mark.django_db


def _erase(hospital, name="joe"):
    participant = hospital.participants[name]
    return participant, participant_erase(actor=hospital.people[name], participant=participant)


def test_it_signs_a_receipt_naming_the_digest_never_the_token(hospital):
    participant, erasure = _erase(hospital)
    body = erasure.receipt["receipt"]
    assert body["subject_digest"] == tombstone_digest(participant.token)
    assert participant.token not in json.dumps(erasure.receipt)
    assert body["rule"] == ErasureRule.SUBJECT_REQUEST
    assert body["categories"]["consent records"] == 1
    assert receipt_verify(erasure.receipt).receipt_id == erasure.receipt_id
    assert DeletionReceipt.objects.get(pk=erasure.receipt_id).document == erasure.receipt


def test_it_appends_the_tombstone_in_the_erasure(hospital):
    participant, _ = _erase(hospital)
    assert [t.digest for t in tombstones_since(None)] == [tombstone_digest(participant.token)]


def test_a_command_erasure_is_an_automatic_job_on_the_receipt(hospital):
    erasure = participant_erase(actor=SYSTEM, participant=hospital.participants["sara"])
    assert erasure.receipt["receipt"]["rule"] == ErasureRule.JOB


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["receipt"]["categories"].update({"responses": 99}),
        lambda d: d["receipt"].update({"erased_at": "2020-01-01T00:00:00+00:00"}),
        lambda d: d["signature"].update({"value": d["signature"]["value"][::-1]}),
    ],
)
def test_a_tampered_receipt_fails(hospital, tamper):
    _, erasure = _erase(hospital)
    document = json.loads(json.dumps(erasure.receipt))
    tamper(document)
    with pytest.raises(ReceiptError):
        receipt_verify(document)


def test_the_command_verifies_a_receipt_and_refuses_a_tampered_one(hospital, tmp_path, capsys):
    _, erasure = _erase(hospital)
    good = tmp_path / "receipt.json"
    good.write_text(json.dumps(erasure.receipt))
    call_command("receipt", "verify", str(good))
    assert capsys.readouterr().out.startswith(f"VALID: receipt {erasure.receipt_id}")
    erasure.receipt["receipt"]["rows_deleted"] += 5
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(erasure.receipt))
    with pytest.raises(CommandError, match="INVALID: The signature does not match"):
        call_command("receipt", "verify", str(bad))


def test_the_command_explains_a_file_that_is_not_a_receipt(tmp_path):
    junk = tmp_path / "notes.txt"
    junk.write_text("hello")
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("receipt", "verify", str(junk))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("receipt", "verify", str(tmp_path / "missing.json"))
    # Nested deep enough to exhaust the parser: a message, not a traceback.
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000)
    with pytest.raises(CommandError, match="is not JSON"):
        call_command("receipt", "verify", str(deep))


def test_anyone_verifies_with_the_published_key_after_the_keyring_changes(
    hospital, tmp_path, settings, capsys
):
    _, erasure = _erase(hospital)
    key_file = tmp_path / "receipt-key.pem"
    key_file.write_text(public_key_pem())
    receipt_file = tmp_path / "receipt.json"
    receipt_file.write_text(json.dumps(erasure.receipt))
    # Another installation (another keyring) cannot vouch for it by default...
    other = LocalFileKeyring(tmp_path / "other" / "keyring.json", create=True)
    other.current_kek_id()
    settings.WELLKEPT_KEYRING_FILE = other.path
    reset_keyring()
    with pytest.raises(CommandError, match="not with this installation's key"):
        call_command("receipt", "verify", str(receipt_file))
    # ... but the key published when it was issued still checks it.
    call_command("receipt", "verify", str(receipt_file), "--public-key", str(key_file))
    assert "VALID" in capsys.readouterr().out


def test_the_key_page_is_public(client, hospital):
    page = client.get("/my-data/receipt-key/")
    assert page.status_code == 200
    assert "BEGIN PUBLIC KEY" in page.content.decode()
