"""Personas for the portal tests: the practice tests' Harbour and Other practices.

Ada (Tess's client) is the one invited; Ben (Theo's client) is the other
client whose pages and invoices Ada must never reach. See
``wellkept/practice/tests/conftest.py`` for everyone else.
"""

from __future__ import annotations

import pytest
from django.test import Client as Browser

from wellkept.accounts.models import User
from wellkept.portal import services
from wellkept.practice.models import Client
from wellkept.practice.tests.conftest import (  # noqa: F401 (fixtures)
    SETUP,
    Practice,
    _practice_once,
    practice,
    signed_in,
)

PASSWORD = "a long portal passphrase 7319"


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def portal_user(client: Client) -> User:
    """Invite the client and accept at once: their portal login."""
    issued = services.portal_invitation_create(actor=SETUP, client=client)
    return services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)


@pytest.fixture
def ada_portal(practice: Practice) -> Browser:  # noqa: F811 (the fixture)
    """Ada signed in to her portal."""
    return signed_in(portal_user(practice.clients["ada"]))
