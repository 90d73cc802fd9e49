"""The confidential practice from the front desk to the supervisor, on a phone and a desktop.

The issue's acceptance test (issue 18). At Harbour Practice, Fran at the
front desk signs in with her password and a code, takes a new client in
through the intake form and books the first appointment with Tess. Tess, a
trainee supervised by Sue, opens the client, writes and signs an intake
note, writes a psychotherapy note (which asks for a fresh second factor),
writes and signs a treatment plan, and records a PHQ-9 in session: with
three earlier results planted through the services, the measures page
shows the trend and marks the reliable improvement. Sue co-signs the note.
Fran looks at the client again: nothing clinical reaches her pages, and
nothing of the psychotherapy note reaches Sue's.

Each run on a phone (390 x 844, touch) and a desktop (1280 x 800): no page
scrolls sideways, and every button the journey presses lies within the
screen's width. With ``WELLKEPT_SCREENSHOTS=1`` the pages are also
photographed into ``docs/screenshots/practice-*-{phone,desktop}.png``::

    WELLKEPT_SCREENSHOTS=1 .venv/bin/pytest -p no:cacheprovider \
        tests/browser/test_practice_journey.py
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client as DjangoClient
from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.browser.support import current_code, submit_password
from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Organisation, Role
from wellkept.practice import services
from wellkept.practice.models import Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SETUP = SystemActor("practice-journey")
OUT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SHOOT = os.environ.get("WELLKEPT_SCREENSHOTS") == "1"
FRAN_PASSWORD = "harbour kettle juniper 31"
VIEWPORTS: dict[str, dict[str, Any]] = {
    "phone": {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}

# What the front desk types in: invented, clearly fake.
LEGAL_NAME = "Wren Fictional-Harbourside"
PREFERRED = "Wren"
# What the clinicians write: each must stay on the clinical side.
PRESENTING = "Low mood since the spring, waking at four most mornings."
PNOTE = "Countertransference: I felt protective; bring to my own supervision."
PROBLEM = "Low mood and early waking"
CLINICAL_MARKERS = (PRESENTING, PNOTE, PROBLEM, "PHQ-9", "Progress notes", "Treatment plan")
PLANTED = ((56, 19), (28, 15), (14, 12))  # (days ago, PHQ-9 total): earlier sessions
# As the contexts' own timeout: with a busy CI machine a page may take more
# than the assertions' default five seconds to come.
WAIT = 15_000


@dataclass
class Harbour:
    organisation: Organisation
    fran: User
    tess: User
    sue: User
    secrets: dict[str, str]


def staff_member(
    organisation: Organisation, name: str, role: Role, secrets: dict[str, str]
) -> User:
    user = User.objects.create_user(f"{name}@harbour.example", None)
    user.display_name = name.capitalize()
    user.save(update_fields=["display_name"])
    secrets[name] = generate_totp_secret()
    TOTP.activate(user, secrets[name])
    orgs.staff_membership_grant(actor=SETUP, user=user, organisation=organisation, role=role)
    return user


@pytest.fixture
def harbour(settings: Any) -> Harbour:
    # A code typed in the last instant of its 30-second step may reach the
    # server in the next one: accept one step back, so the journey never
    # depends on where in the step it runs. Production keeps no tolerance.
    settings.MFA_TOTP_TOLERANCE = 1
    organisation = orgs.organisation_create(actor=SETUP, name="Harbour Practice", slug="harbour")
    secrets: dict[str, str] = {}
    fran = staff_member(organisation, "fran", Role.FRONT_DESK, secrets)
    fran.set_password(FRAN_PASSWORD)
    fran.save(update_fields=["password"])
    tess = staff_member(organisation, "tess", Role.SPECIALIST, secrets)
    sue = staff_member(organisation, "sue", Role.CLINICAL_SUPERVISOR, secrets)
    services.supervision_start(
        actor=SETUP, organisation=organisation, supervisor=sue, supervisee=tess
    )
    return Harbour(organisation, fran, tess, sue, secrets)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for both viewports: each journey opens its own contexts in it."""
    with pytest.MonkeyPatch.context() as patch:
        # As in conftest.py: Playwright's loop runs in this thread, and the
        # ORM (the test's set-up and flush) is safe to call beside it.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield launched
            launched.close()
        connections.close_all()


