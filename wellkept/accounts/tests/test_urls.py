"""allauth pages Wellkept does not offer answer 404, for everyone, and change nothing."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from wellkept.accounts.tests.conftest import STRONG_PASSWORD

pytestmark = pytest.mark.django_db

NOT_OFFERED = [
    reverse("account_signup"),
    reverse("account_email"),
    reverse("account_email_verification_sent"),
    reverse("account_confirm_email", kwargs={"key": "some-confirmation-key"}),
    reverse("account_confirm_login_code"),
]


@pytest.mark.parametrize("path", NOT_OFFERED)
def test_it_answers_not_found_to_visitors(client, path):
    assert client.get(path).status_code == 404
    assert client.post(path, {}).status_code == 404


@pytest.mark.parametrize("path", NOT_OFFERED)
def test_it_answers_not_found_to_signed_in_people(client, nina, path):
    client.force_login(nina)
    assert client.get(path).status_code == 404


def test_it_keeps_addresses_out_of_allauths_email_table(client, nina):
    client.post(
        reverse("account_login"),
        {"login": "nina.nurse@stannes.example", "password": STRONG_PASSWORD},
    )
    response = client.post(
        "/accounts/email/", {"action_add": "", "email": "nina.private@gmail.example"}
    )
    assert response.status_code == 404
    assert EmailAddress.objects.count() == 0
    assert mail.outbox == []


def test_it_keeps_the_pages_allauth_needs(client):
    assert client.get(reverse("account_login")).status_code == 200
    assert client.get(reverse("account_reset_password")).status_code == 200
    assert client.get(reverse("account_reset_password_from_key_done")).status_code == 200
