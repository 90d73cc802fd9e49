"""Participant tokens and the keyed link from a login to its token.

The token is the pseudonym every piece of a participant's data is filed
under. It is random and carries no meaning, so knowing someone's unit, shift
or enrolment date does not narrow it down, and it cannot be guessed.

Nothing in the database joins a login to a token. Instead the participant row
stores ``login_link``, an HMAC of the login's id under the keyring's
"pseudonym" secret, which lives in the key file (or a KMS), never in the
database. With the key file, the application recomputes the link for the
signed-in user and finds their row; with only a stolen database, a dump or a
backup, the link is an opaque 64-character string that matches nothing.
"""

from __future__ import annotations

import secrets

from wellkept.vault.keyring import get_keyring

# 24 random bytes = 192 bits, encoded as 32 URL-safe characters: far beyond
# guessing, and short enough to use as a DEK subject or a reference in logs.
TOKEN_BYTES = 24
TOKEN_LENGTH = 32
LOGIN_LINK_LENGTH = 64


def new_participant_token() -> str:
    """Return a fresh random participant token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def login_link_for(*, user_pk: object, organisation_pk: object) -> str:
    """Return the keyed link from a login to its participant row in one organisation.

    The organisation is part of the input so that the same person enrolled
    in two organisations has two unrelated links: one organisation's data
    cannot be joined to the other's through this column.
    """
    data = f"participant-login|{organisation_pk}|{user_pk}".encode()
    return get_keyring().mac("pseudonym", data).hex()
