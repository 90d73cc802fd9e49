"""Every page of every role, on a phone: never wider than the screen, no serious axe finding.

One seeded demo hospital, one live server, one browser. Each role signs in
through the real pages (password, then the authenticator code) on a 390 px
touch screen and a crawler follows every link it is shown, once per kind of
page (the view and the names of its query parameters), opening every
<details> so that nothing folded away is missed. The pages behind forms are
driven by hand: a check-in step with and without a missing answer, a
result, a result with the safety message, the join page with its errors,
the invitation form with an error. On each page the test measures the
document's scroll width (nothing may be wider than the screen) and runs
axe-core (any violation of impact "serious" or "critical" fails).

The demo is salted with what broke layouts before: a 4,000-character
message without a space in a follow-up conversation and in a case note, a
crisis line with a long unbroken contact, a clinician and an invitation
with a very long e-mail address. At the end, every page of the URL
configuration must have been visited by some role, or be listed below with
the reason it is not a page (a form's POST target, a download, JSON).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from playwright.sync_api import BrowserContext, Page, expect

from tests.browser.support import Audit, current_code, submit_password
from wellkept import clock
from wellkept.accounts.models import User
from wellkept.accounts.services import invitation_create
from wellkept.accounts.sessions import SessionStore
from wellkept.actors import SystemActor
from wellkept.assessments.models import SupportKind, SupportResource
from wellkept.assessments.reminders import unsubscribe_url
from wellkept.assessments.selectors import open_programme
from wellkept.demo import practice as demo_practice
from wellkept.demo.hospital import (
    CLIENT_PASSWORD,
    GUARDIAN_PASSWORD,
    PARTICIPANT_PASSWORD,
    STAFF_PASSWORD,
    demo_email,
    demo_people,
    demo_seed,
    demo_totp_secret,
)
from wellkept.disclosures import services as release
from wellkept.disclosures.models import AuthorisationKind
from wellkept.followup import reidentification
from wellkept.followup import services as followup
from wellkept.lifecycle import subject_requests
from wellkept.orgs.models import Clinician, InviteeRole, Organisation
from wellkept.orgs.selectors import participant_for_user
from wellkept.practice import services as practice
from wellkept.practice.models import Appointment, AppointmentStatus, Client

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 390
PHONE = {
    "viewport": {"width": WIDTH, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "bypass_csp": True,  # for axe only: see tests/browser/support.py
}
DESKTOP = {"width": 1280, "height": 900}
DEMO_PARTICIPANTS = 24
UNBROKEN = "x" * 4000
# No hyphen: a browser may break a line after one, never inside this.
LONG_EMAIL = "mariafernanda.delacruzvillanueva.intensivecare@verylonghospitalname.example"
LONG_CONTACT = "https://crisissupport.example/gethelpnow/forhospitalstaff/atanyhourofday"
# Never followed: leaving the site, signing out, files and JSON.
NOT_FOLLOWED = re.compile(r"(\.json|\.csv|\.pdf)$|/download|/api/|/logout/")
# Pages that look the same whoever opens them (the account's own pages):
# checked for the first staff member and the first clinician, not for all.
SHARED = re.compile(r"^(account_|mfa_|usersessions_)")
# Every named URL that is not a page a person opens, and why.
NOT_PAGES = {
    # Forms post here; their pages are those that hold the form.
    "web:session_status": "JSON polled by session.js",
    "web:session_keepalive": "JSON, POST",
    "assessments:start": "POST from the programme page",
    "assessments:discard": "POST",
    "consent:update": "POST from the consent page",
    "consent:receipt": "a JSON download",
    "lifecycle:export_json": "a download",
    "lifecycle:export_fhir": "a download",
    "lifecycle:reminders": "POST from My data",
    "lifecycle:retention_update": "POST",
    "lifecycle:hold_set": "POST",
    "lifecycle:hold_lift": "POST",
    "lifecycle:receipt_download": "a JSON download",
    "lifecycle:subject_request_approve": "POST",
    "lifecycle:subject_request_refuse": "POST",
    "lifecycle:subject_export_json": "a download",
    "lifecycle:subject_export_fhir": "a download",
    "lifecycle:subject_erase": "POST",
    "programmes:open": "POST",
    "programmes:schedule_remove": "POST",
    "programmes:resource_remove": "POST",
    "privacy:processing_json": "a JSON download",
    "insights:export_csv": "a download",
    "insights:export_pdf": "a download",
    "followup:ask": "POST",
    "followup:reply": "POST",
    "followup:share": "POST",
    "followup:conversation": "POST",
    "followup:decline": "POST",
    "followup:case_take": "POST",
    "followup:case_assign": "POST",
    "followup:message": "POST",
    "followup:note": "POST",
    "followup:case_close": "POST",
    "followup:breakglass": "POST from the case page",
    "followup:grant_identity": "POST, with a fresh second factor",
    "followup:api_identity_request": "JSON API",
    "followup:privacy_approve": "POST",
    "followup:privacy_refuse": "POST",
    "followup:privacy_review": "POST",
    "followup:privacy_breakglass_allow": "POST",
    "followup:privacy_exception_end": "POST",
    "practice:client_assign": "POST from the client's page",
    "practice:client_unassign": "POST from the client's page",
    "practice:note_sign": "POST from the note's page",
    "practice:note_cosign": "POST from the note's page",
    "practice:addendum_new": "POST from the note's page",
    "practice:pnote_delete": "POST from the psychotherapy note's page",
    "practice:appointment_cancel": "POST from the appointment's page",
    "practice:appointment_mark": "POST from the appointment's page",
    "practice:feed_create": "POST from the therapist's schedule",
    "practice:feed_revoke": "POST from the therapist's schedule",
    "practice:calendar_feed": "an iCalendar feed a calendar app fetches by its secret",
    "practice:plan_sign": "POST from the plan's page",
    "practice:plan_close": "POST from the plan's page",
    "practice:measure_assign": "POST from the client's measures page",
    "practice:measure_assignment_end": "POST from the client's measures page",
    "practice:measure_alert_acknowledge": "POST from the measures that need attention",
    "practice:client_readmit": "POST from the client's page",
    "practice:billing_charge": "POST from the billing queue",
    "practice:billing_invoice": "POST from the client's account",
    "practice:billing_invoice_pdf": "a PDF download",
    "practice:case_member_add": "POST from the case's page",
    "practice:case_member_remove": "POST from the case's page",
    "practice:case_therapist_add": "POST from the case's page",
    "practice:case_therapist_remove": "POST from the case's page",
    "practice:joint_note_sign": "POST from the joint note's page",
    "practice:breakglass_record": (
        "needs a live break-glass opening (practice/tests/test_breakglass_pages.py)"
    ),
    "practice:breakglass_review": (
        "needs a break-glass opening to review (practice/tests/test_breakglass_pages.py)"
    ),
    "practice:breakglass_review_record": "POST from the break-glass opening's review page",
    "practice:breakglass_allow": "POST from the break-glass opening's review page",
    "accounts:invitation_new": "POST from the invitations page",
    "accounts:invitation_revoke": "POST",
    "mfa_download_recovery_codes": "a text download",
    "mfa_remove_webauthn": "POST",
    "mfa_login_webauthn": "POST from the sign-in page",
    "account_logout": "POST from the header",
    "account_signup": "not offered: answers 404",
    "account_email": "not offered: answers 404",
    "account_email_verification_sent": "not offered: answers 404",
    "account_confirm_email": "not offered: answers 404",
    "account_confirm_login_code": "not offered: answers 404",
    "account_inactive": "not offered: answers 404",
    "account_set_password": "redirects to the password change page",
    "api-v1:openapi-json": "JSON API",
    "api-v1:dashboard": "JSON API",
    "api-v1:measure_report": "JSON API",
    "api-v1:api-root": "JSON API",
    "practice:video_link_email": "POST from the video session page",
    "practice:telehealth_consent_withdraw": "POST from the telehealth consent page",
    "disclosures:release": "the recipient's page: its secret is shown once, to the therapist",
    "disclosures:release_download": "POST from the recipient's download page: a ZIP, used once",
    # Client portal (issue 19).
    "portal:invoice_pdf": "a PDF download",
    # Consent documents (issue 19): the demo client has one form to sign and one signed.
    "portal:form_receipt": "an HTML download (wellkept/portal/tests/test_forms_pages.py)",
    "portal:form_withdraw": "POST from the client's forms page",
    "practice:document_receipt": "an HTML download (practice/tests/test_documents_pages.py)",
    "practice:document_request": "POST from the client's documents page",
    "portal:record_json": "a JSON download (wellkept/portal/tests/test_record_pages.py)",
    "portal:record_fhir": "a FHIR JSON download (wellkept/portal/tests/test_record_pages.py)",
    "portal:staff_invite": "POST from the client's portal status page",
    "portal:guardian_sharing": "POST from a minor's guardians page (test_guardians.py)",
    "portal:guardian_invite": "POST from a minor's guardians page (test_guardians.py)",
    "portal:guardian_end": "POST from a minor's guardians page (test_guardians.py)",
    "portal:staff_revoke": "POST from the client's portal status page",
    "portal:invitation_open": (
        "the e-mailed link: checks the token and redirects (wellkept/portal/tests/"
        "test_invitation_pages.py)"
    ),
    "portal:invitation_accept": (
        "reached only through a live e-mailed link (wellkept/portal/tests/test_invitation_pages.py)"
    ),
    # Secure messaging (issue 19).
    "messaging:reply": "POST from the thread's page",
    "messaging:attachment": "a file download (wellkept/messaging/tests/test_pages.py)",
    "messaging_portal:reply": "POST from the thread's page",
    "messaging_portal:attachment": "a file download (wellkept/messaging/tests/test_pages.py)",
    "portal:appointment_cancel": "POST from the client's appointment page",
    "portal:staff_request_accept": "POST from the portal request page",
    "portal:staff_request_decline": "POST from the portal request page",
}
# Pages no demo sign-in can reach, and where they are tested instead.
ELSEWHERE = {
    "mfa_list_webauthn": "needs a registered passkey (tests/browser/test_passkey.py)",
    "mfa_edit_webauthn": "needs a registered passkey (tests/browser/test_passkey.py)",
    "mfa_reauthenticate_webauthn": "needs a registered passkey",
}


@dataclass(frozen=True)
class Login:
    role: str
    email: str
    password: str
    totp: bool = True
    staff: bool = True
    # Visited before anything else, so these are the pages of their kind
    # that are checked: the ones planted with long content.
    first: tuple[str, ...] = ()
    crawl: bool = True


@dataclass
class Findings:
    """What every page showed: too wide, or an axe violation."""

    audit: Audit = field(default_factory=Audit)
    too_wide: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)

    def check(self, page: Page, name: str) -> None:
        # Open everything folded away, then wait two frames so that layout
        # (and scroll-regions.js, which reacts to it) has settled.
        page.evaluate(
            """() => new Promise(done => {
                document.querySelectorAll("main details").forEach(d => { d.open = true; });
                requestAnimationFrame(() => requestAnimationFrame(done));
            })"""
        )
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > WIDTH:
            self.too_wide.append(f"{name}: {width} px")
        self.audit.check(page, name)
        with contextlib.suppress(Resolver404):
            self.visited.add(resolve(urlsplit(page.url).path).view_name)


def page_kind(url: str, base: str) -> tuple[str, tuple[str, ...]] | None:
    """Return what kind of page a link leads to, or None for one not to follow."""
    parts = urlsplit(url)
    if not url.startswith(base) or NOT_FOLLOWED.search(parts.path):
        return None
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    if match.view_name in NOT_PAGES:
        return None
    return match.view_name, tuple(sorted({k for k, _ in parse_qsl(parts.query)}))


def crawl(page: Page, base: str, login: Login, found: Findings, shared_done: set[str]) -> None:
    """Visit every kind of page reachable by links from the home page, checking each."""
    role = login.role
    queue = deque([base + path for path in login.first] + [base + "/"])
    seen: set[tuple[str, tuple[str, ...]]] = set()
    while queue:
        url = queue.popleft()
        kind = page_kind(url, base)
        if kind is None or kind in seen or kind[0] in shared_done:
            continue
        seen.add(kind)
        response = page.goto(url)
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        found.check(
            page, f"{role} {urlsplit(page.url).path}{'?' if kind[1] else ''}{'&'.join(kind[1])}"
        )
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
        queue.extend(h.split("#", 1)[0] for h in hrefs)
    shared_done.update(name for name, _ in seen if SHARED.match(name))


def sign_in(page: Page, base: str, login: Login, found: Findings) -> None:
    submit_password(page, base, login.email, login.password)
    if login.totp:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        if "mfa_authenticate" not in found.visited:
            found.check(page, f"{login.role} second step of signing in")
        page.get_by_label("6-digit code").fill(current_code(demo_totp_secret(login.email)))
        page.get_by_role("button", name="Continue").click()
    # A client's (or a guardian's) portal login is sent on from the home page to its portal.
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/(portal/(guardian/)?)?$"))


@dataclass(frozen=True)
class Demo:
    organisation: Organisation
    logins: list[Login]
    newcomer: Login
    spare: Login  # a participant no role signs in as: the password reset uses it
    unsubscribe_url: str


def plant(organisation: Organisation) -> Demo:
    """Seed-time additions: what broke layouts before, and the state some pages need."""
    people = demo_people(3)
    participant_login = Login(
        "participant",
        people[0].email,
        PARTICIPANT_PASSWORD,
        staff=False,
        first=(f"/me/consent/notice/{1}/",),
    )
    user = User.objects.get_by_email(participant_login.email)
    assert user is not None
    participant = participant_for_user(user=user, organisation=organisation)
    assert participant is not None
    specialist = User.objects.get_by_email(demo_email("specialist"))
    privacy = User.objects.get_by_email(demo_email("privacy.officer"))
    deputy = User.objects.get_by_email(demo_email("deputy.privacy.officer"))
    assert specialist is not None
    assert privacy is not None
    assert deputy is not None
    # A conversation and a note of one unbroken 4,000-character "word".
    case = followup.case_request(actor=user, participant=participant)
    case = followup.case_assign(actor=specialist, case=case, assignee=specialist)
    followup.message_send(actor=specialist, case=case, body=UNBROKEN)
    followup.reply_send(actor=user, case=case, body=UNBROKEN)
    followup.note_add(actor=specialist, case=case, body=UNBROKEN)
    # A name request waiting for the privacy officer, and a data-subject
    # request recorded by the deputy for the privacy officer to approve.
    reidentification.reidentification_request(
        actor=specialist,
        case=case,
        purpose="burnout_follow_up",
        reason="They asked to talk and did not answer two messages in a week.",
    )
    subject_requests.subject_request_record(
        actor=deputy,
        organisation=organisation,
        email=people[1].email,
        kind="access",
        reason="Letter received at the privacy office asking for a copy of everything held.",
    )
    # And one the privacy officer recorded, for the deputy to approve (with a
    # fresh second factor, so through the page) and the officer to answer.
    subject_requests.subject_request_record(
        actor=privacy,
        organisation=organisation,
        email=people[0].email,
        kind="portability",
        reason="E-mail to the privacy office asking for the data in a portable format.",
    )
    # In the practice: a draft progress note and a psychotherapy note of one
    # unbroken "word" each, for the specialist's pages that only they open.
    client = Client.objects.filter(
        organisation=organisation,
        assignments__therapist=specialist,
        assignments__until__isnull=True,
    ).first()
    assert client is not None
    draft = practice.note_create(
        actor=specialist,
        client=client,
        template_code="soap",
        service_date=clock.now().date(),
        sections={"subjective": UNBROKEN, "plan": "(Demo) Review in two weeks."},
    )
    pnote = practice.pnote_write(actor=specialist, client=client, body=UNBROKEN)
    # Release of information: a current authorisation of the specialist's
    # client, so its revocation page is there to open.
    today = clock.now().date()
    release.authorisation_sign(
        actor=specialist,
        client=client,
        kind=AuthorisationKind.RECORDS,
        categories=["demographics"],
        records_from=today - dt.timedelta(days=30),
        records_to=today,
        expires_on=today + dt.timedelta(days=30),
        recipient=release.Recipient("Dr Every Page", "Page Street Surgery", LONG_EMAIL),
        purpose="Continuity of care.",
        signed_name=str(client.legal_name),
    )
    # Plans: a draft version for one client (its edit page); for another, a
    # version the therapist signed and the client has yet to sign (the
    # in-session signature page), and a new version to start. A measure to
    # record, and an appointment to move.
    clients = list(
        Client.objects.filter(
            organisation=organisation,
            assignments__therapist=specialist,
            assignments__until__isnull=True,
        )[:2]
    )
    other = clients[1]
    review = clock.now().date() + dt.timedelta(days=30)
    outline = practice.parse_outline(
        f"Problem: {UNBROKEN[:400]}\n"
        "  Goal: (Demo) Rest after shifts\n"
        "    Objective: (Demo) Six hours of sleep\n"
        "      Measure: Sleep diary\n"
        "      Target: 5 of 7 nights\n"
        f"      By: {review.isoformat()}\n"
        "      Intervention: (Demo) Sleep scheduling\n"
    )
    plan = practice.plan_create(
        actor=specialist, client=client, content=outline, review_date=review
    )
    signed = practice.plan_sign(
        actor=specialist,
        plan=practice.plan_create(
            actor=specialist, client=other, content=outline, review_date=review
        ),
    )
    practice.measure_assign(actor=specialist, client=other, instrument="who5", every_weeks=2)
    appointment = Appointment.objects.filter(
        therapist=specialist, start__gt=clock.now(), status=AppointmentStatus.BOOKED
    ).first()
    assert appointment is not None
    # A couple seen by the specialist, with a joint note: the case's pages
    # and the joint note's, which only a case's therapist opens.
    couple = practice.case_create(
        actor=SystemActor("browser-test"),
        organisation=organisation,
        kind="couple",
        members=clients[:2],
        therapists=[specialist],
    )
    joint = practice.joint_note_create(
        actor=specialist,
        case=couple,
        template_code="soap",
        service_date=clock.now().date(),
        sections={"subjective": UNBROKEN, "plan": "(Demo) Practise listening."},
    )
    # Consent documents (issue 19): a form waiting for the specialist's
    # client, so the page that records its signature in the office opens.
    to_sign = practice.document_request(actor=specialist, client=client, kind="financial")
    practice_pages = (
        f"/practice/clients/{client.pk}/documents/{to_sign.pk}/sign/",
        f"/practice/clients/{client.pk}/notes/{draft.pk}/edit/",
        f"/practice/clients/{client.pk}/psychotherapy-notes/{pnote.pk}/edit/",
        f"/practice/clients/{client.pk}/plan/{plan.pk}/edit/",
        f"/practice/clients/{other.pk}/plan/{signed.pk}/client-sign/",
        f"/practice/clients/{other.pk}/plan/new/",
        f"/practice/clients/{other.pk}/measures/record/who5/",
        f"/practice/schedule/{appointment.pk}/move/",
        f"/practice/cases/{couple.pk}/",
        f"/practice/cases/{couple.pk}/notes/{joint.pk}/",
    )
    # A crisis line whose contact has no space to break at.
    programme = open_programme(organisation)
    assert programme is not None
    SupportResource.objects.create(
        programme=programme, kind=SupportKind.CRISIS, name="Web chat", contact=LONG_CONTACT
    )
    # A clinician with a very long address (the one who has not joined
    # here), and an invitation to another such address.
    newcomer = User.objects.create_user(LONG_EMAIL, PARTICIPANT_PASSWORD)
    Clinician.objects.create(user=newcomer, organisation=organisation)
    invitation_create(
        actor=SystemActor("browser-test"),
        organisation=organisation,
        email="alexandra.konstantinopoulouhenderson.radiology@verylonghospitalname.example",
        role=InviteeRole.CLINICIAN,
    )
    staff = [
        Login("leader", demo_email("leader"), STAFF_PASSWORD),
        Login("wellbeing officer", demo_email("wellbeing.officer"), STAFF_PASSWORD),
        Login(
            "specialist",
            demo_email("specialist"),
            STAFF_PASSWORD,
            first=(f"/team/follow-up/case/{case.pk}/", *practice_pages),
        ),
        Login("front desk", demo_email("front.desk"), STAFF_PASSWORD),
        # The trainee's signed note waits in the supervisor's co-signature queue.
        Login("clinical supervisor", demo_email("clinical.supervisor"), STAFF_PASSWORD),
        Login(
            "second privacy officer",
            demo_email("deputy.privacy.officer"),
            STAFF_PASSWORD,
            crawl=False,  # the same role as the next: only approves a request
        ),
        Login("privacy officer", demo_email("privacy.officer"), STAFF_PASSWORD),
        Login("system administrator", demo_email("sysadmin"), STAFF_PASSWORD),
    ]
    newcomer_login = Login(
        "clinician not joined", LONG_EMAIL, PARTICIPANT_PASSWORD, totp=False, staff=False
    )
    spare = Login("participant", people[1].email, PARTICIPANT_PASSWORD, staff=False)
    portal_user = demo_practice.portal_client_login(organisation)
    assert portal_user is not None
    client_login = Login(
        "client (portal)", str(portal_user.email), CLIENT_PASSWORD, totp=False, staff=False
    )
    guardian_user = demo_practice.guardian_portal_login(organisation)
    assert guardian_user is not None
    guardian_login = Login(
        "guardian (portal)", str(guardian_user.email), GUARDIAN_PASSWORD, totp=False, staff=False
    )
    spare_user = User.objects.get_by_email(spare.email)
    assert spare_user is not None
    unsubscribe = unsubscribe_url(user_pk=spare_user.pk, organisation_pk=organisation.pk)
    return Demo(
        organisation,
        [*staff, participant_login, newcomer_login, client_login, guardian_login],
        newcomer_login,
        spare,
        unsubscribe,
    )


@pytest.fixture
def phone(browser_context: BrowserContext) -> Iterator[BrowserContext]:
    browser = browser_context.browser
    assert browser is not None
    context = browser.new_context(**PHONE)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def answer(page: Page, answers: dict[str, int]) -> None:
    for item, value in answers.items():
        page.locator(f"input[name='{item}'][value='{value}']").check()


def fill_in_forms(page: Page, base: str, role: str, found: Findings) -> None:
    """Drive the pages that only a form leads to."""
    if role == "participant":
        page.goto(base + "/me/programme/")
        page.get_by_role("button", name="Start weekly pulse").click()
        expect(page.get_by_text("Questionnaire 1 of 2")).to_be_visible()
        found.check(page, f"{role} check-in step")
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_text("Choose an answer for question 1.")).to_be_visible()
        found.check(page, f"{role} check-in step with errors")
        answer(page, {"phq2_1": 0, "phq2_2": 1})
        page.get_by_role("button", name="Next").click()
        answer(page, {"burnout1_1": 2})
        page.get_by_role("button", name="Submit and see my result").click()
        expect(page.get_by_role("heading", name="Your result")).to_be_visible()
        found.check(page, f"{role} result")
        page.goto(base + "/me/programme/")
        page.get_by_role("button", name="Start monthly check-in").click()
        for step, answers in enumerate(
            (
                {f"phq9_{n}": 1 for n in range(1, 10)},  # item 9 above 0
                {f"gad7_{n}": 1 for n in range(1, 8)},
                {f"who5_{n}": 3 for n in range(1, 6)},
            )
        ):
            answer(page, answers)
            last = step == 2
            page.get_by_role("button", name="Submit and see my result" if last else "Next").click()
        expect(
            page.get_by_role("heading", name="You do not have to handle this alone")
        ).to_be_visible()
        found.check(page, f"{role} result with the safety message")
        page.goto(base + "/me/consent/withdraw/")
        page.get_by_role("button", name="Withdraw my consent").click()
        expect(page.get_by_role("heading", name="You have left the programme")).to_be_visible()
        found.check(page, f"{role} after withdrawing")
    elif role == "second privacy officer":
        page.goto(base + "/privacy/requests/")
        page.get_by_role("row", name=re.compile("Portability")).get_by_role(
            "button", name="Approve"
        ).click()
        found.check(page, f"{role} after approving a data-subject request")
    elif role == "privacy officer":
        page.goto(base + "/privacy/requests/")
        page.get_by_role("button", name="Record the request").click()
        found.check(page, f"{role} data-subject request form with errors")
    elif role == "clinician not joined":
        page.goto(base + "/me/programme/")
        page.get_by_role("button", name="I want to take part").click()
        expect(page.get_by_text("Choose your role.")).to_be_visible()
        found.check(page, f"{role} join page with errors")
    elif role == "system administrator":
        page.goto(base + "/manage/invitations/")
        page.get_by_label("E-mail address").fill("not an address")
        page.get_by_role("button", name="Send invitation").click()
        found.check(page, f"{role} invitation form with an error")


def every_named_page() -> set[str]:
    def walk(patterns: list[Any], namespace: str | None) -> Iterator[str]:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                inner = ":".join(n for n in (namespace, entry.namespace) if n) or None
                yield from walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                yield f"{namespace}:{entry.name}" if namespace else entry.name

    return set(walk(get_resolver().url_patterns, None))


def anonymous_pages(page: Page, base: str, demo: Demo, found: Findings) -> None:
    """The pages before signing in: sign-in, password reset, invitation, unsubscribe."""
    page.goto(base + "/accounts/login/")
    found.check(page, "anonymous sign-in")
    submit_password(page, base, "nobody.here@very-long-hospital-name.example", "not a password")
    expect(
        page.get_by_text("The email address and/or password you specified are not correct.")
    ).to_be_visible()
    found.check(page, "anonymous sign-in with an error")
    page.goto(base + "/accounts/password/reset/")
    found.check(page, "anonymous password reset")
    page.locator("input[name=email]").fill(demo.spare.email)
    page.locator("main button[type=submit]").click()
    found.check(page, "anonymous password reset sent")
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", mail.outbox[-1].body)
    assert link is not None, mail.outbox[-1].body
    page.goto(link.group(0))
    found.check(page, "anonymous new password")
    for name in ("password1", "password2"):
        page.locator(f"input[name={name}]").fill("a brand new demo passphrase 42")
    page.get_by_role("button", name="Change Password").click()
    found.check(page, "anonymous new password set")
    issued = invitation_create(
        actor=SystemActor("browser-test"),
        organisation=demo.organisation,
        email="new.colleague@very-long-hospital-name.example",
        role=InviteeRole.SPECIALIST,
    )
    page.goto(issued.url)
    found.check(page, "anonymous invitation")
    page.goto(base + "/accounts/invite/not-a-real-link/")
    found.check(page, "anonymous dead invitation link")
    page.goto(demo.unsubscribe_url)
    found.check(page, "anonymous unsubscribe")


def stale_sign_in(page: Page, base: str, role: str, found: Findings) -> None:
    """Age the sign-in past the re-authentication window; the confirm-it-is-you page shows."""
    name = django_settings.SESSION_COOKIE_NAME
    key = next(c["value"] for c in page.context.cookies() if c["name"] == name)
    session = SessionStore(session_key=key)
    session["account_authentication_methods"] = [
        {**r, "at": r["at"] - 3600} for r in session.get("account_authentication_methods", [])
    ]
    session.save()
    page.goto(base + "/accounts/sessions/")
    expect(page).to_have_url(re.compile(r"/reauthenticate/"))
    found.check(page, f"{role} confirm it is you")


def test_every_page_of_every_role_fits_a_phone_and_passes_axe(
    phone: BrowserContext, live_server: Any, settings: Any
) -> None:
    settings.WELLKEPT_BASE_URL = live_server.url
    base = live_server.url
    # Every kind of practice page is there at the small size.
    summary = demo_seed(participants=DEMO_PARTICIPANTS, practice=demo_practice.SMALL)
    demo = plant(summary.organisation)
    found = Findings()
    page = phone.new_page()
    anonymous_pages(page, base, demo, found)
    page.close()
    shared_done: dict[bool, set[str]] = {True: set(), False: set()}
    for login in demo.logins:
        phone.clear_cookies()
        page = phone.new_page()
        sign_in(page, base, login, found)
        if login.crawl:
            crawl(page, base, login, found, shared_done[login.staff])
        fill_in_forms(page, base, login.role, found)
        if not login.staff:
            stale_sign_in(page, base, login.role, found)
        # The header opens into a row of links on a wide screen: axe there too.
        page.set_viewport_size(DESKTOP)
        page.goto(base + "/")
        found.audit.check(page, f"{login.role} home page on a desktop screen")
        page.set_viewport_size(PHONE["viewport"])
        page.close()

    print(  # noqa: T201
        f"\n{found.audit.pages} pages checked for {len(demo.logins)} roles and before signing in; "
        f"{len(found.audit.found)} axe finding(s) in all:\n{found.audit.report() or 'none'}"
    )
    problems = [f"wider than a phone: {page}" for page in found.too_wide] + found.audit.failing
    assert problems == [], "\n".join(problems) + "\n\n" + found.audit.report()
    missed = every_named_page() - found.visited - set(NOT_PAGES) - set(ELSEWHERE)
    assert missed == set(), (
        f"pages no role visited (visit them, or say why they are not pages): {missed}"
    )


def test_the_width_check_sees_a_page_wider_than_the_screen(phone: BrowserContext) -> None:
    """Prove the measure: one unbroken word in a folded-away box is found."""
    page = phone.new_page()
    page.set_content(
        '<!doctype html><html lang="en"><title>t</title><main><details><summary>More</summary>'
        f"<p>{UNBROKEN}</p></details></main></html>"
    )
    found = Findings()
    found.check(page, "wide page")
    assert found.too_wide
    assert found.too_wide[0].startswith("wide page: ")
