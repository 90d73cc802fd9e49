"""The ciphertext format: binding, tamper detection, malformed input."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wellkept.vault import crypto

DEK = AESGCM.generate_key(bit_length=256)
AAD = crypto.associated_data(label="accounts.user", row="r1", field="email", subject="user:1")


def test_it_round_trips_a_value() -> None:
    sealed = crypto.seal(DEK, b"ada@example.org", AAD, datakey_id=7)
    assert sealed.startswith("wk1$7$")
    assert crypto.open_envelope(DEK, crypto.parse(sealed), AAD) == b"ada@example.org"


def test_it_uses_a_fresh_nonce_for_every_value() -> None:
    assert crypto.seal(DEK, b"same", AAD, datakey_id=1) != crypto.seal(
        DEK, b"same", AAD, datakey_id=1
    )


@pytest.mark.parametrize(
    "other",
    [
        {"label": "orgs.participant", "row": "r1", "field": "email", "subject": "user:1"},
        {"label": "accounts.user", "row": "r2", "field": "email", "subject": "user:1"},
        {"label": "accounts.user", "row": "r1", "field": "display_name", "subject": "user:1"},
        {"label": "accounts.user", "row": "r1", "field": "email", "subject": "user:2"},
    ],
    ids=["other-table", "other-row", "other-field", "other-subject"],
)
def test_it_refuses_a_value_moved_elsewhere(other: dict[str, str]) -> None:
    sealed = crypto.seal(DEK, b"secret", AAD, datakey_id=1)
    with pytest.raises(crypto.DecryptionError, match="moved"):
        crypto.open_envelope(DEK, crypto.parse(sealed), crypto.associated_data(**other))


def test_it_detects_a_flipped_bit() -> None:
    sealed = crypto.seal(DEK, b"secret", AAD, datakey_id=1)
    envelope = crypto.parse(sealed)
    flipped = bytearray(envelope.payload)
    flipped[-1] ^= 1
    tampered = crypto.Envelope(envelope.version, envelope.datakey_id, bytes(flipped))
    with pytest.raises(crypto.DecryptionError):
        crypto.open_envelope(DEK, tampered, AAD)


@pytest.mark.parametrize(
    "value", ["", "plain text", "wk1$", "wk1$x$AAAA", "wk1$1$!!!", "wk1$1$AAAA", "wk9$1$AAAA"]
)
def test_it_rejects_malformed_ciphertext(value: str) -> None:
    with pytest.raises(crypto.DecryptionError):
        crypto.parse(value)
