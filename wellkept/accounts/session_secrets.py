"""Bearer secrets parked in the session, sealed by the vault.

Sessions live in the database unencrypted, so a link's secret (a password
reset key, an invitation token) parked there between the link and the form
would sit in clear in every dump. It is stored as AEAD ciphertext instead,
bound to its session entry, under one service key.
"""

from __future__ import annotations

import contextlib

from django.contrib.sessions.backends.base import SessionBase

from wellkept.vault.services import Binding, decrypt_text, encrypt_text

SUBJECT = "service:session-secrets"


def _binding(name: str) -> Binding:
    return Binding(label="django_session", row="-", field=name, subject=SUBJECT)


def seal(session: SessionBase, name: str, secret: str) -> None:
    """Store ``secret`` under ``name`` in the session, encrypted."""
    session[name] = encrypt_text(secret, binding=_binding(name))


def unseal(session: SessionBase, name: str) -> str | None:
    """Return the secret stored under ``name``, or None when absent or unreadable."""
    sealed = session.get(name)
    if not isinstance(sealed, str) or not sealed:
        return None
    # A tampered, foreign or shredded value counts as no value: the link
    # must be opened again.
    with contextlib.suppress(Exception):
        value = decrypt_text(sealed, binding=_binding(name))
        if isinstance(value, str):
            return value
    return None
