"""The keyed hash chains: canonical bytes of an entry, its MAC, and sealed links.

Two chains share one audit secret. The identified chain (``AuditEntry``) is
ordered by id and every field is in clear. The pseudonymous chain
(``PseudonymousEntry``: a participant acting under their token) keeps its
order secret: each row's position and the MAC of the row before it are
sealed (AES-256-GCM) in its ``link``, so a reader of the table or of an
export sees a day and an event, not when or in which order it happened
relative to a sign-in (see docs/security.md, "No timing link").

Key handling: each key is derived once per keyring instance as
HMAC-SHA-256(audit secret, label) through the keyring's ``mac("audit", ...)``,
and MACs are then computed locally with ``hmac``. A KMS-backed keyring is thus
asked once per process instead of once per entry; the derived keys are as
secret as the audit secret itself and never leave memory. Every use has its
own label, so a checkpoint can never be replayed as an entry MAC, a
pseudonymous MAC as an identified one, or the other way round.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import secrets
import struct
import threading
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wellkept.vault.keyring import Keyring, get_keyring

CHAIN_KEY_LABEL = b"wellkept-audit-chain-key-v1"
CHECKPOINT_KEY_LABEL = b"wellkept-audit-checkpoint-key-v2"
PSEUDONYMOUS_KEY_LABEL = b"wellkept-audit-pseudonymous-key-v1"
SEAL_KEY_LABEL = b"wellkept-audit-seal-key-v1"
FORMAT = "wk-audit-v1"
PSEUDONYMOUS_FORMAT = "wk-audit-pseudonymous-v1"

# The fields covered by the MAC, in this order. Changing it breaks every
# existing chain: add a new FORMAT instead.
FIELDS: tuple[str, ...] = (
    "id",
    "created_at",
    "event",
    "outcome",
    "actor_id",
    "actor_label",
    "role",
    "purpose",
    "target",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "prev_mac",
)

_lock = threading.Lock()
_cache: dict[bytes, tuple[Keyring, bytes]] = {}


def _derived_key(label: bytes) -> bytes:
    keyring = get_keyring()
    cached = _cache.get(label)
    if cached is not None and cached[0] is keyring:
        return cached[1]
    key = keyring.mac("audit", label)
    with _lock:
        _cache[label] = (keyring, key)
    return key


def chain_key() -> bytes:
    return _derived_key(CHAIN_KEY_LABEL)


def checkpoint_key() -> bytes:
    return _derived_key(CHECKPOINT_KEY_LABEL)


def pseudonymous_key() -> bytes:
    return _derived_key(PSEUDONYMOUS_KEY_LABEL)


def seal_key() -> bytes:
    return _derived_key(SEAL_KEY_LABEL)


def format_time(value: dt.datetime) -> str:
    """Return the one textual form of a timestamp the MAC covers (UTC, microseconds)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(values: Sequence[Any]) -> bytes:
    """Return unambiguous bytes for an entry's values given in FIELDS order.

    A JSON array: every string is quoted and escaped, so no choice of field
    contents can make two different entries encode alike.
    """
    row = [FORMAT, int(values[0]), format_time(values[1]), *(str(v) for v in values[2:])]
    return json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def compute_mac(values: Sequence[Any], *, key: bytes | None = None) -> str:
    """Return the hex HMAC-SHA-256 of an entry's values (FIELDS order)."""
    return hmac.new(key or chain_key(), canonical(values), hashlib.sha256).hexdigest()


# -- the pseudonymous chain ------------------------------------------------------

# The fields of a pseudonymous entry covered by its MAC, in this order, then
# the entry's position and the previous entry's MAC (which are sealed in the
# row, not stored in clear). No time of day, address, user agent or request id
# exists to be covered.
PSEUDONYMOUS_FIELDS: tuple[str, ...] = (
    "id",
    "day",
    "event",
    "outcome",
    "actor_label",
    "role",
    "purpose",
    "target",
    "reason",
)


def pseudonymous_mac(
    values: Sequence[Any], *, position: int, prev_mac: str, key: bytes | None = None
) -> str:
    """Return the hex HMAC of a pseudonymous entry (PSEUDONYMOUS_FIELDS order) at ``position``."""
    day = values[1]
    row = [
        PSEUDONYMOUS_FORMAT,
        int(values[0]),
        day.isoformat() if isinstance(day, dt.date) else str(day),
        *(str(v) for v in values[2:]),
        int(position),
        prev_mac,
    ]
    payload = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hmac.new(key or pseudonymous_key(), payload, hashlib.sha256).hexdigest()


class SealError(ValueError):
    """A sealed value does not open: edited, moved to another row, or another key."""


# position (8 bytes) + count (8 bytes) + a 32-byte MAC: every sealed head and
# link has the same length, so its size says nothing about how far the
# chain has grown.
_HEAD = struct.Struct(">QQ32s")
_NONCE = 12


def seal_head(position: int, mac: str, count: int, *, context: bytes) -> str:
    """Encrypt a chain position and MAC; the same input never seals the same way twice."""
    digest = bytes.fromhex(mac) if mac else bytes(32)
    nonce = secrets.token_bytes(_NONCE)
    body = AESGCM(seal_key()).encrypt(nonce, _HEAD.pack(position, count, digest), context)
    return base64.b64encode(nonce + body).decode("ascii")


def unseal_head(sealed: str, *, context: bytes) -> tuple[int, str, int]:
    """Return (position, mac, count) from ``seal_head``; raise SealError if it does not open."""
    try:
        raw = base64.b64decode(sealed.encode("ascii"), validate=True)
        plain = AESGCM(seal_key()).decrypt(raw[:_NONCE], raw[_NONCE:], context)
        position, count, digest = _HEAD.unpack(plain)
    except (InvalidTag, ValueError, binascii.Error, struct.error, UnicodeEncodeError):
        raise SealError("a sealed chain position does not open") from None
    # "" (the start of a chain) is sealed as 32 zero bytes, which no HMAC is.
    mac = "" if digest == bytes(32) else digest.hex()
    return position, mac, count
