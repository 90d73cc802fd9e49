"""A safety signal reaches the follow-up team by code number, and the conversation stays there.

The issue's acceptance test. Sara takes part and agreed to safety alerts.
On her phone she takes the monthly check-in and answers PHQ-9's ninth item
above 0: the result page puts crisis lines first. A case appears in the
specialist's queue; the specialist takes it and writes to the code number.
Sara, on her phone, reads the message and replies. The specialist reads the
reply and closes the case. Every page the specialist saw is kept, and none
of them may contain Sara's name or address.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from playwright.sync_api import BrowserContext, Page, expect

from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.assessments.tests import fixtures
from wellkept.followup.models import Case, CaseStatus
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

hospital = fixtures.hospital

SARA_NAME = "Sara Quillfeather-Oyelaran"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def signed_in(browser_context: BrowserContext, user: User, url: str, **options: Any) -> Page:
    """A new browser context already signed in as ``user`` (a session made by the test client)."""
    browser = browser_context.browser
    assert browser is not None
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    context.add_cookies([{"name": name, "value": client.cookies[name].value, "url": url}])
    return context.new_page()


@pytest.fixture
def specialist(hospital: fixtures.Hospital) -> User:
    user = User.objects.create_user("sam.specialist@st-annes.example", None)
    user.display_name = "Dr Sam Specter"
    user.save(update_fields=["display_name"])
    TOTP.activate(user, generate_totp_secret())
    org_services.staff_membership_grant(
        actor=SystemActor("browser-test"),
        user=user,
        organisation=hospital.organisation,
        role=Role.SPECIALIST,
    )
    return user


@pytest.fixture
def pages(browser_context: BrowserContext) -> Iterator[list[Page]]:
    opened: list[Page] = []
    yield opened
    for page in opened:
        page.context.close()


def test_a_safety_signal_becomes_a_conversation_without_the_specialist_learning_the_name(
    browser_context: BrowserContext,
    live_server: Any,
    settings: Any,
    hospital: fixtures.Hospital,
    specialist: User,
    pages: list[Page],
) -> None:
    settings.WELLKEPT_BASE_URL = live_server.url
    url = live_server.url
    sara = hospital.people["sara"]
    sara.display_name = SARA_NAME
    sara.save(update_fields=["display_name"])
    seen_by_specialist: list[str] = []

    # ---- Sara, on her phone: the monthly check-in, item 9 above 0. ----
    phone = signed_in(browser_context, sara, url, **PHONE)
    pages.append(phone)
    phone.goto(url + "/me/programme/")
    phone.get_by_role("button", name="Start monthly check-in").tap()
    for step in range(3):
        expect(phone.get_by_text(f"Questionnaire {step + 1} of 3")).to_be_visible()
        questions = phone.locator("fieldset.question")
        for i in range(questions.count()):
            labels = questions.nth(i).locator("label")
            # PHQ-9's ninth item: "Several days" (1), the safety signal.
            pick = 1 if step == 0 and i == 8 else 0
            labels.nth(pick).tap()
        last = step == 2
        phone.get_by_role("button", name="Submit and see my result" if last else "Next").tap()

    # Crisis resources first, and the alert Sara agreed to.
    crisis = phone.get_by_role("heading", name="You do not have to handle this alone")
    expect(crisis).to_be_visible()
    expect(phone.get_by_role("alert").get_by_text("0800 111 222")).to_be_visible()
    expect(phone.get_by_text("the follow-up team has been alerted")).to_be_visible()
    case = Case.objects.get(participant=hospital.participants["sara"])
    token = case.participant.token

    # ---- The specialist: the queue, the case, a message to the code number. ----
    desk = signed_in(browser_context, specialist, url)
    pages.append(desk)
    desk.goto(url + "/team/follow-up/")
    expect(desk.get_by_role("heading", name="Follow-up queue")).to_be_visible()
    seen_by_specialist.append(desk.content())
    desk.get_by_role("link", name=f"{token[:8]}…").click()
    expect(desk.get_by_text("Safety alert", exact=True).first).to_be_visible()
    seen_by_specialist.append(desk.content())
    desk.get_by_role("button", name="Take this case").click()
    expect(desk.get_by_text("The case is yours now.")).to_be_visible()
    seen_by_specialist.append(desk.content())
    desk.get_by_label("Write to this person").fill(
        "Hello, I am a specialist with the wellbeing team. Would a call this week help?"
    )
    desk.get_by_role("button", name="Send message").click()
    expect(desk.get_by_text("Sent.")).to_be_visible()
    seen_by_specialist.append(desk.content())
    waiting = [m for m in mail.outbox if m.to == ["sara@st-annes.example"]]
    assert len(waiting) == 1
    assert "Would a call" not in waiting[0].body

    # ---- Sara replies from her phone. ----
    phone.goto(url + "/me/follow-up/")
    expect(phone.get_by_text("Would a call this week help?")).to_be_visible()
    phone.get_by_label("Your reply").fill("Yes please, Thursday morning works.")
    phone.get_by_role("button", name="Send reply").tap()
    expect(phone.get_by_text("Your reply is sent.")).to_be_visible()

    # ---- The specialist reads the reply and closes the case. ----
    desk.reload()
    expect(desk.get_by_text("Yes please, Thursday morning works.")).to_be_visible()
    seen_by_specialist.append(desk.content())
    desk.get_by_label("Why is the case closed?").select_option("resolved")
    desk.get_by_role("button", name="Close case").click()
    expect(desk.get_by_text("The case is closed.")).to_be_visible()
    seen_by_specialist.append(desk.content())
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED

    # At no point did the specialist's pages carry Sara's name or address.
    for html in seen_by_specialist:
        assert SARA_NAME not in html
        assert "sara@st-annes.example" not in html
        assert not re.search(r"quillfeather", html, re.IGNORECASE)
