"""Password reset: works through the blind index, says the same for every address."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse

from wellkept.accounts.models import User
from wellkept.accounts.views.account import RESET_KEY_SESSION_KEY
from wellkept.vault.crypto import looks_sealed

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
    path = reset_link_path()
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
    path = reset_link_path()
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


def reset_link_path() -> str:
    link = re.search(r"https?://\S+/password/reset/key/\S+/", mail.outbox[0].body)
    assert link is not None
    # The link names the configured address, never the request's host.
    assert link.group(0).startswith(settings.WELLKEPT_BASE_URL)
    return urlsplit(link.group(0)).path


def test_it_keeps_the_reset_key_sealed_in_the_session_table(client, nina):
    client.post(RESET, {"email": "nina.nurse@stannes.example"})
    path = reset_link_path()
    key = path.rstrip("/").split("-", 1)[1]
    response = client.get(path)
    assert response.status_code == 302
    assert key not in response["Location"]
    # The form page too, which allauth reaches by unsealing the key.
    assert client.get(response["Location"]).status_code == 200
    rows = list(Session.objects.all())
    assert rows
    for row in rows:
        assert key not in row.session_data
        decoded = row.get_decoded()
        assert key not in str(decoded)
        assert looks_sealed(decoded[RESET_KEY_SESSION_KEY])


def test_it_refuses_a_tampered_sealed_reset_key(client, nina):
    client.post(RESET, {"email": "nina.nurse@stannes.example"})
    action = client.get(reset_link_path())["Location"]
    session = client.session
    session[RESET_KEY_SESSION_KEY] = session[RESET_KEY_SESSION_KEY][:-4] + "AAAA"
    session.save()
    new_password = "lighthouse gravel window tune"
    response = client.post(action, {"password1": new_password, "password2": new_password})
    assert response.status_code == 200
    nina.refresh_from_db()
    assert not nina.check_password(new_password)


def test_it_drops_the_key_from_the_session_once_used(client, nina):
    client.post(RESET, {"email": "nina.nurse@stannes.example"})
    action = client.get(reset_link_path())["Location"]
    new_password = "lighthouse gravel window tune"
    client.post(action, {"password1": new_password, "password2": new_password})
    assert RESET_KEY_SESSION_KEY not in client.session


def test_it_sends_no_mail_to_an_unknown_address(client, db):
    response = client.post(RESET, {"email": "nobody.here@stannes.example"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_it_refuses_a_reset_link_older_than_one_hour(client, nina, monkeypatch):
    client.post(RESET, {"email": "nina.nurse@stannes.example"})
    path = reset_link_path()
    # Django's token generator reads the time through _now(), not our clock.
    later = dt.datetime.now() + dt.timedelta(seconds=3601)  # noqa: DTZ005 (Django's naive seam)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    response = client.get(path)
    assert response.status_code == 200
    assert response.context["token_fail"] is True