class Journey:
    """One viewport's pages: opened signed in, checked for width, photographed on request."""

    def __init__(self, browser: Browser, url: str, viewport: str) -> None:
        self.browser, self.url, self.viewport = browser, url, viewport
        self.options = VIEWPORTS[viewport]
        self.width: int = self.options["viewport"]["width"]
        self.phone = viewport == "phone"
        self.pages: list[Page] = []

    def open(self, user: User | None = None) -> Page:
        """A page in a fresh context; with ``user``, signed in without a second-factor step."""
        context = self.browser.new_context(**self.options)
        context.set_default_timeout(WAIT)
        if user is not None:
            client = DjangoClient()
            client.force_login(user)
            name = django_settings.SESSION_COOKIE_NAME
            context.add_cookies(
                [{"name": name, "value": client.cookies[name].value, "url": self.url}]
            )
        page = context.new_page()
        self.pages.append(page)
        if user is not None:
            page.goto(self.url + "/")
        return page

    def close(self) -> None:
        for page in self.pages:
            page.context.close()

    def fits(self, page: Page, shot: str = "", at: str = "") -> None:
        """Check nothing scrolls sideways; photograph the page (top, or ``at``) on request."""
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{page.url} is {widths[0]}px wide in {widths[1]}px"
        if shot and SHOOT:
            OUT.mkdir(parents=True, exist_ok=True)
            if at:
                page.locator(at).first.evaluate("(e) => e.scrollIntoView()")
            else:
                page.evaluate("() => window.scrollTo(0, 0)")
            page.screenshot(
                path=str(OUT / f"practice-{shot}-{self.viewport}.png"),
                animations="disabled",
                caret="hide",
            )

    def press(self, target: Locator) -> None:
        """Press a button or link the way this device does, once it is within the screen."""
        target.scroll_into_view_if_needed()
        box = target.bounding_box()
        assert box is not None, "the control is not shown"
        assert box["x"] >= 0, "off the screen's left side"
        assert box["x"] + box["width"] <= self.width, "off the screen's right side"
        if self.phone:
            target.tap()
        else:
            target.click()

    def menu(self, page: Page, link: str) -> None:
        """Follow a link of the header (behind "Menu" on a phone)."""
        if self.phone:
            self.press(page.get_by_text("Menu", exact=True))
        self.press(page.get_by_role("navigation", name="Main").get_by_role("link", name=link))

    def second_factor(self, page: Page, secret: str) -> None:
        """Prove the second factor again on the page the journey was sent to."""
        expect(page).to_have_url(re.compile(r"/reauthenticate/"), timeout=WAIT)
        self.fits(page)
        page.locator("#id_code").fill(current_code(secret))
        self.press(page.get_by_role("button", name="Confirm"))


@pytest.fixture(params=["phone", "desktop"])
def journey(
    request: pytest.FixtureRequest, browser: Browser, live_server: Any
) -> Iterator[Journey]:
    opened = Journey(browser, live_server.url, request.param)
    yield opened
    opened.close()


def plant_earlier_results(harbour: Harbour, client: Client) -> None:
    """PHQ-9 results of earlier sessions, recorded through the same service as the page."""
    today = clock.now().date()
    for days_ago, total in PLANTED:
        answers = {f"phq9_{n}": min(3, max(0, total - 3 * (n - 1))) for n in range(1, 9)}
        services.measure_record(
            actor=harbour.tess,
            client=client,
            instrument="phq9",
            answers={**answers, "phq9_9": 0},
            administered_on=today - dt.timedelta(days=days_ago),
        )


def front_desk_takes_in_and_books(journey: Journey, harbour: Harbour) -> tuple[Page, str]:
    """Fran signs in, takes the client in, gives them Tess and books the first session."""
    desk = journey.open()
    submit_password(desk, journey.url, "fran@harbour.example", FRAN_PASSWORD)
    desk.get_by_label("6-digit code").fill(current_code(harbour.secrets["fran"]))
    journey.press(desk.get_by_role("button", name="Continue"))
    expect(desk).to_have_url(re.compile(rf"^{re.escape(journey.url)}/$"), timeout=WAIT)
    journey.menu(desk, "Clients")
    journey.press(desk.get_by_role("link", name="Take in a new client"))

    expect(desk.get_by_role("heading", name="Take in a new client")).to_be_visible(timeout=WAIT)
    desk.get_by_label("Legal name").fill(LEGAL_NAME)
    desk.get_by_label("Preferred name").fill(PREFERRED)
    desk.get_by_label("Pronouns").fill("they/them")
    desk.get_by_label("Date of birth").fill("1991-04-17")
    desk.locator("#id_email").fill("wren.fictional@example.invalid")
    desk.locator("#id_phone").fill("+44 20 7946 0321")
    desk.get_by_role("checkbox", name="E-mail").check()
    desk.get_by_label("Emergency contact's name").fill("Robin Fictional")
    desk.get_by_label("Emergency contact's relation to the client").fill("sibling")
    desk.get_by_label("Emergency contact's phone").fill("+44 20 7946 0322")
    desk.get_by_label("Referred by").fill("Dr Imaginary-Practitioner")
    journey.fits(desk, "intake")
    journey.press(desk.get_by_role("button", name="Take in"))
    taken_in = desk.get_by_text(re.compile(r"Client \S+ taken in\."))
    expect(taken_in).to_be_visible(timeout=WAIT)
    code = re.search(r"Client (\S+) taken in", taken_in.inner_text())
    assert code is not None

    desk.get_by_role("combobox", name="Therapist").select_option(label="Tess")
    journey.press(desk.get_by_role("button", name="Assign"))
    expect(desk.get_by_text(f"Tess now works with {code[1]}.")).to_be_visible(timeout=WAIT)
    journey.press(desk.get_by_role("link", name="Book an appointment"))

    expect(desk.get_by_role("heading", name="Book an appointment")).to_be_visible(timeout=WAIT)
    tomorrow = clock.now().date() + dt.timedelta(days=1)
    desk.get_by_role("combobox", name="Therapist").select_option(label="Tess")
    desk.get_by_label("Date:", exact=True).fill(tomorrow.isoformat())
    desk.get_by_label("Start time").fill("10:00")
    desk.get_by_label("Where").select_option(label="Video")
    journey.fits(desk, "book")
    journey.press(desk.get_by_role("button", name="Book", exact=True))
    expect(desk.get_by_text(f"Appointment booked for {code[1]}.")).to_be_visible(timeout=WAIT)
    expect(desk.locator("dd").get_by_text("Tess", exact=True)).to_be_visible(timeout=WAIT)
    journey.fits(desk)
    return desk, code[1]


