"""Signed deletion receipts: Ed25519 over a canonical JSON body.

The signing key is not stored anywhere: it is derived, each time, from the
keyring's audit MAC secret with a label of its own (domain separation), so
it rotates with the keyring's secrets and a stolen database holds nothing
that signs. The public key is published (a page and a command) so that
anyone holding a receipt can check it without trusting this installation.

A receipt names the person only by the tombstone digest of their token
(a keyed hash): the receipt can be matched to the tombstone journal by
someone holding the keyring, and to nothing else.

Reading is strict, so that what a reader sees is exactly what was signed:
a file with a key twice (a forged value first, the signed one last: most
JSON readers keep the last, a person reading the file sees the first), a
field that is not part of the format, a value of the wrong type, a number
that is not an integer, or a signature written in any encoding but the one
canonical form is refused before the signature is even checked. The format
is documented, with a worked example, in docs/retention-and-erasure.md.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from wellkept.vault.keyring import get_keyring

FORMAT = "wellkept-deletion-receipt/1"
ALGORITHM = "Ed25519"
SIGNING_LABEL = b"wellkept-receipt-signing-v1"
SIGNATURE_BYTES = 64
# Every field of each object, and nothing else.
DOCUMENT_FIELDS = frozenset({"receipt", "signature"})
RECEIPT_FIELDS = frozenset(
    {
        "format",
        "receipt_id",
        "organisation",
        "subject_digest",
        "rule",
        "rule_label",
        "erased_at",
        "categories",
        "rows_deleted",
        "key_destroyed",
        "about",
    }
)
SIGNATURE_FIELDS = frozenset({"algorithm", "key_id", "value"})
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


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


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ReceiptError(
                f"The field {key!r} appears twice in one object. A receipt names each field "
                "once; a second copy is how a forged value hides next to the signed one."
            )
        found[key] = value
    return found


def _no_float(text: str) -> Any:
    raise ReceiptError(f"The number {text} is not a whole number; a receipt holds only counts.")


def _no_constant(text: str) -> Any:
    raise ReceiptError(f"{text} is not a JSON value a receipt can hold.")


def receipt_parse(raw: bytes | str) -> dict[str, Any]:
    """Read a receipt file strictly: UTF-8 JSON, no key twice, whole numbers only; or raise.

    Only the JSON layer is checked here; ``receipt_verify`` checks the fields.
    """
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ReceiptError("The file is not UTF-8 text, so it is not a receipt.") from None
    try:
        loaded = json.loads(
            text,
            object_pairs_hook=_no_duplicates,
            parse_float=_no_float,
            parse_constant=_no_constant,
        )
    # RecursionError: nesting deep enough to exhaust the parser, which a
    # receipt never has; said as plainly as any other file that is not one.
    except (ValueError, RecursionError):
        raise ReceiptError(
            "The file is not JSON. A receipt is the .json file downloaded after an erasure."
        ) from None
    if not isinstance(loaded, dict):
        raise ReceiptError("This is not a Wellkept deletion receipt (not a JSON object).")
    return loaded


def _fields(value: Any, expected: frozenset[str], where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ReceiptError(f"{where} must be a JSON object.")
    unknown = sorted(set(value) - expected)
    missing = sorted(expected - set(value))
    if unknown:
        raise ReceiptError(
            f"{where} has field(s) that are not part of the receipt format: "
            f"{', '.join(map(repr, unknown))}. Nothing may be added to a signed receipt."
        )
    if missing:
        raise ReceiptError(f"{where} lacks the field(s) {', '.join(map(repr, missing))}.")
    return value


def _text(body: dict[str, Any], key: str) -> str:
    value = body[key]
    if not isinstance(value, str):
        raise ReceiptError(f"The receipt's {key!r} must be text.")
    return value


def _count(value: Any, what: str) -> int:
    # bool is an int in Python; true is not a count.
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReceiptError(f"{what} must be a whole number, 0 or more.")
    return value


def _check_body(body: dict[str, Any]) -> None:
    for key in ("format", "receipt_id", "organisation", "rule", "rule_label", "about"):
        _text(body, key)
    if body["format"] != FORMAT:
        raise ReceiptError(f"Unknown receipt format {body['format']!r}; expected {FORMAT}.")
    if not _DIGEST.fullmatch(_text(body, "subject_digest")):
        raise ReceiptError("The receipt's subject_digest must be 64 lower-case hex digits.")
    try:
        erased = dt.datetime.fromisoformat(_text(body, "erased_at"))
    except ValueError:
        raise ReceiptError("The receipt's erased_at is not a date and time.") from None
    if erased.tzinfo is None:
        raise ReceiptError("The receipt's erased_at must carry its UTC offset.")
    categories = body["categories"]
    if not isinstance(categories, dict):
        raise ReceiptError("The receipt's categories must be a JSON object of counts.")
    total = sum(_count(n, f"The count of {kind!r}") for kind, n in categories.items())
    if _count(body["rows_deleted"], "rows_deleted") != total:
        raise ReceiptError("The receipt's rows_deleted is not the sum of its categories.")
    if body["key_destroyed"] is not True:
        raise ReceiptError("The receipt's key_destroyed must be true.")


def _signature_bytes(value: Any) -> bytes:
    """Decode the one canonical encoding: standard base64, padded, of exactly 64 bytes."""
    if not isinstance(value, str):
        raise ReceiptError("The signature value must be text (base64).")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ReceiptError("The signature value is not base64.") from None
    # base64 lets the unused low bits of the last character, and nothing
    # else, vary: one signature has several spellings that decode alike.
    # Only the one this installation writes is accepted.
    if len(raw) != SIGNATURE_BYTES or base64.b64encode(raw).decode("ascii") != value:
        raise ReceiptError(
            "The signature value is not in the canonical encoding (standard base64 with "
            "padding, 88 characters, of the 64 signature bytes)."
        )
    return raw


def receipt_verify(document: Any, key: Ed25519PublicKey | None = None) -> Verified:
    """Check a receipt's form and signature; raise ReceiptError saying what is wrong.

    ``document`` is a parsed receipt: from a file, parse it with
    ``receipt_parse`` first, which refuses keys given twice.
    """
    if not isinstance(document, dict) or not isinstance(document.get("receipt"), dict):
        raise ReceiptError("This is not a Wellkept deletion receipt (no 'receipt' object).")
    _fields(document, DOCUMENT_FIELDS, "The receipt file")
    body = _fields(document["receipt"], RECEIPT_FIELDS, "The 'receipt' object")
    signature = _fields(document["signature"], SIGNATURE_FIELDS, "The 'signature' object")
    _check_body(body)
    if signature["algorithm"] != ALGORITHM:
        raise ReceiptError("The receipt has no Ed25519 signature.")
    given_key_id = signature["key_id"]
    if not isinstance(given_key_id, str) or not _KEY_ID.fullmatch(given_key_id):
        raise ReceiptError("The signature's key_id must be 16 lower-case hex digits.")
    raw = _signature_bytes(signature["value"])
    key = key or public_key()
    if given_key_id != key_id(key):
        raise ReceiptError(
            f"The receipt was signed with key {given_key_id!r}, not with this "
            f"installation's key {key_id(key)!r}: check it with the public key that was "
            "published when it was issued (--public-key)."
        )
    try:
        key.verify(raw, canonical(body))
    except InvalidSignature:
        raise ReceiptError(
            "The signature does not match the receipt: it was altered after it was issued, "
            "or it is not a receipt from this installation."
        ) from None
    return Verified(
        receipt_id=body["receipt_id"],
        erased_at=body["erased_at"],
        rule=body["rule"],
        rows_deleted=body["rows_deleted"],
        key_id=given_key_id,
    )
