"""Break-glass on a client's record (issue 18): the therapist's side (/practice/emergency/).

A therapist of the practice finds a client who is not theirs by code, says
why this is a safety emergency, confirms, and reads the client's record
for an hour under a banner that says so. The rule, the alert and the audit
are the services'; the page reads through ``get_emergency_record_for``, one
audited decision per part, 404 once the hour is over.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import fresh, org_query, practice_only, reauthenticate_then
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import BREAK_GLASS_PURPOSE, BREAK_GLASS_ROLES
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.forms import BreakGlassForm

RECORD = ResourceKind.CLIENT_RECORD
EMERGENCY = BREAK_GLASS_PURPOSE
# The break-glass roles of the policy (the specialist): nobody else reaches these pages.
BREAKING = BREAK_GLASS_ROLES


@policy(action=Action.READ, resource=RECORD, purpose=EMERGENCY)
@practice_only(what="practice-breakglass", roles=BREAKING)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def breakglass_open(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Open a client's record that is not one's own, in a safety emergency, after a fresh proof."""
    here = reverse("practice:breakglass_open") + org_query(organisation)
    if not fresh(request):
        return reauthenticate_then(request, here)
    # Bound on every POST, an empty one too, so that it says what is missing.
    form = BreakGlassForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        client = selectors.client_by_code(organisation=organisation, code=form.cleaned_data["code"])
        if client is None:
            services.breakglass_code_unknown(
                actor=request.user, organisation=organisation, request=request
            )
            form.add_error("code", "No client of this practice has this code.")
        else:
            try:
                opening = services.breakglass_open(
                    actor=request.user,
                    client=client,
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except PermissionDenied:
                # One's own client, or a role that lost its standing meanwhile:
                # the same words for both, and the refusal is audited.
                form.add_error(
                    "code",
                    "Break-glass is for a client of this practice who is not yours. Your own "
                    "clients are on your client list.",
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            else:
                messages.warning(
                    request,
                    f"Break-glass access until {opening.expires_at:%H:%M} UTC. The privacy "
                    "officer has been alerted and will review it.",
                )
                return HttpResponseRedirect(
                    reverse("practice:breakglass_record", args=[client.pk])
                    + org_query(organisation)
                )
    return render(
        request,
        "practice/practice/breakglass/open.html",
        {
            "organisation": organisation,
            "form": form,
            "minutes": services.BREAK_GLASS_MINUTES,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.READ, resource=RECORD, purpose=EMERGENCY)
@practice_only(what="practice-breakglass-record", roles=BREAKING)
@never_cache
@require_GET
def breakglass_record(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Show the client's record under a live break-glass opening: never psychotherapy notes."""
    record = selectors.get_emergency_record_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    return render(
        request,
        "practice/practice/breakglass/record.html",
        {
            "organisation": organisation,
            "record": record,
            "client": record.client,
            "opening": record.opening,
            "guardians": selectors.guardians(record.client),
            "therapists": [
                selectors.staff_label(t) for t in selectors.current_therapists(record.client)
            ],
            "org_query": org_query(organisation),
        },
    )
