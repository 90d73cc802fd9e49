"""The idle warning in a real browser: it appears, "Stay signed in" works, and
when nobody answers the page lands on the sign-in page with the reason."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import submit_password
from wellkept.accounts.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "robin.nightshift@stannes.example"
PASSWORD = "harbour quiet meadow lantern"


def sign_in(page: Page, base_url: str) -> None:
    submit_password(page, base_url, EMAIL, PASSWORD)
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/$"))


def test_it_warns_lets_the_person_stay_then_signs_out_when_nobody_answers(
    page: Page, live_server: Any, settings: Any
) -> None:
    # A participant (no staff role, so no MFA step) with a very short session.
    User.objects.create_user(EMAIL, PASSWORD)
    settings.WELLKEPT_SESSION_IDLE_SECONDS = 8
    settings.WELLKEPT_SESSION_WARNING_SECONDS = 6
    sign_in(page, live_server.url)

    dialog = page.get_by_role("alertdialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=6_000)
    expect(dialog).to_contain_text("second")
    dialog.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()

    # The keepalive really extended the session on the server: still signed in.
    expect(page.get_by_role("button", name="Sign out").first).to_be_visible()

    # Nobody answers the second warning: the page goes to the sign-in page.
    expect(dialog).to_be_visible(timeout=8_000)
    expect(page).to_have_url(re.compile(r"/accounts/login/"), timeout=15_000)
    expect(page.get_by_text("without activity")).to_be_visible()
