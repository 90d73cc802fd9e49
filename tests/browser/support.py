"""Helpers for browser journeys."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import axe_playwright_python
from playwright.sync_api import Page

# axe-core, as axe-playwright-python bundles it (a development dependency
# only: it is never served). The pages' Content-Security-Policy rightly
# forbids injected scripts, so the contexts that run it are opened with
# ``bypass_csp``: the test's own exception, nothing the server allows.
AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
FAILING_IMPACTS = {"serious", "critical"}


def current_code(secret: str, at: dt.datetime | None = None) -> str:
    """The code an authenticator app would show now, or ``at`` (RFC 6238, 30-second steps)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int((at or dt.datetime.now(tz=dt.UTC)).timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))


def submit_password(page: Page, base_url: str, email: str, password: str) -> None:
    """Fill and send the sign-in form (the next step depends on the account)."""
    page.goto(base_url + "/accounts/login/")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


class Audit:
    """Runs axe on each page visited and keeps every violation, by page."""

    def __init__(self) -> None:
        self.found: list[tuple[str, dict[str, Any]]] = []
        self.pages = 0

    def check(self, page: Page, name: str) -> None:
        page.add_script_tag(path=str(AXE_JS))
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        self.found.extend((name, v) for v in results["violations"])
        self.pages += 1

    def report(self) -> str:
        lines = []
        for name, v in self.found:
            targets = "; ".join(" ".join(node["target"]) for node in v["nodes"])
            lines.append(f"[{name}] {v['id']} ({v['impact']}): {v['help']} -> {targets}")
        return "\n".join(lines)

    @property
    def failing(self) -> list[str]:
        return [f"{name}: {v['id']}" for name, v in self.found if v["impact"] in FAILING_IMPACTS]
