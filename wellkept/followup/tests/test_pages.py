"""Every follow-up page, for every role: the designed answer, 404 for the rest.

The URLs are read from the app's urlconf, so a page added later without a
line here fails ``test_it_knows_every_page``.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from wellkept.followup import urls
from wellkept.followup.models import IdentityGrant
from wellkept.followup.reidentification import reidentification_request
from wellkept.followup.tests.conftest import assigned_to, sign_in

pytestmark = pytest.mark.django_db

# Pages anyone signed in may open (they show only the person's own, or nothing).
OWN_PAGES = {"mine", "ask", "reply", "share", "conversation", "decline", "how"}
TEAM_PAGES = {
    "queue",
    "case",
    "case_take",
    "case_assign",
    "message",
    "note",
    "case_close",
    "identity_request",
    "api_identity_request",
    "breakglass",
    "grant",
    "grant_identity",
}
PRIVACY_PAGES = {
    "privacy_requests",
    "privacy_grant",
    "privacy_approve",
    "privacy_refuse",
    "privacy_review",
    "privacy_breakglass_allow",
    "privacy_exception_end",
    "privacy_refused",
    "privacy_deadlines",
}
BY_CASE = {"case", "case_take", "case_assign", "message", "note", "case_close"}
BY_CASE |= {"identity_request", "api_identity_request", "breakglass"}
BY_GRANT = {"grant", "grant_identity"} | (
    PRIVACY_PAGES - {"privacy_requests", "privacy_refused", "privacy_deadlines"}
)


def names(patterns: list[URLPattern]) -> set[str | None]:
    return {p.name for p in patterns}


def test_it_knows_every_page():
    # Each page in its audience's list, and no page outside the lists.
    assert names(urls.participant_patterns) == OWN_PAGES
    assert names(urls.team_patterns) | names(urls.api_patterns) == TEAM_PAGES
    assert names(urls.privacy_patterns) == PRIVACY_PAGES


@pytest.fixture
def targets(world, case):
    case = assigned_to(case, world.people["sam"])
    grant = reidentification_request(
        actor=world.people["sam"],
        case=case,
        purpose="safety_emergency",
        reason="No reply for three days after a safety alert was raised.",
    )
    return case, grant


def url_for(name, case, grant):
    if name in BY_CASE:
        return reverse(f"followup:{name}", args=[case.pk])
    if name in BY_GRANT:
        return reverse(f"followup:{name}", args=[grant.pk])
    return reverse(f"followup:{name}")


@pytest.mark.parametrize("persona", ["lena", "amira", "colin", "farah", "oscar"])
def test_team_and_privacy_pages_are_not_found_for_other_roles(client, world, targets, persona):
    case, grant = targets
    sign_in(client, world.people[persona], fresh_mfa=True)
    for name in sorted(TEAM_PAGES | PRIVACY_PAGES):
        if persona == "oscar" and name in (
            "privacy_requests",
            "privacy_refused",
            "privacy_deadlines",
        ):
            continue  # his own organisation's lists
        for method in (client.get, client.post):
            response = method(url_for(name, case, grant))
            assert response.status_code in (404, 405), (persona, name, response.status_code)
    grant.refresh_from_db()
    assert grant.status == "pending"


def test_the_specialist_reaches_team_pages_and_not_privacy_pages(client, world, targets):
    case, grant = targets
    sign_in(client, world.people["sam"], fresh_mfa=True)
    for name in ("queue", "case", "identity_request", "breakglass", "grant", "grant_identity"):
        assert client.get(url_for(name, case, grant)).status_code == 200, name
    for name in sorted(PRIVACY_PAGES):
        assert client.get(url_for(name, case, grant)).status_code in (404, 405), name


def test_the_privacy_officer_reaches_privacy_pages_and_not_cases(client, world, targets):
    case, grant = targets
    sign_in(client, world.people["priya"], fresh_mfa=True)
    for name in ("privacy_requests", "privacy_grant", "privacy_refused", "privacy_deadlines"):
        assert client.get(url_for(name, case, grant)).status_code == 200, name
    for name in ("queue", "case", "grant", "grant_identity"):
        assert client.get(url_for(name, case, grant)).status_code == 404, name
    assert IdentityGrant.objects.count() == 1


def test_pages_that_change_things_refuse_get(client, world, targets):
    case, grant = targets
    sign_in(client, world.people["sam"])
    for name in ("case_take", "message", "note", "case_close", "case_assign"):
        assert client.get(url_for(name, case, grant)).status_code == 405, name
