"""The team's and the leaders' audience guards: the audience in the page's organisation, or 404."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import PRACTICE_DESK, leaders_only, practice_only, team_only
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.tests.conftest import SYSTEM
from wellkept.accounts.models import User
from wellkept.audit.models import AuditEntry
from wellkept.orgs import services
from wellkept.orgs.models import Role

pytestmark = pytest.mark.django_db


@policy(action=Action.READ, resource=ResourceKind.FOLLOW_UP_CASE, purpose="burnout_follow_up")
@team_only(what="follow-up-queue")
def queue(request: HttpRequest, organisation) -> HttpResponse:
    return HttpResponse(organisation.slug)


@policy(
    action=Action.VIEW_AGGREGATE,
    resource=ResourceKind.AGGREGATE,
    purpose=Purpose.QUALITY_IMPROVEMENT_AGGREGATE,
)
@leaders_only(what="dashboard")
def dashboard(request: HttpRequest, organisation) -> HttpResponse:
    return HttpResponse(organisation.slug)


def get(rf, user, **query) -> HttpRequest:
    request = rf.get("/team/x", query)
    request.user = user
    return request


def refused(view, request) -> None:
    before = AuditEntry.objects.filter(event="access.denied").count()
    with pytest.raises(Http404):
        view(request)
    assert AuditEntry.objects.filter(event="access.denied").count() == before + 1


def leader_elsewhere(world) -> User:
    leo = User.objects.create_user("leo@elsewhere.example", None)
    services.staff_membership_grant(
        actor=SYSTEM, user=leo, organisation=world.elsewhere, role=Role.LEADER
    )
    return leo


# ---- The follow-up team --------------------------------------------------------------


@pytest.mark.parametrize("member", ["wendy", "sam"])
def test_it_serves_the_follow_up_team_their_organisation(rf, world, member):
    assert queue(get(rf, world.people[member])).content == b"st-annes"


@pytest.mark.parametrize("outsider", ["lena", "priya", "amira", "fran", "pia"])
def test_it_refuses_anyone_off_the_team_with_an_audited_404(rf, world, outsider):
    refused(queue, get(rf, world.people[outsider]))


def test_it_refuses_a_team_member_another_organisations_queue(rf, world):
    # Oscar is on Elsewhere's team, not St Anne's.
    assert queue(get(rf, world.people["oscar"])).content == b"elsewhere"
    refused(queue, get(rf, world.people["oscar"], org="st-annes"))


def test_it_refuses_an_anonymous_visitor_the_team_page(rf, world):
    refused(queue, get(rf, AnonymousUser()))


# ---- The leaders' dashboards ---------------------------------------------------------


def test_it_serves_a_leader_their_organisations_dashboard(rf, world):
    assert dashboard(get(rf, world.people["lena"])).content == b"st-annes"


@pytest.mark.parametrize("outsider", ["sam", "priya", "amira", "pia"])
def test_it_refuses_anyone_outside_the_dashboards_audience(rf, world, outsider):
    refused(dashboard, get(rf, world.people[outsider]))


def test_it_refuses_a_leader_of_another_organisation(rf, world):
    leo = leader_elsewhere(world)
    assert dashboard(get(rf, leo)).content == b"elsewhere"
    refused(dashboard, get(rf, leo, org="st-annes"))


def test_it_refuses_an_anonymous_visitor_the_dashboard(rf, world):
    refused(dashboard, get(rf, AnonymousUser()))


def test_a_guard_without_a_declaration_is_refused(rf, world):
    @team_only(what="nothing")
    def undeclared(request: HttpRequest, organisation) -> HttpResponse:
        return HttpResponse("shown")

    with pytest.raises(ImproperlyConfigured, match="needs @policy"):
        undeclared(get(rf, world.people["wendy"]))


# ---- The practice's staff ------------------------------------------------------------


@policy(action=Action.READ, resource=ResourceKind.PRACTICE_ADMIN, purpose=Purpose.CLINICAL_CARE)
@practice_only(what="practice-clients")
def clients(request: HttpRequest, organisation) -> HttpResponse:
    return HttpResponse(organisation.slug)


@policy(action=Action.CREATE, resource=ResourceKind.PRACTICE_ADMIN, purpose=Purpose.CLINICAL_CARE)
@practice_only(what="practice-intake", roles=PRACTICE_DESK)
def intake(request: HttpRequest, organisation) -> HttpResponse:
    return HttpResponse(organisation.slug)


@pytest.mark.parametrize("member", ["sam", "fran", "bill", "sue"])
def test_it_serves_the_practice_staff_their_organisation(rf, world, member):
    assert clients(get(rf, world.people[member])).content == b"st-annes"


@pytest.mark.parametrize("outsider", ["lena", "wendy", "priya", "amira", "pia", "oscar"])
def test_it_refuses_anyone_outside_the_practice_with_an_audited_404(rf, world, outsider):
    refused(clients, get(rf, world.people[outsider], org="st-annes"))


def test_it_serves_intake_to_the_front_desk_only(rf, world):
    assert intake(get(rf, world.people["fran"])).content == b"st-annes"
    for other in ("sam", "bill", "sue"):
        refused(intake, get(rf, world.people[other]))


def test_it_refuses_an_anonymous_visitor_the_practice_pages(rf, world):
    refused(clients, get(rf, AnonymousUser(), org="st-annes"))


def test_it_needs_a_declaration_above_the_practice_guard(rf, world):
    @practice_only(what="undeclared")
    def undeclared(request: HttpRequest, organisation) -> HttpResponse:
        return HttpResponse("")

    with pytest.raises(ImproperlyConfigured):
        undeclared(get(rf, world.people["fran"]))
