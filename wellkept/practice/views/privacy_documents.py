"""The practice's consent document templates (issue 19): the privacy officer's side (/privacy/).

The privacy officer reads every version of each document and publishes a
new one. Publishing adds a version; it never changes one, so what a
client signed stays what they signed. Everyone else gets "not found".
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import org_query, privacy_officer_only
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.forms import DocumentPublishForm
from wellkept.practice.services.documents import templates_resource
from wellkept.practice.views.acting import act_on_form

TEMPLATES = ResourceKind.CONSENT_CONFIG
PUBLISHING = Purpose.LEGAL_OBLIGATION


@policy(action=Action.READ, resource=TEMPLATES, purpose=PUBLISHING)
@privacy_officer_only(what="practice-consent-documents")
@never_cache
@require_GET
def document_templates(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List the practice's consent documents, each with its versions, newest first."""
    can(request.user, Action.READ, templates_resource(organisation), PUBLISHING, request=request)
    return render(
        request,
        "practice/privacy/documents.html",
        {
            "organisation": organisation,
            "kinds": selectors.versions_by_kind(organisation),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=TEMPLATES, purpose=PUBLISHING)
@privacy_officer_only(what="practice-consent-document-publish")
@never_cache
@require_http_methods(["GET", "POST"])
def document_publish(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Publish a new version of one consent document."""
    kind = request.GET.get("kind", "")
    initial = {}
    latest = services.latest_version(organisation, kind) if kind else None
    if latest is not None:
        initial = {"kind": kind, "title": latest.title, "body": latest.body}
    form = DocumentPublishForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.document_version_publish(
                actor=request.user,
                organisation=organisation,
                kind=form.cleaned_data["kind"],
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                request=request,
            ),
            done=lambda v: (
                f"Version {v.number} is published; clients are asked for it from now on."
            ),
            then=reverse("practice:document_templates") + org_query(organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/privacy/document_publish.html",
        {"organisation": organisation, "form": form, "org_query": org_query(organisation)},
    )
