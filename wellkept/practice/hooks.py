"""What a change of a client tells the apps above ``practice`` (connected in their ``ready()``)."""

from __future__ import annotations

from dataclasses import dataclass

from wellkept.hooks import Hook
from wellkept.practice.models import Client


@dataclass(frozen=True)
class ClientErasing:
    """A client is being erased, under their lock, before their rows are deleted."""

    client: Client


CLIENT_ERASING: Hook[ClientErasing] = Hook("practice.client_erasing", ClientErasing)
