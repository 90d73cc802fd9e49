"""Signed deletion receipts: issued by every erasure, verifiable by anyone, tamper-evident."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from wellkept.assessments.tests.fixtures import SYSTEM
from wellkept.lifecycle.models import DeletionReceipt, ErasureRule
from wellkept.lifecycle.receipts import (
    ReceiptError,
    load_public_key,
    public_key_pem,
    receipt_parse,
    receipt_verify,
)
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
    # Consistent with itself (the sum still adds up), so only the signature tells.
    erasure.receipt["receipt"]["categories"]["responses"] += 5
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
    page = client.get("/privacy/receipt-key/")
    assert page.status_code == 200
    assert "BEGIN PUBLIC KEY" in page.content.decode()


# ---- Read strictly (issue 15) ---------------------------------------------------------

DOCS = Path(__file__).resolve().parents[3] / "docs" / "retention-and-erasure.md"


def _text(document) -> str:
    return json.dumps(document, indent=2)


def _verify_file(tmp_path, text: str) -> str:
    path = tmp_path / "receipt.json"
    path.write_text(text)
    out = StringIO()
    call_command("receipt", "verify", str(path), stdout=out)
    return out.getvalue()


def test_a_forged_value_before_the_signed_one_is_refused(hospital, tmp_path):
    _, erasure = _erase(hospital)
    good = _text(erasure.receipt)
    signed_line = f'"rows_deleted": {erasure.receipt["receipt"]["rows_deleted"]}'
    # Most JSON readers keep the last value (the signed one); a person reads the first.
    forged = good.replace(signed_line, '"rows_deleted": 0,\n    ' + signed_line)
    assert json.loads(forged) == erasure.receipt
    with pytest.raises(CommandError, match="appears twice"):
        _verify_file(tmp_path, forged)
    with pytest.raises(ReceiptError, match="appears twice"):
        receipt_parse(forged)
    assert _verify_file(tmp_path, good).startswith("VALID")


@pytest.mark.parametrize("where", ["top", "receipt", "signature"])
def test_a_field_the_format_does_not_have_is_refused(hospital, where):
    _, erasure = _erase(hospital)
    document = json.loads(json.dumps(erasure.receipt))
    target = document if where == "top" else document[where]
    target["verified_by"] = "the court"
    with pytest.raises(ReceiptError, match="not part of the receipt format"):
        receipt_verify(document)


def _respell(value: str) -> str:
    """Another base64 spelling of the same bytes: set the last character's unused bits."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    last = value.rstrip("=")[-1]
    other = alphabet[alphabet.index(last) | 0b11]
    stem = value.rstrip("=")[:-1]
    return stem + other + "=" * (len(value) - len(value.rstrip("=")))


@pytest.mark.parametrize(
    "respell",
    [
        _respell,
        lambda v: v.rstrip("="),
        lambda v: v.replace("+", "-").replace("/", "_") if ("+" in v or "/" in v) else v + "A",
        lambda v: v[:44] + "\n" + v[44:],
    ],
    ids=["unused-bits", "no-padding", "url-alphabet", "line-break"],
)
def test_only_the_canonical_signature_encoding_verifies(hospital, respell):
    _, erasure = _erase(hospital)
    document = json.loads(json.dumps(erasure.receipt))
    value = document["signature"]["value"]
    document["signature"]["value"] = respell(value)
    assert document["signature"]["value"] != value
    with pytest.raises(ReceiptError):
        receipt_verify(document)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rows_deleted", "37", "whole number"),
        ("rows_deleted", True, "whole number"),
        ("key_destroyed", 1, "must be true"),
        ("erased_at", "yesterday", "not a date"),
        ("subject_digest", "ABC", "64 lower-case hex"),
        ("categories", [], "object of counts"),
    ],
)
def test_values_of_the_wrong_kind_are_refused(hospital, field, value, message):
    _, erasure = _erase(hospital)
    document = json.loads(json.dumps(erasure.receipt))
    document["receipt"][field] = value
    with pytest.raises(ReceiptError, match=message):
        receipt_verify(document)


@pytest.mark.parametrize("number", ["37.0", "3.7e1", "NaN", "Infinity"])
def test_numbers_that_are_not_whole_are_refused_when_read(hospital, number):
    _, erasure = _erase(hospital)
    text = _text(erasure.receipt).replace(
        f'"rows_deleted": {erasure.receipt["receipt"]["rows_deleted"]}', f'"rows_deleted": {number}'
    )
    with pytest.raises(ReceiptError):
        receipt_parse(text)


@hypothesis_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(["", "receipt", "signature", "receipt.categories"]),
    key=st.text(min_size=1, max_size=12),
    value=st.one_of(st.integers(), st.text(max_size=8), st.booleans(), st.none()),
)
def test_no_change_anywhere_leaves_a_receipt_valid(signed_receipt, path, key, value):
    """Add or overwrite any member at any level: the receipt no longer verifies."""
    document = json.loads(json.dumps(signed_receipt))
    target = document
    for part in filter(None, path.split(".")):
        target = target[part]
    if target.get(key) == value:
        return
    target[key] = value
    with pytest.raises(ReceiptError):
        receipt_verify(document)


@pytest.fixture
def signed_receipt(hospital):
    return _erase(hospital)[1].receipt


def test_the_worked_example_in_the_docs_verifies_as_printed():
    import base64
    import re

    from cryptography.hazmat.primitives import serialization

    text = DOCS.read_text(encoding="utf-8")
    example = re.search(r"\*\*Worked example\.\*\*.*?```json\n(.*?)```", text, re.S).group(1)
    pem = re.search(
        r"```text\n(-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----\n)```", text, re.S
    ).group(1)
    document = receipt_parse(example)
    verified = receipt_verify(document, load_public_key(pem))
    assert verified.rows_deleted == 37
    # The recipe given for third parties, step by step.
    key = serialization.load_pem_public_key(pem.encode())
    body = json.dumps(document["receipt"], sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    assert f"one line, {len(body)} bytes" in text
    key.verify(base64.b64decode(document["signature"]["value"]), body.encode("ascii"))
