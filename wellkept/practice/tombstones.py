"""An erased client stays erased after a backup restore: the journal is kept above the practice.

A backup taken before a client's erasure still holds the client's rows and
their data keys (the record's and every author's psychotherapy-note key),
wrapped under the key-encryption key. Restoring it would bring the client
back, readable. So ``client_erase`` writes a tombstone to the journal that
``wellkept backup restore`` re-applies, as a participant's erasure does.

The journal lives in ``lifecycle``, a layer above the practice, so the
practice cannot import it: ``lifecycle`` registers its writer here at
``ready()`` (as it registers its hold check in ``practice.holds``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

TombstoneWriter = Callable[[str], None]
_WRITER: list[TombstoneWriter] = []


def register_tombstone_writer(write: TombstoneWriter) -> None:
    """Set what writes a tombstone for an erased client (from lifecycle's ready())."""
    _WRITER[:] = [write]


def client_tombstone_token(client_pk: Any) -> str:
    """Return the name a client's tombstone is kept under (digested by the journal)."""
    # Prefixed, so a client's id can never be taken for a participant's token.
    return f"client:{client_pk}"


def client_tombstone_write(client: Any) -> None:
    """Write the client's tombstone; refuse the erasure when nothing can keep it.

    Deny by default: an erasure without its tombstone is undone by the next
    restore of an older backup, with every note readable again.
    """
    if not _WRITER:
        raise ImproperlyConfigured(
            "No tombstone journal is registered (the lifecycle app is not installed): a "
            "client erased now would come back with the next backup restore."
        )
    _WRITER[0](client_tombstone_token(client.pk))
