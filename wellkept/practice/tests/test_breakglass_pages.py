"""Break-glass pages: the therapist's emergency access and the privacy officer's review."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.urls import reverse

from wellkept import clock
from wellkept.accounts.tests.conftest import record_authentication
from wellkept.audit.events import EventType
from wellkept.audit.tests import trail
from wellkept.practice import services
from wellkept.practice.models import ClientBreakGlass, ClientBreakGlassAllowance
from wellkept.practice.tests.conftest import signed_in
from wellkept.practice.tests.notes_helpers import SOAP, signed

pytestmark = pytest.mark.django_db

Q = "?org=harbour"
REASON = "Client rang the front desk saying they will harm themselves tonight; Tess is away."
SECRET = "Countertransference noted; Okapicanary dream again."


def fresh(user):
    browser = signed_in(user)
    record_authentication(browser, user, "mfa", at=time.time(), type="totp")
    return browser


def url(name: str, *args: object) -> str:
    return reverse(f"practice:{name}", args=args) + Q


def opening_form(code: str, reason: str = REASON, confirm: bool = True) -> dict[str, object]:
    return {"code": code, "reason": reason, **({"confirm": "on"} if confirm else {})}


def test_it_opens_a_clients_record_with_a_banner_and_never_psychotherapy_notes(practice):
    ada = practice.clients["ada"]
    signed(practice)
    services.pnote_write(actor=practice.people["tess"], client=ada, body=SECRET)
    theo = fresh(practice.people["theo"])
    assert theo.get(url("breakglass_open")).status_code == 200

    sent = theo.post(url("breakglass_open"), opening_form(ada.code.lower()))

    assert sent.status_code == 302
    assert sent["Location"] == url("breakglass_record", ada.pk)
    page = theo.get(sent["Location"])
    assert page.status_code == 200
    assert "Break-glass access." in page.text
    assert "UTC" in page.text
    assert ada.legal_name in page.text
    assert SOAP["subjective"] in page.text
    assert "Okapicanary" not in page.text
    assert reverse("practice:pnotes", args=[ada.pk]) not in page.text
    # The everyday pages of the client stay closed: break-glass reads its own page.
    assert theo.get(url("pnotes", ada.pk)).status_code == 404
    assert theo.get(url("notes", ada.pk)).status_code == 404


def test_it_asks_for_a_fresh_second_factor_before_the_form(practice):
    stale = signed_in(practice.people["theo"]).get(url("breakglass_open"))
    assert stale.status_code == 302
    assert "reauthenticate" in stale["Location"]


def test_it_answers_404_to_everyone_but_a_therapist_audited(practice):
    ada = practice.clients["ada"]
    for who in ("fran", "bill", "sue", "priya", "amira", "olga"):
        browser = fresh(practice.people[who])
        before = trail.mark()
        assert browser.get(url("breakglass_open")).status_code == 404, who
        assert browser.post(url("breakglass_open"), opening_form(ada.code)).status_code == 404
        assert browser.get(url("breakglass_record", ada.pk)).status_code == 404, who
        events = [e.event for e in trail.written_since(before)]
        assert events == [EventType.ACCESS_DENIED] * 3, who
    assert not ClientBreakGlass.objects.exists()


def test_it_says_what_is_wrong_with_the_form_never_a_500(practice):
    ada, otto = practice.clients["ada"], practice.clients["otto"]
    theo, tess = fresh(practice.people["theo"]), fresh(practice.people["tess"])
    cases = [
        (theo, {}, "Enter the client"),
        (theo, opening_form("C-ZZZZZ"), "No client of this practice has this code."),
        # Another practice's client is no client of this one.
        (theo, opening_form(otto.code), "No client of this practice has this code."),
        (theo, opening_form(ada.code, reason="urgent"), "at least 20 characters"),
        (theo, opening_form(ada.code, confirm=False), "Confirm that this is a safety emergency."),
        (tess, opening_form(ada.code), "not yours"),
        (theo, opening_form("x" * 5000), "Ensure this value has at most"),
    ]
    for browser, data, message in cases:
        page = browser.post(url("breakglass_open"), data)
        assert page.status_code == 200, message
        assert message in page.text
    assert not ClientBreakGlass.objects.exists()


def test_it_audits_an_attempt_on_a_code_no_client_has_without_keeping_what_was_typed(practice):
    theo = fresh(practice.people["theo"])
    otto = practice.clients["otto"]
    for typed in ("C-ZZZZZ", otto.code):
        before = trail.mark()
        page = theo.post(url("breakglass_open"), opening_form(typed))
        assert "No client of this practice has this code." in page.text
        (entry,) = trail.written_since(before)
        assert entry.event == EventType.ACCESS_DENIED
        assert entry.target == f"practice:{practice.harbour.pk}/break-glass"
        assert typed not in f"{entry.target} {entry.reason}"
    assert not ClientBreakGlass.objects.exists()


def test_it_answers_404_for_the_record_without_an_opening_and_once_it_ends(practice):
    ada = practice.clients["ada"]
    theo = fresh(practice.people["theo"])
    assert theo.get(url("breakglass_record", ada.pk)).status_code == 404
    assert theo.post(url("breakglass_open"), opening_form(ada.code)).status_code == 302
    assert theo.get(url("breakglass_record", ada.pk)).status_code == 200
    # The hour is over (moved in the data: moving the clock would end the session too).
    ended = clock.now() - dt.timedelta(seconds=1)
    ClientBreakGlass.objects.update(opened_at=ended - dt.timedelta(hours=1), expires_at=ended)
    assert theo.get(url("breakglass_record", ada.pk)).status_code == 404


def test_it_shows_why_a_second_opening_waits_for_the_review(practice):
    tess = fresh(practice.people["tess"])
    ben, mia = practice.clients["ben"], practice.clients["mia"]
    assert tess.post(url("breakglass_open"), opening_form(ben.code)).status_code == 302
    page = tess.post(
        url("breakglass_open"),
        opening_form(mia.code, reason="Guardian called: the child ran away from home today."),
    )
    assert page.status_code == 200
    assert "waits for a privacy officer" in page.text


def test_the_client_list_shows_the_way_in_to_therapists_only(practice):
    link = reverse("practice:breakglass_open")
    assert link in signed_in(practice.people["theo"]).get(url("client_list")).text
    for who in ("fran", "bill", "sue"):
        assert link not in signed_in(practice.people[who]).get(url("client_list")).text


# ---- The privacy officer's review -----------------------------------------------------


def test_the_privacy_officer_lists_reads_and_reviews_an_opening(practice):
    ada = practice.clients["ada"]
    opening = services.breakglass_open(actor=practice.people["theo"], client=ada, reason=REASON)
    priya = fresh(practice.people["priya"])
    reviews = reverse("practice:breakglass_reviews") + Q
    detail = reverse("practice:breakglass_review", args=[opening.pk]) + Q
    target = reverse("practice:breakglass_review_record", args=[opening.pk]) + Q

    listed = priya.get(reviews)
    assert listed.status_code == 200
    assert ada.code in listed.text
    assert ada.legal_name not in listed.text
    page = priya.get(detail)
    assert REASON in page.text
    assert SOAP["subjective"] not in page.text
    assert priya.post(target, {"note": "ok"}).status_code == 200

    before = trail.mark()
    done = priya.post(target, {"note": "Spoke with Theo: the call was real, access fair."})

    assert done.status_code == 302
    opening.refresh_from_db()
    assert opening.reviewed_by == practice.people["priya"]
    assert EventType.GRANT_REVIEWED in [e.event for e in trail.written_since(before)]


def test_nobody_else_reaches_the_review_pages(practice):
    ada = practice.clients["ada"]
    opening = services.breakglass_open(actor=practice.people["theo"], client=ada, reason=REASON)
    detail = reverse("practice:breakglass_review", args=[opening.pk]) + Q
    target = reverse("practice:breakglass_review_record", args=[opening.pk]) + Q
    for who in ("theo", "tess", "fran", "amira"):
        browser = fresh(practice.people[who])
        assert browser.get(reverse("practice:breakglass_reviews") + Q).status_code == 404
        assert browser.get(detail).status_code == 404
        assert browser.post(target, {"note": "All fine, nothing to see here."}).status_code == 404
    opening.refresh_from_db()
    assert opening.reviewed_at is None


def test_the_privacy_officer_allows_one_more_opening_from_the_review_page(practice):
    tess_user = practice.people["tess"]
    opening = services.breakglass_open(
        actor=tess_user, client=practice.clients["ben"], reason=REASON
    )
    detail = reverse("practice:breakglass_review", args=[opening.pk]) + Q
    target = reverse("practice:breakglass_allow", args=[opening.pk]) + Q
    reason = "Tess is on call alone tonight; a second crisis may not wait for my review."

    stale = signed_in(practice.people["priya"]).post(target, {"reason": reason})
    assert stale.status_code == 302
    assert "reauthenticate" in stale["Location"]
    priya = fresh(practice.people["priya"])
    assert "Allow one more opening before review" in priya.get(detail).text
    refused = priya.post(target, {"reason": "ok"})
    assert refused.status_code == 200
    assert "at least 20 characters" in refused.text
    assert not ClientBreakGlassAllowance.objects.exists()

    before = trail.mark()
    done = priya.post(target, {"reason": reason})

    assert done.status_code == 302
    assert EventType.BREAKGLASS_ALLOWED in [e.event for e in trail.written_since(before)]
    page = priya.get(detail)
    assert "One more opening allowed" in page.text
    assert "Allow one more opening before review" not in page.text
    tess = fresh(tess_user)
    mia = practice.clients["mia"]
    second = tess.post(
        url("breakglass_open"),
        opening_form(mia.code, reason="Guardian called: the child ran away from home today."),
    )
    assert second.status_code == 302
    assert ClientBreakGlassAllowance.objects.get().used_by is not None


def test_nobody_else_allows_another_opening(practice):
    opening = services.breakglass_open(
        actor=practice.people["theo"], client=practice.clients["ada"], reason=REASON
    )
    target = reverse("practice:breakglass_allow", args=[opening.pk]) + Q
    for who in ("theo", "tess", "fran", "bill", "amira"):
        browser = fresh(practice.people[who])
        sent = browser.post(target, {"reason": "A second emergency may come before review."})
        assert sent.status_code == 404, who
    assert not ClientBreakGlassAllowance.objects.exists()
