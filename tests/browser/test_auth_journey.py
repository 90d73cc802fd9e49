"""The sign-in journey in a real browser (Debian's Chromium driven by Playwright).

Invitation -> set password -> enrol an authenticator app -> sign out ->
sign in with e-mail, password and a code -> idle timeout -> the next page is
the sign-in page. Skipped when /usr/bin/chromium is missing, unless
WELLKEPT_REQUIRE_BROWSER=1 (as in CI), where a missing browser fails.
The browser set-up lives in conftest.py.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import current_code
from wellkept import clock
from wellkept.accounts.services import invitation_create
from wellkept.actors import SystemActor
from wellkept.orgs.models import Organisation, Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

EMAIL = "wren.wellbeing@stannes.example"
PASSWORD = "saffron tidal lantern 42"


def test_it_takes_an_invitee_from_the_link_to_an_idle_sign_out(
    page: Page, live_server: Any, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.WELLKEPT_BASE_URL = live_server.url
    organisation = Organisation.objects.create(name="St Anne's Hospital", slug="st-annes")
    issued = invitation_create(
        actor=SystemActor("browser-test"),
        organisation=organisation,
        email=EMAIL,
        role=Role.WELLBEING_OFFICER,
    )

    # The link opens the invitation; the invitee chooses a password.
    page.goto(issued.url)
    expect(page.get_by_role("heading", name="Welcome to Wellkept")).to_be_visible()
    page.get_by_label("Choose a password").fill(PASSWORD)
    page.get_by_label("Type the same password again").fill(PASSWORD)
    page.get_by_role("button", name="Set password and continue").click()

    # Staff must enrol a second factor: scan (here: read) the key, type a code.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.locator("img.totp-qr")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.locator("#id_code").fill(current_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))

    # Sign out from the header.
    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    # Sign in again: e-mail and password, then a code from the app. The code
    # that turned the app on is spent, so it is the next one: the clock seam
    # moves on a step instead of the test waiting for it.
    next_step = clock.now() + dt.timedelta(seconds=30)
    monkeypatch.setattr("wellkept.clock.now", lambda: next_step)
    page.get_by_label("E-mail address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#id_code").fill(current_code(secret, at=next_step))
    page.locator("#id_code").press("Enter")
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/$"))

    # Nobody touches the keyboard for longer than the idle limit: move the
    # clock seam on instead of sleeping. The next page is the sign-in page.
    later = clock.now() + dt.timedelta(seconds=settings.WELLKEPT_SESSION_IDLE_SECONDS + 5)
    monkeypatch.setattr("wellkept.clock.now", lambda: later)
    page.goto(live_server.url + "/accounts/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.get_by_text("without activity")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_be_visible()