def therapist_writes_signs_and_measures(journey: Journey, harbour: Harbour, client: Client) -> str:
    """Tess writes and signs the intake note, a psychotherapy note and a plan; records a PHQ-9."""
    page = journey.open(harbour.tess)
    journey.menu(page, "Clients")
    journey.press(page.get_by_role("link", name=client.code))
    journey.press(page.get_by_role("link", name="Progress notes"))
    journey.press(page.get_by_role("link", name="Intake assessment"))

    expect(page.get_by_role("heading", name="Intake assessment")).to_be_visible(timeout=WAIT)
    page.get_by_label("Session date").fill(clock.now().date().isoformat())
    page.get_by_label("Presenting problem").fill(PRESENTING)
    page.get_by_label("History").fill("No earlier treatment; a GP prescribed sleep hygiene.")
    page.get_by_label("Mental status").fill("Tired, engaged, mood low, no thought disorder.")
    page.get_by_label("Risk assessment").fill("No thoughts of self-harm; partner at home.")
    page.get_by_label("Initial plan").fill("Weekly CBT for twelve sessions; PHQ-9 fortnightly.")
    page.get_by_label("Diagnoses (ICD-10-CM)").fill("F32.1")
    journey.fits(page, "intake-note")
    journey.press(page.get_by_role("button", name="Save draft"))
    expect(page.get_by_text("Draft saved. Sign it when it is complete.")).to_be_visible(
        timeout=WAIT
    )
    note_url = page.url

    # The psychotherapy note asks for a fresh second factor before anything of it is read.
    journey.press(page.get_by_role("link", name="All notes of this client"))
    journey.press(page.get_by_role("link", name="My psychotherapy notes"))
    journey.second_factor(page, harbour.secrets["tess"])
    expect(page.get_by_role("heading", name="My psychotherapy notes")).to_be_visible(timeout=WAIT)
    page.get_by_label("Psychotherapy note").fill(PNOTE)
    journey.press(page.get_by_role("button", name="Save"))
    expect(page.get_by_text("Psychotherapy note saved.")).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(PNOTE)).to_be_visible(timeout=WAIT)
    journey.fits(page, "pnotes")

    # Signing the intake note: the second factor is fresh, so it signs at once.
    page.goto(note_url)
    journey.press(page.get_by_role("button", name="Sign", exact=True))
    expect(
        page.get_by_text("Signed; it now waits for your supervisor's co-signature.")
    ).to_be_visible(timeout=WAIT)
    journey.fits(page)

    # The treatment plan, written as an outline, then signed.
    journey.press(page.get_by_role("link", name="All notes of this client"))
    journey.press(page.get_by_role("link", name="Back to the client"))
    journey.press(page.get_by_role("link", name="Treatment plan"))
    journey.press(page.get_by_role("link", name="Write a plan"))
    by = (clock.now().date() + dt.timedelta(days=84)).isoformat()
    page.get_by_label("Plan:", exact=True).fill(
        f"Problem: {PROBLEM}\n"
        "Goal: Sleep through to six on most nights\n"
        "Objective: Sleep diary shows waking after six\n"
        "Measure: Sleep diary\n"
        "Target: 5 of 7 nights\n"
        f"By: {by}\n"
        "Intervention: Behavioural activation\n"
        "Intervention: Sleep scheduling (CBT-I)\n"
    )
    page.get_by_label("Review date").fill(by)
    journey.fits(page)
    journey.press(page.get_by_role("button", name="Save draft"))
    journey.press(page.get_by_role("button", name="Sign", exact=True))
    expect(page.get_by_text("Version 1 signed; it is the active plan now.")).to_be_visible(
        timeout=WAIT
    )
    expect(page.get_by_role("heading", name=f"Problem 1: {PROBLEM}")).to_be_visible(timeout=WAIT)
    journey.fits(page, "plan")

    # Measures: assign the PHQ-9 fortnightly, record today's answers in session.
    plant_earlier_results(harbour, client)
    journey.press(page.get_by_role("link", name="All versions of this plan"))
    journey.press(page.get_by_role("link", name="Back to the client"))
    journey.press(page.get_by_role("link", name="Measures"))
    page.get_by_label("Measure:", exact=True).select_option("phq9")
    page.get_by_label("Repeat every (weeks)").fill("2")
    journey.press(page.get_by_role("button", name="Assign"))
    expect(page.get_by_text("Measure assigned.")).to_be_visible(timeout=WAIT)
    journey.press(page.get_by_role("link", name="Record answers"))
    for n in range(1, 10):
        # Several days (1) on the first seven items, not at all (0) on the last two: 7.
        answer = page.locator(f"input[name='phq9_{n}'][value='{1 if n <= 7 else 0}']")
        journey.press(page.locator("label.option").filter(has=answer))
    journey.fits(page, "measure-record")
    journey.press(page.get_by_role("button", name="Record"))
    expect(page.get_by_text("PHQ-9 recorded: 7.")).to_be_visible(timeout=WAIT)
    trend = page.locator("figure.trend")
    expect(trend).to_be_visible(timeout=WAIT)
    expect(trend.locator("circle")).to_have_count(4, timeout=WAIT)
    expect(trend.locator("figcaption")).to_contain_text("from 19 on", timeout=WAIT)
    expect(page.get_by_text("Reliably improved since the first result").first).to_be_visible(
        timeout=WAIT
    )
    journey.fits(page, "measures", at="section:has(figure.trend)")
    return note_url


