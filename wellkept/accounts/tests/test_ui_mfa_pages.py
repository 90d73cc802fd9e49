"""What the sign-in and MFA pages say and keep: the newcomer's walk through them."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import reverse

from wellkept.accounts.forms import PENDING_TOTP_SESSION_KEY, AcceptInvitationForm
from wellkept.accounts.tests.conftest import (
    STRONG_PASSWORD,
    has_authenticator,
    record_authentication,
    totp_code,
)

pytestmark = pytest.mark.django_db


def shown_secret(page: str) -> str:
    return page.split('data-totp-secret="', 1)[1].split('"', 1)[0]


def shown_key_text(page: str) -> str:
    return page.split('id="totp-secret"', 1)[1].split(">", 1)[1].split("</code>", 1)[0]


def start_enrolment(client, user) -> str:
    client.force_login(user)
    record_authentication(client, user, "password", at=time.time())
    return client.get(reverse("mfa_activate_totp")).content.decode()


def reach_second_step(client, user) -> None:
    response = client.post(
        reverse("account_login"), {"login": user.email, "password": STRONG_PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")


# --- Setting up an authenticator app -------------------------------------


def test_it_keeps_the_same_key_when_the_set_up_page_is_opened_again(client, lena):
    first = shown_secret(start_enrolment(client, lena))
    client.get(reverse("web:home"))  # wanders off, is sent back
    again = shown_secret(client.get(reverse("mfa_activate_totp")).content.decode())
    assert again == first


def test_it_keeps_the_key_after_a_wrong_code(client, lena):
    secret = shown_secret(start_enrolment(client, lena))
    client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    assert shown_secret(page) == secret
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert has_authenticator(lena, Authenticator.Type.TOTP)


def test_it_forgets_the_pending_key_once_the_app_is_confirmed(client, lena):
    secret = shown_secret(start_enrolment(client, lena))
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert PENDING_TOTP_SESSION_KEY not in client.session


def test_it_starts_a_new_set_up_with_a_new_key_in_a_new_session(client, lena):
    secret = shown_secret(start_enrolment(client, lena))
    client.logout()
    assert shown_secret(start_enrolment(client, lena)) != secret


def test_it_shows_the_key_in_groups_of_four(client, lena):
    page = start_enrolment(client, lena)
    secret = shown_secret(page)
    groups = shown_key_text(page).split(" ")
    assert "".join(groups) == secret
    assert all(len(group) == 4 for group in groups[:-1])
    assert 1 <= len(groups[-1]) <= 4


def test_it_tells_staff_that_set_up_comes_first(client, lena):
    page = start_enrolment(client, lena)
    assert "Your role needs two-step sign-in" in page
    assert "Nothing else in Wellkept opens until this is done" in page


def test_it_does_not_hold_back_a_participant_who_chooses_to_set_up(client, nina):
    page = start_enrolment(client, nina)
    assert "Your role needs two-step sign-in" not in page


# --- The second step of signing in ----------------------------------------


def test_it_asks_for_the_code_in_plain_words(client, amira):
    reach_second_step(client, amira)
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert "<title>Two-step sign-in" in page
    assert re.search(r'<label for="id_code">6-digit code</label>', page)
    code_input = re.search(r'<input type="text" name="code"[^>]*>', page)
    assert code_input is not None
    assert 'autocomplete="one-time-code"' in code_input.group(0)
    assert 'inputmode="numeric"' in code_input.group(0)
    assert re.search(r'<button class="button" type="submit">Continue</button>', page)
    assert 'form="logout-from-stage"' in page
    assert 'id="logout-from-stage"' in page


def test_it_offers_a_security_key_only_to_someone_who_has_one(client, amira, monkeypatch):
    reach_second_step(client, amira)
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert "mfa_webauthn_authenticate" not in page
    assert "Use a security key" not in page

    # allauth lists the account's registered keys in the request options.
    monkeypatch.setattr(
        "allauth.mfa.webauthn.internal.auth.begin_authentication",
        lambda user: {
            "publicKey": {
                "challenge": "Y2hhbGxlbmdl",
                "allowCredentials": [{"type": "public-key", "id": "a2V5"}],
            }
        },
    )
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert 'id="mfa_webauthn_authenticate"' in page
    assert 'id="webauthn_form"' in page
    assert 'id="js_data"' in page
    assert 'data-allauth-onload="allauth.webauthn.forms.authenticateForm"' in page


def test_it_explains_a_wrong_code_and_empties_the_field(client, amira):
    reach_second_step(client, amira)
    response = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="errorlist"' in page
    code_input = re.search(r'<input type="text" name="code"[^>]*>', page)
    assert code_input is not None
    assert "123456" not in code_input.group(0)
    assert 'aria-invalid="true"' in code_input.group(0)


def test_it_still_signs_in_with_a_good_code_from_the_restyled_page(client, amira):
    reach_second_step(client, amira)
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(amira.totp_secret)})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(amira.pk)


# --- Managing two-step sign-in --------------------------------------------


def fresh_mfa(client, user) -> None:
    client.force_login(user)
    record_authentication(client, user, "mfa", at=time.time(), type="totp")


def test_it_explains_each_method_with_a_clear_action(client, amira):
    RecoveryCodes.activate(amira)
    fresh_mfa(client, amira)
    page = client.get(reverse("mfa_index")).content.decode()
    for heading in ("Authenticator app", "Passkeys and security keys", "Recovery codes"):
        assert f">{heading}</h2>" in page
    assert "Two-Factor" not in page
    assert reverse("mfa_deactivate_totp") in page
    assert reverse("mfa_add_webauthn") in page
    assert reverse("mfa_view_recovery_codes") in page
    assert reverse("mfa_generate_recovery_codes") in page


def test_it_offers_set_up_to_someone_without_an_app(client, nina):
    client.force_login(nina)
    record_authentication(client, nina, "password", at=time.time())
    page = client.get(reverse("mfa_index")).content.decode()
    assert "Set up an authenticator app" in page
    assert reverse("mfa_generate_recovery_codes") not in page


def test_it_lists_recovery_codes_with_advice_and_separate_actions(client, amira):
    codes = RecoveryCodes.activate(amira).get_unused_codes()
    fresh_mfa(client, amira)
    page = client.get(reverse("mfa_view_recovery_codes")).content.decode()
    for code in codes:
        assert f"<li><code>{code}</code></li>" in page
    assert "Keep them safe" in page
    assert f'href="{reverse("mfa_download_recovery_codes")}">Download codes</a>' in page
    assert f'href="{reverse("mfa_generate_recovery_codes")}">Generate new codes</a>' in page
    assert f'href="{reverse("web:home")}">Continue</a>' in page


# --- Signing in and accepting an invitation -------------------------------


def test_it_offers_one_forgotten_password_link_on_the_sign_in_page(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert page.count(reverse("account_reset_password")) == 1
    assert "Forgot your password?" in page
    assert "Forgotten your password?" not in page


def test_it_calls_the_address_an_e_mail_address_everywhere(client, db):
    page = client.get(reverse("account_login")).content.decode()
    login_input = re.search(r'<input type="email" name="login"[^>]*>', page)
    assert login_input is not None
    assert 'placeholder="E-mail address"' in login_input.group(0)
    assert "Email address" not in page


def test_it_explains_the_passkey_button(client, db):
    page = client.get(reverse("account_login")).content.decode()
    assert "If you have added a passkey to your account" in page
    assert 'id="passkey_login"' in page


def test_it_gives_invitees_the_one_password_length_that_applies(db):
    help_text = str(AcceptInvitationForm(email="wren@stannes.example")["password1"].help_text)
    assert help_text.startswith("Use at least 8 characters; you will set up two-step sign-in next")
    assert "15" not in help_text
