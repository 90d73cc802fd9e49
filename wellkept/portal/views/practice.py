"""The practice's side of the portal: a client's portal status, invite, re-send and revoke.

The client's therapist and the front desk hold these pages; billing and
clinical supervisors, who may read the client's page, do not. Each page
finds the client through ``client_for_portal``, which decides on the
client's invitations for the page's declared action and audits the
decision; the services decide again before they write.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import org_query, practice_only
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.portal import care, selectors, services
from wellkept.practice.models import Client

KIND = ResourceKind.PORTAL_INVITATION
PURPOSE = Purpose.CLINICAL_CARE
# Who invites: the client's therapist (the policy narrows it to their own
# clients) and the front desk.
INVITERS = frozenset({AccessRole.SPECIALIST, AccessRole.FRONT_DESK})


def _back(client: Client, organisation: Organisation) -> str:
    return reverse("portal:staff_status", kwargs={"pk": client.pk}) + org_query(organisation)


@policy(action=Action.READ, resource=KIND, purpose=PURPOSE)
@practice_only(what="practice-portal", roles=INVITERS)
@never_cache
@require_GET
def staff_status(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Show whether the client is invited to the portal or uses it, with the actions."""
    client = selectors.client_for_portal(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    status = selectors.portal_status(client)
    return render(
        request,
        "portal/practice/status.html",
        {
            "organisation": organisation,
            "client": client,
            "status": status,
            "has_email": bool(client.email),
            "pending": care.pending_for_client(actor=request.user, client=client, request=request),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=KIND, purpose=PURPOSE)
@practice_only(what="practice-portal-invite", roles=INVITERS)
@require_POST
def staff_invite(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponseRedirect:
    """Send (or send again) the client's portal invitation to the address on record."""
    client = selectors.client_for_portal(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    try:
        issued = services.portal_invitation_create(
            actor=request.user, client=client, request=request
        )
    except PermissionDenied:
        raise Http404 from None
    except services.PortalInvitationError as exc:
        messages.error(request, str(exc))
    else:
        until = issued.invitation.expires_at.strftime("%-d %b %Y, %H:%M UTC")
        said = "sent again; the earlier link no longer works" if issued.replaced else "sent"
        messages.success(request, f"Invitation {said}. The link works once, until {until}.")
    return HttpResponseRedirect(_back(client, organisation))


@policy(action=Action.DELETE, resource=KIND, purpose=PURPOSE)
@practice_only(what="practice-portal-revoke", roles=INVITERS)
@require_POST
def staff_revoke(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponseRedirect:
    """Make the client's pending invitation link stop working."""
    client = selectors.client_for_portal(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    try:
        revoked = services.portal_invitation_revoke(
            actor=request.user, client=client, request=request
        )
    except PermissionDenied:
        raise Http404 from None
    if revoked:
        messages.success(request, "Invitation revoked: the link no longer works.")
    else:
        messages.error(request, "There was no pending invitation to revoke.")
    return HttpResponseRedirect(_back(client, organisation))
