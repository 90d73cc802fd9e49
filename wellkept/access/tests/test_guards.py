"""The view guards in access.guards: one declaration per view, refusals that look like 404s."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import get_resolver

from wellkept.access import guards
from wellkept.access.actions import Action
from wellkept.access.decorators import (
    DeclarationMismatch,
    ViewPolicy,
    declaration_of,
    policy,
    serving,
)
from wellkept.access.guards import privacy_officer_only
from wellkept.access.policy import can, decide
from wellkept.access.purposes import Purpose
from wellkept.access.registry import _layers, walk
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.tests.conftest import enrol_totp
from wellkept.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

ERASE = ViewPolicy(
    "policy",
    action=Action.DELETE,
    resource=ResourceKind.SUBJECT_REQUEST,
    purpose=Purpose.LEGAL_OBLIGATION,
)


def requests_of(world) -> Resource:
    return Resource(
        kind=ResourceKind.SUBJECT_REQUEST,
        reference="subject_request:1/erase",
        organisation_id=world.st_annes.pk,
    )


def get(rf, user, **query) -> HttpRequest:
    request = rf.get("/privacy/x", query)
    request.user = user
    return request


# ---- The declaration and the check agree ---------------------------------------------


def test_it_refuses_a_check_of_another_action_on_the_declared_kind(world):
    priya = world.people["priya"]
    with serving(ERASE), pytest.raises(DeclarationMismatch, match="checks read on subject_request"):
        decide(
            actor=priya,
            action=Action.READ,
            resource=requests_of(world),
            purpose=Purpose.LEGAL_OBLIGATION,
        )


def test_it_lets_the_declared_action_and_other_kinds_through(world):
    priya = world.people["priya"]
    with serving(ERASE):
        assert decide(
            actor=priya,
            action=Action.DELETE,
            resource=requests_of(world),
            purpose=Purpose.LEGAL_OBLIGATION,
        ).allowed
        # Another kind (the participant's record the erasure then touches)
        # is the service's own decision, not this view's declaration.
        decide(
            actor=priya,
            action=Action.READ,
            resource=Resource(kind=ResourceKind.CONSENT_CONFIG, reference="x"),
            purpose=Purpose.LEGAL_OBLIGATION,
        )


def test_it_checks_nothing_outside_a_guarded_view(world):
    assert decide(
        actor=world.people["priya"],
        action=Action.READ,
        resource=requests_of(world),
        purpose=Purpose.LEGAL_OBLIGATION,
    ).allowed


def test_a_privacy_page_that_checks_another_action_than_it_declares_fails(rf, world):
    priya = world.people["priya"]
    enrol_totp(priya)

    @policy(action=Action.DELETE, resource=ResourceKind.SUBJECT_REQUEST, purpose="legal_obligation")
    @privacy_officer_only(what="subject-requests")
    def erase(request: HttpRequest, organisation) -> HttpResponse:
        # Declares DELETE, checks READ: the disagreement lifecycle had.
        can(request.user, Action.READ, requests_of(world), Purpose.LEGAL_OBLIGATION)
        return HttpResponse("erased")

    @policy(action=Action.DELETE, resource=ResourceKind.SUBJECT_REQUEST, purpose="legal_obligation")
    @privacy_officer_only(what="subject-requests")
    def agreed(request: HttpRequest, organisation) -> HttpResponse:
        can(request.user, Action.DELETE, requests_of(world), Purpose.LEGAL_OBLIGATION)
        return HttpResponse(f"erased at {organisation.slug}")

    # Refused like a page the person may not open, and audited; the
    # mismatch itself is reported as a request exception (see test_decorators).
    with pytest.raises(Http404):
        erase(get(rf, priya))
    assert AuditEntry.objects.filter(
        event="access.denied", reason="the view checks another action than it declares"
    ).exists()
    assert agreed(get(rf, priya)).content == b"erased at st-annes"


def test_every_privacy_officer_page_declares_its_policy():
    guarded = [
        (route, declaration_of(pattern.callback))
        for route, pattern in walk(get_resolver().url_patterns)
        if any(
            getattr(layer, "wellkept_guard", None) == "privacy_officer"
            for layer in _layers(pattern.callback)
        )
    ]
    assert len(guarded) >= 20  # consent, followup, lifecycle and insights pages
    assert [route for route, found in guarded if found is None or found.kind != "policy"] == []


def test_a_guard_without_a_policy_declaration_is_refused(rf, world):
    @privacy_officer_only(what="nothing")
    def undeclared(request: HttpRequest, organisation) -> HttpResponse:
        return HttpResponse("shown")

    with pytest.raises(ImproperlyConfigured, match="needs @policy"):
        undeclared(get(rf, world.people["priya"]))


# ---- Refusals ------------------------------------------------------------------------


@policy(action=Action.READ, resource=ResourceKind.CONSENT_CONFIG, purpose="audit_oversight")
@privacy_officer_only(what="processing")
def processing(request: HttpRequest, organisation) -> HttpResponse:
    return HttpResponse(organisation.slug)


def test_it_serves_the_privacy_officer_with_a_second_factor(rf, world):
    priya = world.people["priya"]
    enrol_totp(priya)
    assert processing(get(rf, priya)).content == b"st-annes"


def test_it_refuses_the_privacy_officer_without_a_second_factor(rf, world):
    with pytest.raises(Http404):
        processing(get(rf, world.people["priya"]))
    assert AuditEntry.objects.filter(
        event="access.denied", reason="privacy pages need a second factor"
    ).exists()


def test_it_refuses_another_organisations_page_with_a_404(rf, world):
    priya = world.people["priya"]
    enrol_totp(priya)
    with pytest.raises(Http404):
        processing(get(rf, priya, org=world.elsewhere.slug))
    assert AuditEntry.objects.filter(event="access.denied").exists()


def test_it_refuses_everyone_when_no_organisation_choice_is_registered(rf, world, monkeypatch):
    priya = world.people["priya"]
    enrol_totp(priya)
    monkeypatch.setattr(guards, "_ORGANISATION_CHOICE", [])
    with pytest.raises(Http404):
        processing(get(rf, priya))


def test_it_counts_no_second_factor_when_none_is_registered(world, monkeypatch):
    priya = world.people["priya"]
    enrol_totp(priya)
    assert guards.has_second_factor(priya)
    monkeypatch.setattr(guards, "_SECOND_FACTOR_TYPES", [])
    assert not guards.has_second_factor(priya)


def test_a_declared_further_action_is_let_through_and_no_other(world):
    shows_and_updates = ViewPolicy(
        "policy",
        action=Action.UPDATE,
        resource=ResourceKind.CONSENT_CONFIG,
        purpose=Purpose.AUDIT_OVERSIGHT,
        also=(Action.READ,),
    )
    settings = Resource(
        kind=ResourceKind.CONSENT_CONFIG,
        reference=f"settings:{world.st_annes.pk}",
        organisation_id=world.st_annes.pk,
    )
    args = {"actor": world.people["priya"], "resource": settings, "purpose": "audit_oversight"}
    with serving(shows_and_updates):
        decide(action=Action.READ, **args)
        decide(action=Action.UPDATE, **args)
        with pytest.raises(DeclarationMismatch, match="also read"):
            decide(action=Action.DELETE, **args)


def test_it_never_serves_an_anonymous_caller_a_privacy_page(rf, world):
    # What lets the guarded views type their request as AuthenticatedRequest.
    with pytest.raises(Http404):
        processing(get(rf, AnonymousUser()))
    assert AuditEntry.objects.filter(event="access.denied", actor_id="").exists()
