"""Release of information (issue 19): the privacy officer's page, ``/privacy/disclosures/``."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import org_query, privacy_officer_only
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.disclosures import selectors
from wellkept.orgs.models import Organisation


@policy(action=Action.READ, resource=ResourceKind.DISCLOSURE, purpose=Purpose.AUDIT_OVERSIGHT)
@privacy_officer_only(what="disclosures-practice-accounting")
@never_cache
@require_GET
def practice_accounting(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List every disclosure at the practice: when, which client, to whom, what kind, why."""
    if not selectors.practice_accounting_allowed(
        actor=request.user, organisation=organisation, request=request
    ):
        raise Http404
    return render(
        request,
        "disclosures/privacy/practice_accounting.html",
        {
            "organisation": organisation,
            "lines": selectors.practice_accounting(organisation),
            "org_query": org_query(organisation),
        },
    )
