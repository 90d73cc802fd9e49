"""The keyed hash chain: canonical bytes of an entry and its MAC.

Key handling: the chain key is derived once per keyring instance as
HMAC-SHA-256(audit secret, "wellkept-audit-chain-key-v1") through the
keyring's ``mac("audit", ...)``, and each entry's MAC is then computed locally
with ``hmac``. A KMS-backed keyring is thus asked once per process instead of
once per entry; the derived key is as secret as the audit secret itself and
never leaves memory. Checkpoint lines use a second derived key, so a
checkpoint line can never be replayed as an entry MAC or the other way round.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Sequence
from typing import Any

from wellkept.vault.keyring import Keyring, get_keyring

CHAIN_KEY_LABEL = b"wellkept-audit-chain-key-v1"
CHECKPOINT_KEY_LABEL = b"wellkept-audit-checkpoint-key-v1"
FORMAT = "wk-audit-v1"

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
