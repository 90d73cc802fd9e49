"""The client portal on a phone, from the invitation to the accounting of disclosures.

The acceptance journey of issue 19. At Harbour Practice, Tess invites her
client Wren to the portal from the client's portal page; the invitation
arrives by e-mail. On a phone, Wren opens the link, chooses a password and
lands in her portal. She reads and signs the treatment consent Tess asked
for, asks for an appointment (Tess books one of her times, and Wren sees
it booked), answers the PHQ-9 Tess assigned and reads her result, and
writes to Tess, who replies; Wren reads the reply. Tess then records
Wren's authorisation to release records to her GP and discloses under it;
Wren finds the disclosure, by recipient and purpose, in her accounting.

Everyone is on a phone (390 x 844, touch): no page scrolls sideways, and
every control the journey presses lies within the screen's width. With
``WELLKEPT_SCREENSHOTS=1`` the client's pages are photographed into
``docs/screenshots/practice-portal-*-phone.png``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from tests.browser.test_practice_journey import WAIT, Journey
from tests.browser.test_practice_journey import browser as browser
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Role
from wellkept.practice import services
from wellkept.practice.models import Client
from wellkept.practice.services import Intake
from wellkept.practice.services.schedule import practice_zone

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SETUP = SystemActor("portal-journey")
LEGAL_NAME = "Wren Fictional-Portalside"
PASSWORD = "a quiet harbour at dusk 4471"
MESSAGE = "Could we talk about the sleep diary next time?"
REPLY = "Yes, bring it along and we will go through it together."
GP_NAME = "Dr Imaginary Gable"
GP_PRACTICE = "Riverside Pretend Surgery"
PURPOSE = "Continuity of care with the GP"


def _tess(organisation: Any) -> User:
    tess = User.objects.create_user("tess@harbour.example", None)
    tess.display_name = "Tess"
    tess.save(update_fields=["display_name"])
    TOTP.activate(tess, generate_totp_secret())
    orgs.staff_membership_grant(
        actor=SETUP, user=tess, organisation=organisation, role=Role.SPECIALIST
    )
    return tess


@pytest.fixture
def harbour() -> tuple[User, Client]:
    """Tess, her client Wren (with an e-mail on record), a room, a PHQ-9 and a form to sign."""
    organisation = orgs.organisation_create(actor=SETUP, name="Harbour Practice", slug="harbour")
    tess = _tess(organisation)
    wren = services.client_create(
        actor=SETUP,
        organisation=organisation,
        intake=Intake(
            legal_name=LEGAL_NAME,
            preferred_name="Wren",
            date_of_birth=dt.date(1990, 3, 14),
            pronouns="she/her",
            email="wren.portalside@example.invalid",
            phone="+44 20 7946 0555",
            contact_channels=("email",),
            voicemail_ok=False,
            emergency_name="Robin Fictional",
            emergency_relation="sibling",
            emergency_phone="+44 20 7946 0556",
            referral_source="",
            insurance_payer="",
            insurance_member_id="",
        ),
    )
    services.client_assign(actor=SETUP, client=wren, therapist=tess)
    services.room_create(actor=SETUP, organisation=organisation, name="Garden Room")
    services.measure_assign(actor=tess, client=wren, instrument="phq9", every_weeks=None)
    services.document_request(actor=tess, client=wren, kind="treatment")
    return tess, wren


@pytest.fixture
def phone(browser: Browser, live_server: Any) -> Iterator[Journey]:
    opened = Journey(browser, live_server.url, "phone")
    yield opened
    opened.close()


def _times() -> list[str]:
    """Three weekday mornings, days ahead, as a datetime-local field takes them."""
    zone = practice_zone()
    day = dt.datetime.now(tz=zone).date() + dt.timedelta(days=3)
    found = []
    while len(found) < 3:
        if day.weekday() < 5:
            found.append(f"{day.isoformat()}T10:00")
        day += dt.timedelta(days=1)
    return found


def client_accepts_the_invitation(phone: Journey, tess: User, wren: Client) -> Page:
    staff = phone.open(tess)
    staff.goto(f"{phone.url}/practice/clients/{wren.pk}/portal/?org=harbour")
    mail.outbox.clear()
    phone.press(staff.get_by_role("button", name="Invite to the portal"))
    expect(staff.get_by_text("Invited until")).to_be_visible(timeout=WAIT)
    (invitation,) = mail.outbox
    link = re.search(r"https?://\S+/portal/invitation/\S+/", invitation.body)
    assert link is not None, "the invitation carries its link"
    path = link.group(0).split("/portal/", 1)[1]

    page = phone.open()
    page.goto(f"{phone.url}/portal/{path}")
    expect(page.get_by_text("wren.portalside@example.invalid")).to_be_visible(timeout=WAIT)
    assert "/invitation/accept/" in page.url, "the token leaves the address bar"
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    phone.fits(page)
    phone.press(page.get_by_role("button", name="Set password and continue"))
    expect(page.get_by_role("heading", name="Your portal", exact=True)).to_be_visible(timeout=WAIT)
    phone.fits(page, "portal-home")
    return page


def client_signs_the_consent(phone: Journey, page: Page) -> None:
    phone.press(page.get_by_role("link", name="Forms to sign").first)
    phone.press(page.get_by_role("link", name=re.compile("Read and sign")))
    expect(page.get_by_role("heading", name="Read and sign", exact=True)).to_be_visible(
        timeout=WAIT
    )
    phone.fits(page, "portal-sign")
    page.get_by_label(re.compile("legal name", re.IGNORECASE)).fill("wren fictional-portalside")
    page.get_by_role("checkbox").check()
    phone.press(page.get_by_role("button", name="Sign"))
    expect(page.get_by_role("link", name=re.compile("Download the receipt"))).to_be_visible(
        timeout=WAIT
    )


def client_asks_and_tess_books(phone: Journey, page: Page, tess: User, wren: Client) -> None:
    page.goto(f"{phone.url}/portal/")
    phone.press(page.get_by_role("link", name="Appointment requests"))
    first, second, third = _times()
    page.get_by_label("First choice").fill(first)
    page.get_by_label("Second choice").fill(second)
    page.get_by_label("Third choice").fill(third)
    page.get_by_label("Note for the practice (optional)").fill("Mornings suit me best.")
    phone.fits(page)
    phone.press(page.get_by_role("button", name="Send the request"))
    expect(page.get_by_text("Waiting for the practice")).to_be_visible(timeout=WAIT)

    staff = phone.open(tess)
    staff.goto(f"{phone.url}/practice/portal/requests/?org=harbour")
    phone.press(staff.get_by_role("link", name=f"Answer the request of {wren.code}"))
    staff.get_by_role("radio").first.check()
    staff.get_by_label("Room").select_option(label="Garden Room")
    phone.fits(staff)
    phone.press(staff.get_by_role("button", name="Book it"))
    expect(staff.get_by_text("No request is waiting.")).to_be_visible(timeout=WAIT)

    page.reload()
    expect(page.get_by_text(re.compile(r"Booked for "))).to_be_visible(timeout=WAIT)
    page.goto(f"{phone.url}/portal/appointments/")
    expect(page.get_by_text("Garden Room").first).to_be_visible(timeout=WAIT)


def client_answers_the_phq9(phone: Journey, page: Page) -> None:
    page.goto(f"{phone.url}/portal/")
    phone.press(page.get_by_role("link", name="Questionnaires"))
    phone.press(page.get_by_role("link", name=re.compile("PHQ-9")))
    # "Several days" on the first eight items, "not at all" on the ninth: 8, mild.
    for item in range(1, 10):
        value = "0" if item == 9 else "1"
        page.locator(f"input[name='phq9_{item}'][value='{value}']").check()
    phone.fits(page)
    phone.press(page.get_by_role("button", name="Send my answers"))
    expect(page.get_by_text(re.compile(r"\b8\b")).first).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(re.compile("mild", re.IGNORECASE)).first).to_be_visible(timeout=WAIT)
    phone.fits(page, "portal-phq9-result")


def client_writes_and_reads_the_reply(phone: Journey, page: Page, tess: User) -> None:
    page.goto(f"{phone.url}/portal/")
    phone.menu(page, "Messages")
    phone.press(page.get_by_role("link", name="Write to the practice"))
    page.get_by_label(re.compile("about", re.IGNORECASE)).select_option(value="care")
    page.get_by_label("Subject").fill("Sleep diary")
    page.get_by_label(re.compile("^Message")).fill(MESSAGE)
    phone.fits(page)
    phone.press(page.get_by_role("button", name="Send"))
    expect(page.get_by_text(MESSAGE)).to_be_visible(timeout=WAIT)
    thread = page.url

    staff = phone.open(tess)
    staff.goto(f"{phone.url}/practice/messages/?org=harbour")
    phone.press(staff.get_by_role("link", name=re.compile("Sleep diary")).first)
    expect(staff.get_by_text(MESSAGE)).to_be_visible(timeout=WAIT)
    staff.get_by_label(re.compile("^Message|^Reply")).fill(REPLY)
    phone.press(staff.get_by_role("button", name="Send"))
    expect(staff.get_by_text(REPLY)).to_be_visible(timeout=WAIT)

    page.goto(thread)
    expect(page.get_by_text(REPLY)).to_be_visible(timeout=WAIT)
    phone.fits(page, "portal-messages")


def tess_releases_to_the_gp(phone: Journey, tess: User, wren: Client) -> None:
    staff = phone.open(tess)
    staff.goto(f"{phone.url}/practice/clients/{wren.pk}/release/?org=harbour")
    phone.press(staff.get_by_role("link", name="New authorisation"))
    today = dt.datetime.now(tz=dt.UTC).date()
    staff.get_by_label("Release of records").check()
    staff.get_by_role("checkbox", name="Appointments").check()
    staff.get_by_label("Records from").fill((today - dt.timedelta(days=365)).isoformat())
    staff.get_by_label("Records to").fill(today.isoformat())
    staff.get_by_label("Purpose of the release").fill(PURPOSE)
    staff.get_by_label("Expires on").fill((today + dt.timedelta(days=90)).isoformat())
    staff.get_by_label("Recipient's name").fill(GP_NAME)
    staff.get_by_label("Recipient's organisation").fill(GP_PRACTICE)
    staff.get_by_label("Recipient's address or e-mail").fill("gp.gable@example.invalid")
    staff.get_by_label("Client's signature: their legal name, typed by them").fill(LEGAL_NAME)
    staff.get_by_label("The client has read this authorisation and signs it now.").check()
    phone.fits(staff)
    phone.press(staff.get_by_role("button", name="Sign and record"))
    phone.press(staff.get_by_role("link", name="Disclose records…"))
    staff.get_by_role("radio", name=re.compile(GP_NAME)).check()
    staff.get_by_role("checkbox", name="Appointments").check()
    staff.get_by_label("Records from").fill((today - dt.timedelta(days=30)).isoformat())
    staff.get_by_label("Records to").fill(today.isoformat())
    phone.fits(staff)
    phone.press(staff.get_by_role("button", name="Disclose"))
    expect(staff.get_by_role("heading", name="Disclosure recorded")).to_be_visible(timeout=WAIT)


def client_sees_the_disclosure(phone: Journey, page: Page) -> None:
    page.goto(f"{phone.url}/portal/")
    phone.menu(page, "Disclosures")
    expect(page.get_by_text(GP_NAME).first).to_be_visible(timeout=WAIT)
    expect(page.get_by_text(PURPOSE).first).to_be_visible(timeout=WAIT)
    phone.fits(page, "portal-disclosures")


def test_a_client_goes_from_invitation_to_their_accounting_of_disclosures_on_a_phone(
    phone: Journey, harbour: tuple[User, Client]
) -> None:
    tess, wren = harbour
    page = client_accepts_the_invitation(phone, tess, wren)
    client_signs_the_consent(phone, page)
    client_asks_and_tess_books(phone, page, tess, wren)
    client_answers_the_phq9(phone, page)
    client_writes_and_reads_the_reply(phone, page, tess)
    tess_releases_to_the_gp(phone, tess, wren)
    client_sees_the_disclosure(phone, page)
