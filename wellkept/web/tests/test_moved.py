"""Every address a page had before the audiences redirects to the page; nothing else does.

The expected new addresses are written out by hand, not derived from the
redirect table: if the table sends an old address somewhere else, this
fails. Anonymous visitors are enough: the redirect reads nothing and the
page it points to makes its own checks.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import resolve

from wellkept.web.moved import MOVED

pytestmark = pytest.mark.django_db

U = "00000000-0000-4000-8000-000000000000"

# Old address -> new address, and the URL name of the page it must land on.
CASES: list[tuple[str, str, str]] = [
    ("/accounts/invitations/", "/manage/invitations/", "accounts:invitation_list"),
    ("/accounts/invitations/new/", "/manage/invitations/new/", "accounts:invitation_new"),
    (
        "/accounts/invitations/0b9c1f4e-8a1d-4c2e-9f3a-5d6e7f8a9b0c/revoke/",
        "/manage/invitations/0b9c1f4e-8a1d-4c2e-9f3a-5d6e7f8a9b0c/revoke/",
        "accounts:invitation_revoke",
    ),
    ("/programme/", "/me/programme/", "assessments:programme"),
    ("/programme/join/", "/me/programme/join/", "assessments:join"),
    ("/programme/history/", "/me/programme/history/", "assessments:history"),
    (
        "/programme/check-in/pulse/start/",
        "/me/programme/check-in/pulse/start/",
        "assessments:start",
    ),
    (
        f"/programme/check-in/{U}/step/2/",
        f"/me/programme/check-in/{U}/step/2/",
        "assessments:step",
    ),
    (
        f"/programme/check-in/{U}/discard/",
        f"/me/programme/check-in/{U}/discard/",
        "assessments:discard",
    ),
    (
        f"/programme/check-in/{U}/result/",
        f"/me/programme/check-in/{U}/result/",
        "assessments:result",
    ),
    ("/programme/consent/", "/me/consent/", "consent:manage"),
    ("/programme/consent/update/", "/me/consent/update/", "consent:update"),
    ("/programme/consent/withdraw/", "/me/consent/withdraw/", "consent:withdraw"),
    ("/programme/consent/withdrawn/", "/me/consent/withdrawn/", "consent:withdrawn"),
    (f"/programme/consent/receipt/{U}.json", f"/me/consent/receipt/{U}.json", "consent:receipt"),
    ("/programme/consent/notice/3/", "/me/consent/notice/3/", "consent:notice_version"),
    ("/my-data/", "/me/data/", "lifecycle:mydata"),
    (
        "/my-data/download/my-data.json",
        "/me/data/download/my-data.json",
        "lifecycle:export_json",
    ),
    (
        "/my-data/download/my-data.fhir.json",
        "/me/data/download/my-data.fhir.json",
        "lifecycle:export_fhir",
    ),
    ("/my-data/reminders/", "/me/data/reminders/", "lifecycle:reminders"),
    ("/my-data/erase/", "/me/data/erase/", "lifecycle:erase"),
    ("/my-data/receipt-key/", "/privacy/receipt-key/", "lifecycle:receipt_key"),
    ("/my-data/privacy/retention/", "/privacy/retention/", "lifecycle:retention"),
    (
        "/my-data/privacy/retention/set/",
        "/privacy/retention/set/",
        "lifecycle:retention_update",
    ),
    ("/my-data/privacy/holds/", "/privacy/holds/", "lifecycle:hold_set"),
    (f"/my-data/privacy/holds/{U}/lift/", f"/privacy/holds/{U}/lift/", "lifecycle:hold_lift"),
    (
        f"/my-data/privacy/receipts/{U}.json",
        f"/privacy/receipts/{U}.json",
        "lifecycle:receipt_download",
    ),
    ("/my-data/privacy/requests/", "/privacy/requests/", "lifecycle:subject_request"),
    (
        "/my-data/privacy/requests/new/",
        "/privacy/requests/new/",
        "lifecycle:subject_request_new",
    ),
    (
        "/my-data/privacy/requests/not-a-uuid/",
        "/privacy/requests/not-a-uuid/",
        "lifecycle:subject_request_detail",
    ),
    (
        f"/my-data/privacy/requests/{U}/approve/",
        f"/privacy/requests/{U}/approve/",
        "lifecycle:subject_request_approve",
    ),
    (
        f"/my-data/privacy/requests/{U}/refuse/",
        f"/privacy/requests/{U}/refuse/",
        "lifecycle:subject_request_refuse",
    ),
    (
        f"/my-data/privacy/requests/{U}/export.json",
        f"/privacy/requests/{U}/export.json",
        "lifecycle:subject_export_json",
    ),
    (
        f"/my-data/privacy/requests/{U}/export.fhir.json",
        f"/privacy/requests/{U}/export.fhir.json",
        "lifecycle:subject_export_fhir",
    ),
    (
        f"/my-data/privacy/requests/{U}/erase/",
        f"/privacy/requests/{U}/erase/",
        "lifecycle:subject_erase",
    ),
    (
        "/reminders/unsubscribe/eyJ1IjoxfQ:1abc:sig/",
        "/me/reminders/unsubscribe/eyJ1IjoxfQ:1abc:sig/",
        "reminders:unsubscribe",
    ),
    ("/insights/", "/team/insights/", "insights:dashboard"),
    ("/insights/export.csv", "/team/insights/export.csv", "insights:export_csv"),
    ("/insights/export.pdf", "/team/insights/export.pdf", "insights:export_pdf"),
    ("/insights/settings/", "/privacy/disclosure/", "insights:settings"),
    ("/follow-up/", "/me/follow-up/", "followup:mine"),
    ("/follow-up/ask/", "/me/follow-up/ask/", "followup:ask"),
    ("/follow-up/reply/", "/me/follow-up/reply/", "followup:reply"),
    ("/follow-up/share/", "/me/follow-up/share/", "followup:share"),
    ("/follow-up/conversation/", "/me/follow-up/conversation/", "followup:conversation"),
    ("/follow-up/decline/", "/me/follow-up/decline/", "followup:decline"),
    ("/follow-up/how-it-works/", "/me/follow-up/how-it-works/", "followup:how"),
    ("/follow-up/team/", "/team/follow-up/", "followup:queue"),
    (f"/follow-up/team/case/{U}/", f"/team/follow-up/case/{U}/", "followup:case"),
    (f"/follow-up/team/case/{U}/take/", f"/team/follow-up/case/{U}/take/", "followup:case_take"),
    (
        f"/follow-up/team/case/{U}/assign/",
        f"/team/follow-up/case/{U}/assign/",
        "followup:case_assign",
    ),
    (
        f"/follow-up/team/case/{U}/message/",
        f"/team/follow-up/case/{U}/message/",
        "followup:message",
    ),
    (f"/follow-up/team/case/{U}/note/", f"/team/follow-up/case/{U}/note/", "followup:note"),
    (
        f"/follow-up/team/case/{U}/close/",
        f"/team/follow-up/case/{U}/close/",
        "followup:case_close",
    ),
    (
        f"/follow-up/team/case/{U}/identity/",
        f"/team/follow-up/case/{U}/identity/",
        "followup:identity_request",
    ),
    (
        f"/follow-up/team/case/{U}/break-glass/",
        f"/team/follow-up/case/{U}/break-glass/",
        "followup:breakglass",
    ),
    (f"/follow-up/team/grant/{U}/", f"/team/follow-up/grant/{U}/", "followup:grant"),
    (
        f"/follow-up/team/grant/{U}/name/",
        f"/team/follow-up/grant/{U}/name/",
        "followup:grant_identity",
    ),
    (
        f"/follow-up/api/v1/cases/{U}/identity-requests",
        f"/api/v1/cases/{U}/identity-requests",
        "followup:api_identity_request",
    ),
    ("/follow-up/privacy/", "/privacy/re-identification/", "followup:privacy_requests"),
    (
        f"/follow-up/privacy/grant/{U}/",
        f"/privacy/re-identification/grant/{U}/",
        "followup:privacy_grant",
    ),
    (
        f"/follow-up/privacy/grant/{U}/approve/",
        f"/privacy/re-identification/grant/{U}/approve/",
        "followup:privacy_approve",
    ),
    (
        f"/follow-up/privacy/grant/{U}/refuse/",
        f"/privacy/re-identification/grant/{U}/refuse/",
        "followup:privacy_refuse",
    ),
    (
        f"/follow-up/privacy/grant/{U}/review/",
        f"/privacy/re-identification/grant/{U}/review/",
        "followup:privacy_review",
    ),
    (
        f"/follow-up/privacy/grant/{U}/allow-break-glass/",
        f"/privacy/re-identification/grant/{U}/allow-break-glass/",
        "followup:privacy_breakglass_allow",
    ),
    (
        f"/follow-up/privacy/grant/{U}/end-exception/",
        f"/privacy/re-identification/grant/{U}/end-exception/",
        "followup:privacy_exception_end",
    ),
    (
        "/follow-up/privacy/deadlines/",
        "/privacy/re-identification/deadlines/",
        "followup:privacy_deadlines",
    ),
    (
        "/follow-up/privacy/refused/",
        "/privacy/re-identification/refused/",
        "followup:privacy_refused",
    ),
]

# Addresses that never existed, some next to ones that did: still 404.
NEVER_EXISTED = [
    "/follow-up/nope/",
    "/follow-up/team/case/not-a-uuid/",
    "/programme/check-in/not-a-uuid/result/",
    "/programme/consent/notice/latest/",
    "/my-data/privacy/",
    "/insights/settings/extra/",
    "/reminders/",
    "/reminders/unsubscribe/",
    "/me/insights/",
]


def test_it_walks_every_route_of_the_table():
    walked = {resolve(old).route for old, _, _ in CASES}
    assert walked == {route for route, _ in MOVED}
    assert len(CASES) == len(MOVED)


@pytest.mark.parametrize(("old", "new", "name"), CASES, ids=[c[0] for c in CASES])
def test_it_redirects_an_old_address_to_its_page(old, new, name):
    response = Client().get(old)
    assert response.status_code == 301
    assert response["Location"] == new
    assert resolve(new).view_name == name


@pytest.mark.parametrize("path", NEVER_EXISTED)
def test_it_answers_404_for_an_old_address_that_never_existed(path):
    assert Client().get(path).status_code == 404


def test_it_keeps_the_query_string():
    response = Client().get("/insights/", {"instrument": "phq2", "grain": "week"})
    assert response.status_code == 301
    assert response["Location"] == "/team/insights/?instrument=phq2&grain=week"


def test_it_adds_no_question_mark_without_a_query_string():
    assert Client().get("/insights/")["Location"] == "/team/insights/"


def test_it_keeps_the_method_of_a_post():
    # A one-click unsubscribe is POSTed by mail providers with no CSRF token:
    # it must reach the redirect, not a 403.
    client = Client(enforce_csrf_checks=True)
    response = client.post("/reminders/unsubscribe/eyJ1IjoxfQ:1abc:sig/", {"x": "1"})
    assert response.status_code == 308
    assert response["Location"] == "/me/reminders/unsubscribe/eyJ1IjoxfQ:1abc:sig/"


def test_it_answers_a_head_like_a_get():
    response = Client().head("/my-data/")
    assert response.status_code == 301
    assert response["Location"] == "/me/data/"


def test_it_does_not_redirect_an_address_that_did_not_move():
    response = Client().get("/privacy/processing/")
    assert response.status_code != 301
    assert resolve("/privacy/processing/").view_name == "privacy:processing"


@pytest.mark.parametrize(
    "old",
    [
        "/programme/?next=//evil.example/&next=https://evil.example/",
        "/reminders/unsubscribe/@evil.example/",
        "/reminders/unsubscribe/https:evil.example/",
        "/my-data/privacy/requests/%5C%5Cevil.example/",
    ],
)
def test_it_never_sends_anyone_off_site(old):
    response = Client().get(old)
    assert response.status_code == 301
    target = urlsplit(response["Location"])
    assert (target.scheme, target.netloc) == ("", "")
    assert target.path.startswith(("/me/", "/privacy/"))


def test_it_does_not_follow_a_slash_smuggled_into_a_parameter():
    # %2F decodes to "/", which no converter of an old route accepts.
    assert Client().get("/reminders/unsubscribe/%2F%2Fevil.example/").status_code == 404
