"""Passkeys in a real browser, with Chromium's virtual authenticator.

A staff member who signed in with an authenticator app adds a passkey, signs
out, and passes the second step with the passkey instead of a code. This
proves allauth's WebAuthn pages work under our strict Content-Security-Policy.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import Page, expect

from tests.browser.support import current_code, submit_password
from wellkept.accounts.models import User
from wellkept.orgs.models import Organisation, Role, StaffMembership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "sam.specialist@stannes.example"
PASSWORD = "copper kettle morning tide"


def sign_in_with_password(page: Page, base_url: str) -> None:
    submit_password(page, base_url, EMAIL, PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))


def test_a_passkey_can_be_added_and_used_as_the_second_factor(
    browser_context: Any, live_server: Any
) -> None:
    user = User.objects.create_user(EMAIL, PASSWORD)
    organisation = Organisation.objects.create(name="St Anne's Hospital", slug="st-annes")
    StaffMembership.objects.create(user=user, organisation=organisation, role=Role.SPECIALIST)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)

    page = browser_context.new_page()
    cdp = browser_context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )

    sign_in_with_password(page, live_server.url)
    page.locator("#id_code").fill(current_code(secret))
    page.locator("#id_code").press("Enter")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/$"))

    page.goto(live_server.url + "/accounts/2fa/webauthn/add/")
    page.get_by_label("Name").fill("Work laptop")
    page.locator("#mfa_webauthn_add").click()
    expect(page).not_to_have_url(re.compile(r"/webauthn/add/"))
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.WEBAUTHN).count() == 1

    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    sign_in_with_password(page, live_server.url)
    page.locator("#mfa_webauthn_authenticate").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/$"))
