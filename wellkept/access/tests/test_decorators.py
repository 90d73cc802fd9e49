"""View declarations: each marks the view; ``@policy`` also holds it to what it declares."""

from __future__ import annotations

import sys

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.signals import got_request_exception
from django.http import Http404, HttpResponse

from wellkept.access.actions import Action
from wellkept.access.decorators import (
    DeclarationMismatch,
    ViewPolicy,
    check_declared,
    declaration_of,
    declared_action,
    policy,
    public,
    self_service,
    serving_declaration,
)
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.audit.models import AuditEntry


def view(request):
    return HttpResponse("ok")


def test_it_marks_a_public_view():
    marked = public(view)
    assert marked is view
    assert marked.wellkept_policy == ViewPolicy("public")


def test_it_marks_a_self_service_view():
    def own_page(request):
        return HttpResponse("ok")

    assert self_service(own_page).wellkept_policy.kind == "self_service"


def test_it_records_action_resource_and_purpose():
    @policy(action="read", resource="org_config", purpose="service_administration")
    def settings_page(request):
        return HttpResponse("ok")

    assert settings_page.wellkept_policy == ViewPolicy(
        "policy",
        action=Action.READ,
        resource=ResourceKind.ORG_CONFIG,
        purpose=Purpose.SERVICE_ADMINISTRATION,
    )


# ---- The declaration is enforced -------------------------------------------------------

HELD = {
    "action": Action.UPDATE,
    "resource": ResourceKind.ORG_CONFIG,
    "purpose": Purpose.SERVICE_ADMINISTRATION,
}


def _org_settings() -> Resource:
    return Resource(kind=ResourceKind.ORG_CONFIG, reference="org_config:test")


@pytest.fixture
def reported():
    """Collect what the request-exception signal carries, as the test client and trackers do."""
    heard: list[BaseException | None] = []

    def hear(**kwargs):
        heard.append(sys.exc_info()[1])

    got_request_exception.connect(hear)
    yield heard
    got_request_exception.disconnect(hear)


@pytest.mark.django_db
def test_it_serves_the_view_under_its_declaration(rf):
    @policy(**HELD)
    def page(request):
        return HttpResponse(str(serving_declaration()))

    request = rf.get("/x")
    request.user = AnonymousUser()
    assert page(request).content == b"policy(update, org_config, service_administration)"
    assert page.__code__.co_qualname == "_enforce.<locals>.held"
    assert serving_declaration() is None


@pytest.mark.django_db
def test_it_refuses_a_view_that_checks_another_action_with_an_audited_404(rf, reported):
    @policy(**HELD)
    def page(request):
        # Declares UPDATE, checks DELETE: the copies disagree.
        can(request.user, Action.DELETE, _org_settings(), Purpose.SERVICE_ADMINISTRATION)
        return HttpResponse("changed")

    request = rf.get("/x")
    request.user = AnonymousUser()
    with pytest.raises(Http404):
        page(request)
    assert AuditEntry.objects.filter(
        event="access.denied",
        outcome="denied",
        reason="the view checks another action than it declares",
    ).exists()
    # Reported as the request's exception: the test client re-raises it.
    assert [type(e) for e in reported] == [DeclarationMismatch]


@pytest.mark.django_db
def test_it_lets_a_view_that_checks_its_declared_action_through(rf, reported):
    @policy(**HELD)
    def page(request):
        can(request.user, Action.UPDATE, _org_settings(), Purpose.SERVICE_ADMINISTRATION)
        return HttpResponse("changed")

    request = rf.get("/x")
    request.user = AnonymousUser()
    assert page(request).content == b"changed"
    assert reported == []


def test_it_raises_a_mismatch_outside_a_request():
    @policy(**HELD)
    def job() -> None:
        check_declared(Action.DELETE, ResourceKind.ORG_CONFIG)

    with pytest.raises(DeclarationMismatch):
        job()


def test_an_accessor_takes_the_declared_action_on_the_declared_kind_only():
    @policy(**HELD)
    def page() -> tuple[Action, Action]:
        return (
            declared_action(ResourceKind.ORG_CONFIG, Action.READ),
            declared_action(ResourceKind.FOLLOW_UP_CASE, Action.READ),
        )

    assert page() == (Action.UPDATE, Action.READ)
    assert declared_action(ResourceKind.ORG_CONFIG, Action.READ) == Action.READ


def test_a_command_class_carries_its_declaration_unchanged():
    @policy(**HELD)
    class Command:
        pass

    assert isinstance(Command, type)
    assert Command.wellkept_policy.action == Action.UPDATE


def test_every_declared_page_in_the_urlconf_is_held_to_its_declaration():
    # No exemptions: each view that declares a policy runs inside it, so
    # a check of another action on the declared kind cannot pass quietly.
    from django.urls import URLPattern, URLResolver, get_resolver

    def callbacks(patterns):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from callbacks(entry.url_patterns)
            elif isinstance(entry, URLPattern):
                yield entry.callback

    declared = [
        view
        for view in callbacks(get_resolver().url_patterns)
        if (found := declaration_of(view)) is not None and found.kind == "policy"
    ]
    assert len(declared) > 50
    loose = [v.__qualname__ for v in declared if v.__code__.co_qualname != "_enforce.<locals>.held"]
    assert loose == []
