"""The treatment plan pages for every role: allowed, or a 404 that looks like a missing page."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from wellkept.accounts.tests.conftest import record_authentication
from wellkept.practice import services
from wellkept.practice.models import PlanStatus, TreatmentPlan
from wellkept.practice.tests.conftest import ADA_LEGAL, signed_in
from wellkept.practice.tests.plans_helpers import OUTLINE, active_plan, draft_plan, in_days

pytestmark = pytest.mark.django_db

Q = "?org=harbour"
NOT_CLINICAL = ["fran", "bill", "priya", "amira", "olga", "oren"]


def url(name: str, *args: object) -> str:
    return reverse(f"practice:{name}", args=args) + Q


def fresh(user):
    browser = signed_in(user)
    record_authentication(browser, user, "mfa", at=time.time(), type="totp")
    return browser


@pytest.mark.parametrize("who", ["tess", "sue"])
def test_it_shows_the_plan_to_the_therapist_and_the_supervisor(practice, who):
    plan = active_plan(practice)
    browser = signed_in(practice.people[who])
    home = browser.get(url("plan", plan.client_id))
    assert home.status_code == 200
    assert "Plovercanary" in home.text
    version = browser.get(url("plan_version", plan.client_id, plan.pk))
    assert version.status_code == 200
    assert services.plan_digest(plan) in version.text


@pytest.mark.parametrize("who", [*NOT_CLINICAL, "theo"])
def test_it_answers_404_for_the_plan_to_anyone_else(practice, who):
    plan = active_plan(practice)
    browser = signed_in(practice.people[who])
    for page in (
        url("plan", plan.client_id),
        url("plan_version", plan.client_id, plan.pk),
        url("plan_new", plan.client_id),
        url("plan_client_sign", plan.client_id, plan.pk),
    ):
        response = browser.get(page)
        assert response.status_code == 404
        assert "Plovercanary" not in response.text


@pytest.mark.parametrize("who", NOT_CLINICAL)
def test_the_reviews_due_page_is_not_found_for_non_clinical_staff(practice, who):
    assert signed_in(practice.people[who]).get(url("plan_reviews")).status_code == 404


def test_the_supervisor_reads_but_may_not_write(practice):
    plan = draft_plan(practice)
    browser = signed_in(practice.people["sue"])
    assert browser.get(url("plan_new", plan.client_id)).status_code == 404
    assert browser.post(url("plan_edit", plan.client_id, plan.pk), {}).status_code == 404
    page = browser.get(url("plan_version", plan.client_id, plan.pk))
    assert reverse("practice:plan_sign", args=[plan.client_id, plan.pk]) not in page.text


def test_the_therapist_writes_a_plan_through_the_form(practice):
    ada = practice.clients["ada"]
    browser = signed_in(practice.people["tess"])
    assert browser.get(url("plan_new", ada.pk)).status_code == 200
    response = browser.post(
        url("plan_new", ada.pk), {"content": OUTLINE, "review_date": in_days(40).isoformat()}
    )
    plan = TreatmentPlan.objects.get(client=ada)
    assert response.status_code == 302
    assert response["Location"] == url("plan_version", ada.pk, plan.pk)
    assert plan.status == PlanStatus.DRAFT


def test_a_malformed_plan_gets_a_clear_message_not_an_error(practice):
    ada = practice.clients["ada"]
    response = signed_in(practice.people["tess"]).post(
        url("plan_new", ada.pk), {"content": "Goal: nothing first", "review_date": "soon"}
    )
    assert response.status_code == 200
    assert "start with a Problem" in response.text
    assert "YYYY-MM-DD" in response.text
    assert not TreatmentPlan.objects.exists()


def test_signing_asks_for_a_fresh_second_factor_then_activates(practice):
    plan = draft_plan(practice)
    stale = signed_in(practice.people["tess"]).post(url("plan_sign", plan.client_id, plan.pk))
    assert stale.status_code == 302
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT
    fresh(practice.people["tess"]).post(url("plan_sign", plan.client_id, plan.pk))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE


def test_a_new_version_starts_from_the_active_one(practice):
    plan = active_plan(practice)
    page = signed_in(practice.people["tess"]).get(url("plan_new", plan.client_id))
    assert "Plovercanary" in page.text


def test_the_client_signs_in_session_and_a_wrong_name_is_refused(practice):
    plan = active_plan(practice)
    browser = signed_in(practice.people["tess"])
    target = url("plan_client_sign", plan.client_id, plan.pk)
    wrong = browser.post(target, {"typed_name": "Somebody Else", "agreed": "on"})
    assert wrong.status_code == 200
    assert "full name" in wrong.text
    right = browser.post(target, {"typed_name": ADA_LEGAL, "agreed": "on"})
    assert right.status_code == 302
    plan.refresh_from_db()
    assert services.client_signature(plan)["digest"] == services.plan_digest(plan)
    page = browser.get(url("plan_version", plan.client_id, plan.pk))
    assert "this exact version" in page.text


def test_a_signed_version_cannot_be_edited_through_the_page(practice):
    plan = active_plan(practice)
    response = signed_in(practice.people["tess"]).post(
        url("plan_edit", plan.client_id, plan.pk),
        {"content": "Problem: changed", "review_date": in_days(9).isoformat()},
    )
    assert response.status_code == 302
    assert "changed" not in services.render_outline(
        services.plan_content(TreatmentPlan.objects.get(pk=plan.pk))
    )


def test_the_therapist_closes_the_active_plan(practice):
    plan = active_plan(practice)
    signed_in(practice.people["tess"]).post(url("plan_close", plan.client_id, plan.pk))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.CLOSED


def test_the_reviews_due_list_shows_codes_of_due_plans_only(practice):
    due = active_plan(practice, review_in=3)
    active_plan(practice, client="ben", author="theo", review_in=30)
    page = signed_in(practice.people["tess"]).get(url("plan_reviews"))
    assert page.status_code == 200
    assert practice.clients["ada"].code in page.text
    assert practice.clients["ben"].code not in page.text
    assert "Addie" not in page.text
    assert "Canaryvale" not in page.text
    assert due.review_date.isoformat() in page.text
    theo = signed_in(practice.people["theo"]).get(url("plan_reviews"))
    assert practice.clients["ada"].code not in theo.text


def test_the_client_pages_link_the_plan_for_clinicians_only(practice):
    ada = practice.clients["ada"]
    plan_link = reverse("practice:plan", args=[ada.pk])
    assert plan_link in signed_in(practice.people["tess"]).get(url("client", ada.pk)).text
    assert plan_link in signed_in(practice.people["sue"]).get(url("client", ada.pk)).text
    assert plan_link not in signed_in(practice.people["fran"]).get(url("client", ada.pk)).text
    reviews = reverse("practice:plan_reviews")
    assert reviews in signed_in(practice.people["tess"]).get(url("client_list")).text
    assert reviews not in signed_in(practice.people["fran"]).get(url("client_list")).text
