"""Bearer tokens stored as a public prefix plus a keyed MAC, never in clear."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from wellkept.vault.keyring import get_keyring

PREFIX_CHARS = 10
SECRET_BYTES = 32
SEPARATOR = "."


@dataclass(frozen=True)
class IssuedToken:
    """A fresh token: ``raw`` goes to its holder once, the rest is stored."""

    raw: str
    prefix: str
    mac: str


def _mac(raw: str) -> str:
    # Keyed with the keyring's "token" secret, which is not in the database:
    # a stolen dump holds neither the token nor anything to test guesses with.
    return get_keyring().mac("token", raw.encode("utf-8")).hex()


def token_issue() -> IssuedToken:
    """Return a new random token with its lookup prefix and MAC."""
    # The prefix only finds the row; all the secrecy is in the second part.
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    raw = f"{prefix}{SEPARATOR}{secrets.token_urlsafe(SECRET_BYTES)}"
    return IssuedToken(raw=raw, prefix=prefix, mac=_mac(raw))


def token_prefix(raw: str) -> str | None:
    """Return the lookup prefix of a presented token, or None when it is malformed."""
    prefix, separator, secret = raw.partition(SEPARATOR)
    if not separator or len(prefix) != PREFIX_CHARS or not secret or len(raw) > 200:
        return None
    return prefix


def token_matches(raw: str, stored_mac: str) -> bool:
    """Compare a presented token with a stored MAC in constant time."""
    return hmac.compare_digest(_mac(raw).encode("ascii"), stored_mac.encode("ascii"))
