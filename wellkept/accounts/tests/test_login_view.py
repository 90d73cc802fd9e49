"""Signing in: e-mail and password, the second step, back-off, and no enumeration."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.sessions.models import Session
from django.urls import reverse

from wellkept.accounts import throttle
from wellkept.accounts.tests.conftest import STRONG_PASSWORD, totp_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")


def sign_in(client, email: str, password: str):
    return client.post(LOGIN, {"login": email, "password": password})


def form_errors(response) -> str:
    return " ".join(str(e) for e in response.context["form"].non_field_errors())


def test_it_signs_a_participant_in_with_email_and_password(client, nina):
    response = sign_in(client, "nina.nurse@stannes.example", STRONG_PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(nina.pk)


def test_it_ignores_case_in_the_email_address(client, nina):
    response = sign_in(client, "  Nina.Nurse@StAnnes.EXAMPLE", STRONG_PASSWORD)
    assert response.status_code == 302


def test_it_labels_fields_for_password_managers(client):
    html = client.get(LOGIN).content.decode()
    assert 'autocomplete="current-password"' in html
    # "username" even for an address: one autofill token (axe: autocomplete-valid).
    assert 'autocomplete="username"' in html
    assert "<label" in html
    assert "onpaste" not in html


def test_it_keeps_the_email_address_out_of_the_session_table(client, nina):
    sign_in(client, "nina.nurse@stannes.example", STRONG_PASSWORD)
    for session in Session.objects.all():
        decoded = str(session.get_decoded())
        assert "nina.nurse" not in decoded
        assert "nina.nurse" not in session.session_data


def test_it_gives_the_same_answer_for_an_unknown_address_and_a_wrong_password(client, nina):
    wrong = sign_in(client, "nina.nurse@stannes.example", "not her password at all")
    unknown = sign_in(client, "nobody.here@stannes.example", "not her password at all")
    assert wrong.status_code == unknown.status_code == 200
    assert form_errors(wrong) == form_errors(unknown) != ""


@pytest.mark.argon2
def test_it_spends_a_password_hash_on_unknown_addresses_too(client, monkeypatch, db):
    calls = []
    original = Argon2PasswordHasher.encode

    def counting_encode(self, password, salt):
        calls.append(1)
        return original(self, password, salt)

    monkeypatch.setattr(Argon2PasswordHasher, "encode", counting_encode)
    sign_in(client, "nobody.here@stannes.example", "some long guessed password")
    assert calls, "an unknown address must cost a hash, like a known one"


def test_it_backs_off_after_a_few_wrong_passwords_even_for_the_right_one(
    client, nina, frozen_clock
):
    for _ in range(throttle.PAIR_FREE_FAILURES + 1):
        sign_in(client, "nina.nurse@stannes.example", "wrong guess number one")
    response = sign_in(client, "nina.nurse@stannes.example", STRONG_PASSWORD)
    assert "Too many failed attempts. Wait 1 second" in form_errors(response)
    assert "_auth_user_id" not in client.session


def test_it_backs_off_unknown_addresses_with_the_same_message(client, nina, frozen_clock):
    for email in ("nina.nurse@stannes.example", "nobody.here@stannes.example"):
        for _ in range(throttle.PAIR_FREE_FAILURES + 1):
            sign_in(client, email, "wrong guess number one")
    known = sign_in(client, "nina.nurse@stannes.example", "another guess entirely")
    unknown = sign_in(client, "nobody.here@stannes.example", "another guess entirely")
    assert form_errors(known) == form_errors(unknown)
    assert "Too many failed attempts" in form_errors(known)


def test_it_lets_the_owner_in_once_the_wait_is_over(client, nina, frozen_clock):
    for _ in range(throttle.PAIR_FREE_FAILURES + 1):
        sign_in(client, "nina.nurse@stannes.example", "wrong guess number one")
    frozen_clock(2)
    response = sign_in(client, "nina.nurse@stannes.example", STRONG_PASSWORD)
    assert response.status_code == 302


def test_it_forgets_earlier_failures_after_a_success(client, nina, frozen_clock):
    for _ in range(throttle.PAIR_FREE_FAILURES):
        sign_in(client, "nina.nurse@stannes.example", "wrong guess number one")
    sign_in(client, "nina.nurse@stannes.example", STRONG_PASSWORD)
    client.logout()
    sign_in(client, "nina.nurse@stannes.example", "wrong guess number two")
    response = sign_in(client, "nina.nurse@stannes.example", STRONG_PASSWORD)
    assert response.status_code == 302


def test_it_asks_staff_with_an_authenticator_for_a_code(client, amira):
    response = sign_in(client, "amira.admin@stannes.example", STRONG_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert 'autocomplete="one-time-code"' in page
    assert 'inputmode="numeric"' in page

    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(amira.totp_secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(amira.pk)


def test_it_backs_off_wrong_authenticator_codes(client, amira, frozen_clock):
    sign_in(client, "amira.admin@stannes.example", STRONG_PASSWORD)
    for _ in range(throttle.PAIR_FREE_FAILURES + 1):
        client.post(reverse("mfa_authenticate"), {"code": "000000"})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(amira.totp_secret)})
    assert response.status_code == 200
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


NAT = "10.0.0.1"  # a hospital NAT, or a proxy without the trusted-proxy settings


def test_it_still_lets_a_correct_password_in_from_an_address_others_have_abused(
    client, nina, frozen_clock
):
    # A guesser behind the same NAT tries many accounts, slowly enough that
    # the per-address back-off never runs out.
    for n in range(throttle.ADDRESS_FREE_FAILURES + 15):
        client.post(
            LOGIN,
            {"login": f"random{n}@stannes.example", "password": "wrong password here!"},
            REMOTE_ADDR=NAT,
        )
        frozen_clock(60)
    response = client.post(
        LOGIN,
        {"login": "nina.nurse@stannes.example", "password": STRONG_PASSWORD},
        REMOTE_ADDR=NAT,
    )
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(nina.pk)


def test_it_answers_wrong_passwords_from_an_abused_address_like_refusals(
    client, nina, frozen_clock
):
    for n in range(throttle.ADDRESS_FREE_FAILURES + 1):
        sign_in(client, f"random{n}@stannes.example", "wrong password here!")
    wrong = sign_in(client, "nina.nurse@stannes.example", "not her password at all")
    unknown = sign_in(client, "nobody.here@stannes.example", "not her password at all")
    # The same words as a refused attempt; only the growing wait differs.
    assert "Too many failed attempts" in form_errors(wrong)
    assert re.sub(r"\d+", "N", form_errors(wrong)) == re.sub(r"\d+", "N", form_errors(unknown))


def test_it_limits_password_guesses_per_account_however_many_addresses_are_used(
    client, nina, frozen_clock
):
    for n in range(throttle.ACCOUNT_PASSWORD_FREE_FAILURES + 1):
        client.post(
            LOGIN,
            {"login": "nina.nurse@stannes.example", "password": "wrong password here!"},
            REMOTE_ADDR=f"2001:db8:{n:x}::1",
        )
    response = client.post(
        LOGIN,
        {"login": "nina.nurse@stannes.example", "password": STRONG_PASSWORD},
        REMOTE_ADDR="2001:db8:ffff::1",
    )
    assert "Too many failed attempts" in form_errors(response)
    assert "_auth_user_id" not in client.session
    # The wait is bounded: the owner gets in once it is over.
    frozen_clock(throttle.MAX_DELAY_SECONDS)
    response = client.post(
        LOGIN,
        {"login": "nina.nurse@stannes.example", "password": STRONG_PASSWORD},
        REMOTE_ADDR="2001:db8:ffff::1",
    )
    assert response.status_code == 302


def test_it_counts_a_whole_ipv6_64_as_one_place(client, nina, frozen_clock):
    for n in range(throttle.PAIR_FREE_FAILURES + 1):
        client.post(
            LOGIN,
            {"login": "nina.nurse@stannes.example", "password": "wrong password here!"},
            REMOTE_ADDR=f"2001:db8:1:2::{n + 1:x}",
        )
    response = client.post(
        LOGIN,
        {"login": "nina.nurse@stannes.example", "password": STRONG_PASSWORD},
        REMOTE_ADDR="2001:db8:1:2:ffff::9",
    )
    assert "Too many failed attempts" in form_errors(response)


def test_it_takes_the_client_address_from_the_trusted_proxy(client, nina, frozen_clock, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for _ in range(throttle.PAIR_FREE_FAILURES + 1):
        client.post(
            LOGIN,
            {"login": "nina.nurse@stannes.example", "password": "wrong password here!"},
            REMOTE_ADDR=NAT,
            HTTP_X_FORWARDED_FOR="203.0.113.7",
        )
    # The owner behind the same proxy, from another client address, is not slowed.
    response = client.post(
        LOGIN,
        {"login": "nina.nurse@stannes.example", "password": STRONG_PASSWORD},
        REMOTE_ADDR=NAT,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert response.status_code == 302


def test_it_does_not_let_allauth_refuse_a_busy_nat_at_30_sign_ins_a_minute(client, nina):
    for _ in range(40):
        response = client.post(
            LOGIN,
            {"login": "nina.nurse@stannes.example", "password": STRONG_PASSWORD},
            REMOTE_ADDR=NAT,
        )
        assert response.status_code == 302
        client.logout()


def wrong_code_for(secret: str) -> str:
    return f"{(int(totp_code(secret)) + 500_000) % 1_000_000:06d}"


def test_it_limits_authenticator_codes_per_account_across_rotating_addresses(
    client, amira, frozen_clock
):
    # A stolen password, then codes from ever new IPv6 networks.
    client.post(
        LOGIN,
        {"login": "amira.admin@stannes.example", "password": STRONG_PASSWORD},
        REMOTE_ADDR="2001:db8::1",
    )
    for n in range(throttle.ACCOUNT_MFA_FREE_FAILURES + 1):
        client.post(
            reverse("mfa_authenticate"),
            {"code": wrong_code_for(amira.totp_secret)},
            REMOTE_ADDR=f"2001:db8:{n + 1:x}::1",
        )
    response = client.post(
        reverse("mfa_authenticate"),
        {"code": totp_code(amira.totp_secret)},
        REMOTE_ADDR="2001:db8:ffff::1",
    )
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
