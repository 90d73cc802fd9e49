"""Shared set-up for browser journeys: Debian's Chromium driven by Playwright.

Skipped when /usr/bin/chromium is missing, unless WELLKEPT_REQUIRE_BROWSER=1
(as in CI), where a missing browser is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = os.environ.get("WELLKEPT_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    if REQUIRED:
        raise RuntimeError(
            "WELLKEPT_REQUIRE_BROWSER=1 but /usr/bin/chromium is missing: "
            "apt-get install -y chromium"
        )
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture
def browser_context(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; Django refuses
    # ORM calls from a thread with a running loop unless told it is safe.
    # Set for this test only: in the environment of the whole run it would
    # leak into subprocesses (and `check --deploy` rightly warns about it).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context()
        context.set_default_timeout(15_000)
        yield context
        context.close()
        browser.close()
        # While Playwright's loop runs, Django keeps this thread's database
        # connections in a separate context; close them here, or they
        # outlive the test and PostgreSQL refuses to drop the test database.
        connections.close_all()


@pytest.fixture
def page(browser_context):  # type: ignore[no-untyped-def]
    return browser_context.new_page()
