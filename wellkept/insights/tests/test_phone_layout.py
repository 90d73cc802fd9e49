"""On a phone (390 px) every table of the dashboard fits the screen, Participation column included.

Runs Debian's Chromium through Playwright against a live server; skipped
when Chromium is missing (see tests/browser/conftest.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
VIEWS = (
    "/team/insights/?instrument=phq2&grain=week&periods=4",
    "/team/insights/?instrument=phq2&grain=month&periods=3",
)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium")
def test_every_dashboard_table_fits_a_phone(
    live_server: Any, insights_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    client = Client()
    client.force_login(insights_hospital.people["lena"])
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(viewport=PHONE)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
        )
        page = context.new_page()
        for view in VIEWS:
            page.goto(live_server.url + view)
            assert page.locator("#units-title").count() == 1
            widths = page.evaluate(
                """() => ({
                    page: document.documentElement.scrollWidth,
                    tables: [...document.querySelectorAll('.insights-table')].map(
                        t => Math.ceil(t.getBoundingClientRect().right)),
                })"""
            )
            assert widths["page"] <= PHONE["width"], (view, widths)
            # The table itself fits: no column left to find by scrolling sideways.
            assert max(widths["tables"]) <= PHONE["width"], (view, widths)
        browser.close()
