"""View declarations: each decorator marks the view and changes nothing else."""

from __future__ import annotations

from django.http import HttpResponse

from wellkept.access.actions import Action
from wellkept.access.decorators import ViewPolicy, policy, public, self_service
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind


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