def supervisor_cosigns(journey: Journey, harbour: Harbour, note_url: str) -> list[str]:
    """Sue finds the note in her queue and co-signs it after a fresh second factor."""
    page = journey.open(harbour.sue)
    journey.menu(page, "Notes to co-sign")
    expect(page.get_by_role("heading", name="Notes to co-sign")).to_be_visible(timeout=WAIT)
    journey.fits(page, "cosign-queue")
    seen = [page.content()]
    journey.press(page.get_by_role("table").get_by_role("link").first)
    expect(page.get_by_text(PRESENTING)).to_be_visible(timeout=WAIT)
    journey.press(page.get_by_role("button", name="Co-sign and lock"))
    journey.second_factor(page, harbour.secrets["sue"])
    # Back on the note: a POST is never replayed after the second factor.
    expect(page).to_have_url(note_url, timeout=WAIT)
    journey.press(page.get_by_role("button", name="Co-sign and lock"))
    expect(page.get_by_text("Co-signed and locked.")).to_be_visible(timeout=WAIT)
    expect(page.locator("dd").get_by_text("Signed and locked", exact=True)).to_be_visible(
        timeout=WAIT
    )
    journey.fits(page, "cosigned")
    seen.append(page.content())
    return seen


def test_it_takes_a_client_from_the_front_desk_to_a_cosigned_note(
    journey: Journey, harbour: Harbour, settings: Any
) -> None:
    settings.WELLKEPT_BASE_URL = journey.url
    desk, code = front_desk_takes_in_and_books(journey, harbour)
    client = Client.objects.get(organisation=harbour.organisation)
    assert client.code == code

    note_url = therapist_writes_signs_and_measures(journey, harbour, client)
    seen_by_supervisor = supervisor_cosigns(journey, harbour, note_url)

    # Fran looks at the client again: the booking is there, nothing clinical is.
    desk.reload()
    seen_by_desk = [desk.content()]
    journey.menu(desk, "Clients")
    expect(desk.get_by_role("heading", name="Clients")).to_be_visible(timeout=WAIT)
    seen_by_desk.append(desk.content())
    journey.press(desk.get_by_role("link", name=code))
    expect(desk.get_by_text(LEGAL_NAME)).to_be_visible(timeout=WAIT)
    expect(desk.get_by_role("link", name=re.compile(r"\d{2}:\d{2}"))).to_be_visible(timeout=WAIT)
    journey.fits(desk, "client")
    seen_by_desk.append(desk.content())
    for html in seen_by_desk:
        for marker in CLINICAL_MARKERS:
            assert marker not in html
        assert not re.search(r"/(notes|psychotherapy-notes|plan|measures)/", html)
    # Psychotherapy notes never leave their author, not even to the supervisor.
    for page_html in seen_by_supervisor:
        assert PNOTE not in page_html
