"""The ciphertext format and the AEAD primitive, nothing else.

A stored value looks like ``wk1$<data key id>$<base64url(nonce || ciphertext || tag)>``:
self-describing like Django's password hashes, so the format and the keys can
change without a flag day. ``wk1`` is AES-256-GCM with a 96-bit random nonce
and associated data that names the table, row, field and subject, so a
ciphertext copied to another row, field or person fails to open.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "wk1"
NONCE_BYTES = 12


class DecryptionError(Exception):
    """A ciphertext is malformed, or does not belong where it was found."""


@dataclass(frozen=True)
class Envelope:
    version: str
    datakey_id: int
    payload: bytes


def associated_data(*, label: str, row: str, field: str, subject: str) -> bytes:
    """Build the associated data binding a value to where it belongs."""
    # "|" cannot occur in model labels, field names or our subject references,
    # and row ids are UUIDs, so the encoding is unambiguous.
    return f"{VERSION}|{label}|{row}|{field}|{subject}".encode()


def seal(dek: bytes, plaintext: bytes, aad: bytes, *, datakey_id: int) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    body = AESGCM(dek).encrypt(nonce, plaintext, aad)
    encoded = base64.urlsafe_b64encode(nonce + body).decode("ascii").rstrip("=")
    return f"{VERSION}${datakey_id}${encoded}"


def parse(value: str) -> Envelope:
    parts = value.split("$")
    if len(parts) != 3 or parts[0] != VERSION:
        raise DecryptionError("Not a Wellkept ciphertext (unknown format or version).")
    try:
        datakey_id = int(parts[1])
        payload = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
    except (ValueError, binascii.Error):
        raise DecryptionError("Malformed Wellkept ciphertext.") from None
    if len(payload) < NONCE_BYTES + 16:
        raise DecryptionError("Truncated Wellkept ciphertext.")
    return Envelope(parts[0], datakey_id, payload)


def open_envelope(dek: bytes, envelope: Envelope, aad: bytes) -> bytes:
    nonce, body = envelope.payload[:NONCE_BYTES], envelope.payload[NONCE_BYTES:]
    try:
        return AESGCM(dek).decrypt(nonce, body, aad)
    except InvalidTag:
        raise DecryptionError(
            "The ciphertext does not open here: it was altered, or moved from another "
            "row, field or person."
        ) from None


def looks_sealed(value: str) -> bool:
    return value.startswith(VERSION + "$")
