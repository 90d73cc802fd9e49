"""axe-core on every page of the clinician's side, on a phone and on a desktop screen.

A clinician who has not joined yet signs in and goes through the pages as a
person would: the invitation, the notice and choices (also with the errors
of an empty form), a check-in step (also with a missing answer), a result,
a result with the safety message, My data, the consent page, the withdrawal
and the erasure confirmations (also with an error). axe-core, the copy that
``axe-playwright-python`` bundles, runs on each; any violation of impact
"serious" or "critical" fails the test, and every violation is printed.

The pages' Content-Security-Policy forbids inline and injected scripts, as
it should: these contexts alone are opened with ``bypass_csp`` so that the
axe script can be added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.support import submit_password
from wellkept.assessments.tests import fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

hospital = fixtures.hospital

AXE_JS = Path(axe_playwright_python.__file__).with_name("axe.min.js")
FAILING_IMPACTS = {"serious", "critical"}
PASSWORD = "kestrel orchard violin 31"
SCREENS: dict[str, dict[str, Any]] = {
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
# PHQ-9 with the safety item (9) above 0; GAD-7 and WHO-5 unremarkable.
MONTHLY = {
    "phq9": {f"phq9_{n}": 1 for n in range(1, 10)},
    "gad7": {f"gad7_{n}": 1 for n in range(1, 8)},
    "who5": {f"who5_{n}": 3 for n in range(1, 6)},
}


@pytest.fixture(params=sorted(SCREENS))
def screen(request: pytest.FixtureRequest, browser_context: BrowserContext) -> Iterator[Page]:
    """A page on the screen under test, in the browser that conftest.py launched."""
    browser = browser_context.browser
    assert browser is not None
    context = browser.new_context(**SCREENS[request.param], bypass_csp=True)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


class Audit:
    """Runs axe on each page visited and keeps every violation, by page."""

    def __init__(self) -> None:
        self.found: list[tuple[str, dict[str, Any]]] = []

    def check(self, page: Page, name: str) -> None:
        page.add_script_tag(path=str(AXE_JS))
        results = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
        self.found.extend((name, v) for v in results["violations"])

    def report(self) -> str:
        lines = []
        for name, v in self.found:
            targets = "; ".join(" ".join(node["target"]) for node in v["nodes"])
            lines.append(f"[{name}] {v['id']} ({v['impact']}): {v['help']} -> {targets}")
        return "\n".join(lines)

    @property
    def failing(self) -> list[str]:
        return [f"{name}: {v['id']}" for name, v in self.found if v["impact"] in FAILING_IMPACTS]


def answer(page: Page, answers: dict[str, int]) -> None:
    for item, value in answers.items():
        page.locator(f"input[name='{item}'][value='{value}']").check()


def test_the_clinicians_pages_have_no_serious_accessibility_violations(
    screen: Page, live_server: Any, hospital: fixtures.Hospital
) -> None:
    page, url, audit = screen, live_server.url, Audit()
    nadia = hospital.people["nadia"]
    nadia.set_password(PASSWORD)
    nadia.save(update_fields=["password"])
    submit_password(page, url, "nadia@st-annes.example", PASSWORD)
    expect(page).to_have_url(re.compile(rf"^{re.escape(url)}/$"))

    page.goto(url + "/programme/")
    audit.check(page, "programme invitation")
    page.goto(url + "/programme/join/")
    audit.check(page, "join: notice and choices")
    page.get_by_role("button", name="I want to take part").click()
    expect(page.get_by_text("Choose the unit you work in.")).to_be_visible()
    audit.check(page, "join with errors")
    page.get_by_label("Your unit").select_option(str(hospital.ward.pk))
    page.get_by_label("Your usual shift pattern").select_option(str(hospital.day.pk))
    page.get_by_label("Your role").select_option("nurse")
    page.get_by_role("button", name="I want to take part").click()
    audit.check(page, "programme with check-ins")

    page.get_by_role("button", name="Start weekly pulse").click()
    expect(page.get_by_text("Questionnaire 1 of 2")).to_be_visible()
    audit.check(page, "check-in step")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Choose an answer for question 1.")).to_be_visible()
    audit.check(page, "check-in step with errors")
    answer(page, fixtures.PHQ2_LOW)
    page.get_by_role("button", name="Next").click()
    answer(page, fixtures.BURNOUT_OK)
    page.get_by_role("button", name="Submit and see my result").click()
    expect(page.get_by_role("heading", name="Your result")).to_be_visible()
    audit.check(page, "result")

    page.goto(url + "/programme/")
    page.get_by_role("button", name="Start monthly check-in").click()
    for code, answers in MONTHLY.items():
        answer(page, answers)
        last = code == "who5"
        page.get_by_role("button", name="Submit and see my result" if last else "Next").click()
    expect(page.get_by_role("heading", name="You do not have to handle this alone")).to_be_visible()
    audit.check(page, "result with the safety message")

    page.goto(url + "/my-data/")
    audit.check(page, "my data")
    page.goto(url + "/programme/consent/")
    audit.check(page, "consent choices")
    page.goto(url + "/programme/consent/withdraw/")
    audit.check(page, "withdraw confirmation")
    page.goto(url + "/my-data/erase/")
    expect(page.get_by_role("heading", name="Erase everything about you?")).to_be_visible()
    audit.check(page, "erase confirmation")
    page.get_by_role("button", name="Erase everything").click()
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()
    audit.check(page, "erase confirmation with error")

    print(f"\naxe on {len({n for n, _ in audit.found})} page(s) with findings:")  # noqa: T201
    print(audit.report() or "no violations")  # noqa: T201
    assert audit.failing == [], audit.report()


def test_the_audit_fails_on_a_serious_violation(page: Page) -> None:
    """Prove the harness sees what it should: an unlabelled image and field are caught."""
    page.set_content(
        '<!doctype html><html lang="en"><title>t</title><main><img src="x.png">'
        '<input type="text"></main></html>'
    )
    audit = Audit()
    audit.check(page, "broken page")
    assert "broken page: image-alt" in audit.failing
    assert "broken page: label" in audit.failing
