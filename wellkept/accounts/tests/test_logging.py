"""Log lines never carry an invitation token or a password reset key."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from wellkept.accounts.logging import RedactLinkSecrets, redact
from wellkept.accounts.services import invitation_create
from wellkept.actors import SystemActor
from wellkept.orgs.models import Role

pytestmark = pytest.mark.django_db


def test_it_redacts_the_signed_value_of_an_unsubscribe_link() -> None:
    assert redact("Bad Request: /reminders/unsubscribe/eyJ1IjoxfQ:1abc:sig/") == (
        "Bad Request: /reminders/unsubscribe/[redacted]/"
    )


def test_it_redacts_the_secret_segment_of_link_paths() -> None:
    assert redact("Forbidden (CSRF token missing.): /accounts/invite/ab12cd34ef.s3cr3t/") == (
        "Forbidden (CSRF token missing.): /accounts/invite/[redacted]/"
    )
    assert redact("Not Found: /accounts/password/reset/key/3-abc-def123/") == (
        "Not Found: /accounts/password/reset/key/[redacted]/"
    )
    assert redact("/accounts/invite/accept/") == "/accounts/invite/accept/"


def test_it_redacts_a_real_csrf_failure_through_the_configured_handler(st_annes, caplog):
    issued = invitation_create(
        actor=SystemActor("tests"),
        organisation=st_annes,
        email="new.person@stannes.example",
        role=Role.LEADER,
    )
    path = "/accounts" + issued.url.split("/accounts", 1)[1]
    secret = path.rstrip("/").rsplit(".", 1)[1]
    with caplog.at_level(logging.WARNING, logger="django.security"):
        Client(enforce_csrf_checks=True).post(path, {"password1": "x", "password2": "x"})
    messages = [record.getMessage() for record in caplog.records]
    # The records are the ones the console handler wrote, after its filter.
    assert any("/accounts/invite/[redacted]/" in m for m in messages)
    assert not any(secret in m for m in messages)
    handler = logging.getLogger("django.security").handlers[0]
    assert any(isinstance(f, RedactLinkSecrets) for f in handler.filters)
