"""Helpers for browser journeys."""

from __future__ import annotations

import datetime as dt

from playwright.sync_api import Page


def current_code(secret: str) -> str:
    """The code an authenticator app would show now (RFC 6238, as allauth checks it)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(dt.datetime.now(tz=dt.UTC).timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))


def submit_password(page: Page, base_url: str, email: str, password: str) -> None:
    """Fill and send the sign-in form (the next step depends on the account)."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()
