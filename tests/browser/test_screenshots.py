"""Phone-sized screenshots of the clinician's pages for the README and the docs.

Writes ``docs/screenshots/*.png`` only when asked, so an ordinary test run
never rewrites tracked files::

    WELLKEPT_SCREENSHOTS=1 .venv/bin/pytest tests/browser/test_screenshots.py -p no:cacheprovider

A clinician joins, takes the weekly pulse (with five earlier weeks behind
it, so the result shows a trend) and the monthly check-in with the safety
answer, and the pages are photographed at 390 x 844 CSS pixels, twice the
density, as a current phone shows them. In the demo hospital (38 units, a
year of history), a newcomer joins (the short notice, the unit list
narrowed by typing, the one next step) and a participant opens their
results over time.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.support import current_code, submit_password
from wellkept import clock
from wellkept.assessments import services
from wellkept.assessments.tests import fixtures
from wellkept.demo import practice as demo_practice
from wellkept.demo.hospital import PARTICIPANT_PASSWORD, demo_people, demo_seed, demo_totp_secret
from wellkept.orgs.selectors import participant_for_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        os.environ.get("WELLKEPT_SCREENSHOTS") != "1",
        reason="writes docs/screenshots/ only with WELLKEPT_SCREENSHOTS=1",
    ),
]

hospital = fixtures.hospital

OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "plover lantern biscuit 58"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Earlier weekly pulses, oldest first: (PHQ-2 answers, burnout answer).
EARLIER_WEEKS = [((2, 2), 4), ((2, 1), 3), ((1, 1), 3), ((1, 0), 2), ((0, 1), 2)]
MONTHLY = {
    "phq9": {**{f"phq9_{n}": 1 for n in range(1, 9)}, "phq9_9": 1},
    "gad7": {f"gad7_{n}": 1 for n in range(1, 8)},
    "who5": {f"who5_{n}": 3 for n in range(1, 6)},
}


@pytest.fixture
def phone(browser_context: BrowserContext) -> Iterator[Page]:
    browser = browser_context.browser
    assert browser is not None
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def shoot(page: Page, name: str) -> None:
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(OUT / name), animations="disabled", caret="hide")


def seed_earlier_weeks(
    hospital: fixtures.Hospital, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Submit a pulse in each of the previous weeks, through the same services as the pages."""
    participant = participant_for_user(user=user, organisation=hospital.organisation)
    assert participant is not None
    today = clock.now()
    for weeks_ago, ((phq_a, phq_b), burnout) in zip(
        range(len(EARLIER_WEEKS), 0, -1), EARLIER_WEEKS, strict=True
    ):
        then = today - dt.timedelta(weeks=weeks_ago)
        with monkeypatch.context() as patch:
            patch.setattr("wellkept.clock.now", lambda then=then: then)
            checkin = services.checkin_start(
                actor=user, participant=participant, schedule=hospital.pulse
            )
            for code, answers in (
                ("phq2", {"phq2_1": phq_a, "phq2_2": phq_b}),
                ("burnout1", {"burnout1_1": burnout}),
            ):
                services.checkin_save_answers(
                    actor=user, checkin=checkin, instrument_code=code, answers=answers
                )
            services.checkin_submit(
                actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
            )


def test_it_photographs_the_clinicians_pages_on_a_phone(
    phone: Page, live_server: Any, hospital: fixtures.Hospital, monkeypatch: pytest.MonkeyPatch
) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page, url = phone, live_server.url
    nadia = hospital.people["nadia"]
    nadia.set_password(PASSWORD)
    nadia.save(update_fields=["password"])
    submit_password(page, url, "nadia@st-annes.example", PASSWORD)
    expect(page).to_have_url(re.compile(rf"^{re.escape(url)}/$"))

    page.goto(url + "/me/programme/")
    page.get_by_label("Type part of its name to narrow the list").fill("intens")
    page.get_by_role("group", name="Your usual shift pattern").get_by_text("Night").tap()
    page.get_by_role("group", name="Your role").get_by_text("Nurse").tap()
    page.get_by_role("button", name="I want to take part").click()
    expect(page.get_by_text("You are taking part.")).to_be_visible()
    seed_earlier_weeks(hospital, nadia, monkeypatch)

    page.get_by_role("button", name="Start weekly pulse").click()
    expect(page.get_by_text("Questionnaire 1 of 2")).to_be_visible()
    page.locator("fieldset.question").nth(0).get_by_text("Several days").tap()
    shoot(page, "checkin-step.png")
    page.locator("fieldset.question").nth(1).get_by_text("Not at all").tap()
    page.get_by_role("button", name="Next").tap()
    page.get_by_text("Occasionally I am under stress", exact=False).tap()
    page.get_by_role("button", name="Submit and see my result").tap()
    expect(page.get_by_role("heading", name="Your result", exact=True)).to_be_visible()
    shoot(page, "checkin-result.png")

    page.goto(url + "/me/programme/")
    page.get_by_role("button", name="Start monthly check-in").tap()
    for code, answers in MONTHLY.items():
        for item, value in answers.items():
            page.locator(f"input[name='{item}'][value='{value}']").check()
        last = code == "who5"
        page.get_by_role("button", name="Submit and see my result" if last else "Next").tap()
    expect(page.get_by_role("heading", name="You do not have to handle this alone")).to_be_visible()
    shoot(page, "checkin-safety.png")

    page.goto(url + "/me/data/")
    expect(page.get_by_role("heading", name="My data")).to_be_visible()
    shoot(page, "my-data.png")


def sign_in_phone(page: Page, url: str, email: str, password: str, totp: str | None) -> None:
    submit_password(page, url, email, password)
    if totp is not None:
        page.get_by_label("6-digit code").fill(current_code(totp))
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(url)}/$"))


def test_it_photographs_joining_and_the_history_in_the_demo_hospital(
    phone: Page, browser_context: BrowserContext, live_server: Any
) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page, url = phone, live_server.url
    demo_seed(participants=60, practice=demo_practice.SMALL)
    newcomer, participant = demo_people(3)[2], demo_people(1)[0]

    sign_in_phone(page, url, newcomer.email, PARTICIPANT_PASSWORD, None)
    page.goto(url + "/me/programme/")
    expect(page.get_by_role("heading", name="Before you decide, in short")).to_be_visible()
    shoot(page, "join.png")
    page.get_by_label("Type part of its name to narrow the list").fill("icu")
    expect(page.get_by_text("Chosen: General ICU.")).to_be_visible()
    page.get_by_role("group", name="Your usual shift pattern").get_by_text("Night").tap()
    page.get_by_role("group", name="Your role").get_by_text("Nurse").tap()
    page.locator(".join-form").scroll_into_view_if_needed()
    page.evaluate("() => document.querySelector('.unit-picker').scrollIntoView()")
    page.screenshot(path=str(OUT / "join-choices.png"), animations="disabled", caret="hide")
    page.get_by_role("button", name="I want to take part").tap()
    expect(page.get_by_text("You are taking part.")).to_be_visible()
    shoot(page, "join-next-step.png")

    context = page.context
    context.clear_cookies()
    sign_in_phone(
        page, url, participant.email, PARTICIPANT_PASSWORD, demo_totp_secret(participant.email)
    )
    page.goto(url + "/me/programme/history/")
    expect(page.get_by_role("heading", name="Your results over time")).to_be_visible()
    page.evaluate("() => document.getElementById('history-phq2').scrollIntoView()")
    page.screenshot(path=str(OUT / "history.png"), animations="disabled", caret="hide")
