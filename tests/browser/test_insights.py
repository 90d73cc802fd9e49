"""On the demo hospital: leaders and the wellbeing officer see aggregates, never a person.

The demo is seeded exactly as ``wellkept seed_demo`` seeds it (a year of
check-ins, the follow-up cases its safety alerts opened), and each persona
signs in through the real login and second-factor pages. With
WELLKEPT_SCREENSHOTS=1 it saves, for the
docs and the README::

    docs/screenshots/insights-leader.png               laptop, 1280 px
    docs/screenshots/insights-leader-tablet.png        tablet, 768 px portrait
    docs/screenshots/insights-wellbeing-officer.png    laptop
    docs/screenshots/insights-hidden-cells.png         a breakdown with hidden groups
    docs/screenshots/insights-settings.png             the privacy officer's settings

Run with ``WELLKEPT_REQUIRE_BROWSER=1 .venv/bin/pytest -q tests/browser/test_insights.py``.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize, expect

from tests.browser.support import current_code, submit_password
from wellkept.audit.models import AuditEntry
from wellkept.demo import practice as demo_practice
from wellkept.demo.hospital import demo_seed
from wellkept.demo.people import STAFF_PASSWORD, demo_email, demo_totp_secret
from wellkept.followup.models import Case
from wellkept.orgs.models import Organisation

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The published screenshots are rewritten only on request, as in
# test_screenshots.py; otherwise they go to a scratch folder, still taken.
OUT = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("WELLKEPT_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="wellkept-insights-shots-"))
)
LAPTOP: ViewportSize = {"width": 1280, "height": 900}
TABLET: ViewportSize = {"width": 768, "height": 1024}
# What a leader or wellbeing officer would click through: the default view,
# the weekly pulse, a drill-down into one department, and the two filters.
DASHBOARD_VIEWS = (
    "/team/insights/",
    "/team/insights/?instrument=phq2&grain=week&periods=8",
    "/team/insights/?instrument=phq9&grain=month&periods=6",
    "/team/insights/?instrument=phq2&grain=month&periods=6&role=nurse",
)


@pytest.fixture
def demo() -> Organisation:
    # The practice at its small size: these pages are the insights ones.
    summary = demo_seed(practice=demo_practice.SMALL)
    return summary.organisation


def new_page(context: BrowserContext, viewport: ViewportSize = LAPTOP) -> Page:
    browser: Browser | None = context.browser
    assert browser is not None
    fresh = browser.new_context(viewport=viewport)
    fresh.set_default_timeout(20_000)
    return fresh.new_page()


def sign_in(page: Page, base_url: str, local_part: str) -> None:
    """Sign in with a demo staff login and its published authenticator secret."""
    email = demo_email(local_part)
    submit_password(page, base_url, email, STAFF_PASSWORD)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("#id_code").fill(current_code(demo_totp_secret(email)))
    page.locator("#id_code").press("Enter")
    expect(page).to_have_url(re.compile(rf"^{re.escape(base_url)}/$"))


def shoot(page: Page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / name), full_page=True, animations="disabled", caret="hide")


def aggregate_views_of(local_part: str) -> int:
    from wellkept.accounts.models import User

    user = User.objects.get_by_email(demo_email(local_part))
    assert user is not None
    return AuditEntry.objects.filter(
        event="aggregate.view", outcome="allowed", actor_id=str(user.pk)
    ).count()


def open_dashboards(page: Page, base_url: str) -> int:
    """Open every dashboard view and check each one renders; return how many were opened."""
    page.get_by_role("link", name="Insights").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Insights")
    opened = 1
    for path in DASHBOARD_VIEWS:
        # A first view decides each new figure against everything released
        # before it (the auditor's integer programs): on the demo the
        # heaviest, a week view after the month views, takes about 15 s of
        # CPU, more on a loaded CI worker. How long is bench_insights'
        # question; this journey asks only that every view renders.
        response = page.goto(base_url + path, timeout=120_000)
        assert response is not None
        assert response.status == 200, path
        expect(page.get_by_role("heading", name=re.compile(r"^Trend: mean"))).to_be_visible()
        expect(
            page.get_by_role("columnheader", name=re.compile("Whole organisation"))
        ).to_be_visible()
        opened += 1
    # A drill-down into the first department listed, through its link.
    page.goto(base_url + DASHBOARD_VIEWS[1])
    # A department's breakdown is a first view too (see above).
    page.locator("table[aria-labelledby='units-title'] tbody th a").first.click(timeout=120_000)
    expect(page.get_by_role("link", name=re.compile("Up one level"))).to_be_visible()
    return opened + 2


# The demo takes a minute or more to seed on a busy machine: one journey
# covers the three roles on one seed, each in its own browser context.
def test_on_the_demo_roles_see_only_what_they_may_and_every_view_is_audited(
    browser_context: BrowserContext, live_server: Any, demo: Organisation
) -> None:
    a_leader_sees_the_dashboards_and_no_token_level_page(browser_context, live_server.url, demo)
    a_wellbeing_officer_sees_the_dashboards_and_the_queue(browser_context, live_server.url)
    the_privacy_officer_sets_disclosure_control(browser_context, live_server.url, demo)


def a_leader_sees_the_dashboards_and_no_token_level_page(
    context: BrowserContext, base: str, demo: Organisation
) -> None:
    case = Case.objects.filter(organisation=demo).first()
    assert case is not None, "the demo opens follow-up cases: a case page must exist"
    token_pages = (
        "/team/follow-up/",
        f"/team/follow-up/case/{case.pk}/",
        f"/team/follow-up/case/{case.pk}/identity/",
        "/privacy/re-identification/",
        "/privacy/disclosure/",
    )
    page = new_page(context)
    sign_in(page, base, "leader")
    opened = open_dashboards(page, base)
    page.goto(base + DASHBOARD_VIEWS[1])
    opened += 1
    shoot(page, "insights-leader.png")

    # The same page on a tablet held upright: the filters wrap, tables scroll
    # inside their card, the chart shrinks with the page.
    page.set_viewport_size(TABLET)
    page.goto(base + DASHBOARD_VIEWS[1])
    opened += 1
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= TABLET["width"], f"the page scrolls sideways on a tablet ({width}px)"
    shoot(page, "insights-leader-tablet.png")

    # Night shifts only, week by week: the smaller units are hidden, and each
    # hidden group says why without saying how many it holds.
    page.set_viewport_size(LAPTOP)
    # A first view (see open_dashboards): decided on the spot, slow on a loaded machine.
    page.goto(
        base + "/team/insights/?instrument=phq2&grain=week&periods=4&shift=night",
        timeout=120_000,
    )
    opened += 1
    hidden = page.locator("td.hidden-cell").first
    expect(hidden).to_be_visible()
    expect(hidden).to_contain_text(
        re.compile(r"Hidden: fewer than \d+ people|worked out by subtraction")
    )
    expect(hidden).not_to_contain_text(re.compile(r"\b[0-4] (people|person)\b"))
    card = page.locator("section.card", has=page.locator("td.hidden-cell")).first
    card.scroll_into_view_if_needed()
    card.screenshot(path=str(OUT / "insights-hidden-cells.png"), animations="disabled")

    for path in token_pages:
        response = page.goto(base + path)
        assert response is not None
        assert response.status == 404, f"a leader reached {path}"

    assert aggregate_views_of("leader") == opened
    page.context.close()


def a_wellbeing_officer_sees_the_dashboards_and_the_queue(
    context: BrowserContext, base: str
) -> None:
    page = new_page(context)
    sign_in(page, base, "wellbeing.officer")
    opened = open_dashboards(page, base)
    page.goto(base + DASHBOARD_VIEWS[1])
    opened += 1
    shoot(page, "insights-wellbeing-officer.png")
    # The officer's own token-level queue is there for them: the leader's
    # 404 is a refusal, not a missing page.
    response = page.goto(base + "/team/follow-up/")
    assert response is not None
    assert response.status == 200
    # Disclosure settings are the privacy officer's alone.
    response = page.goto(base + "/privacy/disclosure/")
    assert response is not None
    assert response.status == 404

    assert aggregate_views_of("wellbeing.officer") == opened
    page.context.close()


def the_privacy_officer_sets_disclosure_control(
    context: BrowserContext, base: str, demo: Organisation
) -> None:
    page = new_page(context)
    sign_in(page, base, "privacy.officer")
    page.goto(base + "/privacy/disclosure/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Disclosure control")

    page.get_by_label("Minimum group size (k)").fill("2")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("The minimum group size cannot be below 3")).to_be_visible()

    page.get_by_label("Minimum group size (k)").fill("6")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Saved. Minimum group size 6")).to_be_visible()
    expect(page.get_by_label("Minimum group size (k)")).to_have_value("6")
    shoot(page, "insights-settings.png")
    assert AuditEntry.objects.filter(
        event="config.changed", target=f"organisation:{demo.pk}/insights-settings"
    ).exists()

    # The privacy role audits; it does not read the trends.
    response = page.goto(base + "/team/insights/")
    assert response is not None
    assert response.status == 404
    page.context.close()
