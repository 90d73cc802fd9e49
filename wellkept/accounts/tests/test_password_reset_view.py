"""Password reset: works through the blind index, says the same for every address."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from wellkept.accounts.models import User

pytestmark = pytest.mark.django_db

RESET = reverse("account_reset_password")


def test_it_sends_a_reset_link_to_a_known_address(client, nina):
    response = client.post(RESET, {"email": "Nina.Nurse@stannes.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nina.nurse@stannes.example"]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_it_answers_an_unknown_address_exactly_like_a_known_one(client, nina):
    known = client.post(RESET, {"email": "nina.nurse@stannes.example"})
    unknown = client.post(RESET, {"email": "nobody.here@stannes.example"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # No working link goes to an address without an account.
    assert all("/password/reset/key/" not in m.body for m in mail.outbox[1:])


def test_it_lets_the_owner_set_a_new_password_through_the_link(client, nina):
    client.post(RESET, {"email": "nina.nurse@stannes.example"})
    link = re.search(r"https?://\S+/password/reset/key/\S+/", mail.outbox[0].body)
    assert link is not None
    path = link.group(0).split("testserver", 1)[-1]
    form_page = client.get(path, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    new_password = "lighthouse gravel window tune"
    response = client.post(action, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302
    nina.refresh_from_db()
    assert nina.check_password(new_password)
    assert nina.password_meets_single_factor is True


def test_it_applies_the_password_rules_on_reset(client, nina):
    client.post(RESET, {"email": "nina.nurse@stannes.example"})
    link = re.search(r"https?://\S+/password/reset/key/\S+/", mail.outbox[0].body)
    path = link.group(0).split("testserver", 1)[-1]
    form_page = client.get(path, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    response = client.post(action, {"password1": "short one", "password2": "short one"})
    assert response.status_code == 200
    assert "at least 15 characters" in response.content.decode()


def test_it_never_stores_addresses_in_allauths_email_table(client, nina):
    client.post(RESET, {"email": "nina.nurse@stannes.example"})
    client.post(
        reverse("account_login"),
        {"login": "nina.nurse@stannes.example", "password": "violet kettle harbour sings"},
    )
    assert EmailAddress.objects.count() == 0
    assert User.objects.count() == 1
