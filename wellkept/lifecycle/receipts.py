"""Signed deletion receipts: Ed25519 over a canonical JSON body.

The signing key is not stored anywhere: it is derived, each time, from the
keyring's audit MAC secret with a label of its own (domain separation), so
it rotates with the keyring's secrets and a stolen database holds nothing
that signs. The public key is published (a page and a command) so that
anyone holding a receipt can check it without trusting this installation.

A receipt names the person only by the tombstone digest of their token
(a keyed hash): the receipt can be matched to the tombstone journal by
someone holding the keyring, and to nothing else.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wellkept.vault.keyring import get_keyring

FORMAT = "wellkept-deletion-receipt/1"
ALGORITHM = "Ed25519"
SIGNING_LABEL = b"wellkept-receipt-signing-v1"


class ReceiptError(Exception):
    """A receipt that is not well formed, or whose signature does not verify."""


def _signing_key() -> Ed25519PrivateKey:
    # HMAC-SHA256 gives exactly the 32-byte seed Ed25519 takes; the label keeps
    # this key apart from every other use of the audit secret.
    seed = get_keyring().mac("audit", SIGNING_LABEL)
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key() -> Ed25519PublicKey:
    return _signing_key().public_key()


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey | None = None) -> str:
    """Return a short, stable name for a public key: the start of its SHA-256."""
    return hashlib.sha256(_raw(key or public_key())).hexdigest()[:16]


def public_key_pem() -> str:
    return (
        public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def load_public_key(text: str) -> Ed25519PublicKey:
    """Read a public key given as PEM or as base64 of the 32 raw bytes."""
    text = text.strip()
    try:
        if text.startswith("-----BEGIN"):
            loaded = serialization.load_pem_public_key(text.encode("ascii"))
        else:
            loaded = Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except (ValueError, TypeError, UnicodeError):
        raise ReceiptError(
            "The public key is not readable: give the PEM block from the receipt-key page "
            "or `wellkept receipt public-key`."
        ) from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise ReceiptError("The public key is not an Ed25519 key.")
    return loaded


def canonical(body: dict[str, Any]) -> bytes:
    """Return the bytes that are signed: sorted keys, no spaces, ASCII only."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def receipt_sign(
    *,
    subject_digest: str,
    organisation: str,
    rule: str,
    rule_label: str,
    counts: dict[str, int],
    erased_at: dt.datetime,
    receipt_id: str,
) -> dict[str, Any]:
    """Return a signed receipt document (JSON-ready)."""
    body = {
        "format": FORMAT,
        "receipt_id": receipt_id,
        "organisation": organisation,
        "subject_digest": subject_digest,
        "rule": rule,
        "rule_label": rule_label,
        "erased_at": erased_at.astimezone(dt.UTC).isoformat(),
        "categories": {kind: int(n) for kind, n in counts.items()},
        "rows_deleted": sum(int(n) for n in counts.values()),
        "key_destroyed": True,
        "about": (
            "The data key of the person this receipt is about was destroyed and every "
            "row filed under their pseudonymous token was deleted. The person appears "
            "only as a keyed digest of the token."
        ),
    }
    key = _signing_key()
    signature = key.sign(canonical(body))
    return {
        "receipt": body,
        "signature": {
            "algorithm": ALGORITHM,
            "key_id": key_id(key.public_key()),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


@dataclass(frozen=True)
class Verified:
    receipt_id: str
    erased_at: str
    rule: str
    rows_deleted: int
    key_id: str


def receipt_verify(document: Any, key: Ed25519PublicKey | None = None) -> Verified:
    """Check a receipt's form and signature; raise ReceiptError saying what is wrong."""
    if not isinstance(document, dict) or not isinstance(document.get("receipt"), dict):
        raise ReceiptError("This is not a Wellkept deletion receipt (no 'receipt' object).")
    body, signature = document["receipt"], document.get("signature")
    if body.get("format") != FORMAT:
        raise ReceiptError(f"Unknown receipt format {body.get('format')!r}; expected {FORMAT}.")
    if not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM:
        raise ReceiptError("The receipt has no Ed25519 signature.")
    key = key or public_key()
    if signature.get("key_id") != key_id(key):
        raise ReceiptError(
            f"The receipt was signed with key {signature.get('key_id')!r}, not with this "
            f"installation's key {key_id(key)!r}: check it with the public key that was "
            "published when it was issued (--public-key)."
        )
    try:
        raw = base64.b64decode(str(signature.get("value", "")), validate=True)
        key.verify(raw, canonical(body))
    except (ValueError, InvalidSignature):
        raise ReceiptError(
            "The signature does not match the receipt: it was altered after it was issued, "
            "or it is not a receipt from this installation."
        ) from None
    return Verified(
        receipt_id=str(body.get("receipt_id", "")),
        erased_at=str(body.get("erased_at", "")),
        rule=str(body.get("rule", "")),
        rows_deleted=int(body.get("rows_deleted", 0)),
        key_id=str(signature["key_id"]),
    )
