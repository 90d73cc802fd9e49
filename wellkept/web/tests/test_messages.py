"""allauth's flash messages never show a person an internal account id."""

from __future__ import annotations

import re
from pathlib import Path

import allauth
import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from wellkept.accounts.models import User
from wellkept.web.tests.conftest import PAT_EMAIL, PAT_PASSWORD

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
ALLAUTH_TEMPLATES = Path(allauth.__file__).parent / "templates"


def message_templates() -> list[str]:
    return sorted(
        str(path.relative_to(ALLAUTH_TEMPLATES))
        for path in ALLAUTH_TEMPLATES.glob("*/messages/*.txt")
    )


def test_it_confirms_sign_in_without_the_account_id(client: Client, pat: User) -> None:
    response = client.post(
        reverse("account_login"), {"login": PAT_EMAIL, "password": PAT_PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("web:home")
    assert "You are signed in." in response.text
    assert str(pat) not in response.text
    assert not UUID.search(response.text)


def test_it_finds_allauths_message_templates() -> None:
    assert "account/messages/logged_in.txt" in message_templates()


@pytest.mark.parametrize("name", message_templates())
def test_it_names_no_account_id_in_any_message(name: str, pat: User) -> None:
    # The same context allauth passes, plus the person's own address, which
    # they may see; their internal id they may not.
    text = render_to_string(name, {"user": pat, "email": PAT_EMAIL, "recipient": PAT_EMAIL})

    assert str(pat.pk) not in text
    assert not UUID.search(text)
