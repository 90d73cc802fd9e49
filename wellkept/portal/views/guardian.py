"""A minor's guardian's portal pages, and the therapist's page deciding what they show.

A guardian's pages are reads of their own guardian's portal, found through
``selectors.guardian_page``: each is open only while its section is shared
and the client is still a minor. The therapist's page finds the minor
through ``client_for_sharing`` (the minor's current therapists only, never
the front desk or a supervisor), and the services decide again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy
from wellkept.access.guards import org_query, practice_only, signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.portal import selectors, services
from wellkept.portal.models import GuardianSection
from wellkept.practice.models import Client
from wellkept.practice.services import format_money

GUARDIAN = PolicyScope(resource=ResourceKind.GUARDIAN_PORTAL, purpose=Purpose.SELF_SERVICE)
SHARING = ResourceKind.GUARDIAN_SHARING
PURPOSE = Purpose.CLINICAL_CARE
THERAPISTS = frozenset({AccessRole.SPECIALIST})


def _name_of(client: Client) -> str:
    for value in (client.preferred_name, client.legal_name):
        if isinstance(value, str) and value:
            return value
    return "the young person"


# ---- The guardian's pages -----------------------------------------------------------------


@policy(action=Action.READ, **GUARDIAN)
@signed_in
@never_cache
@require_GET
def guardian_home(request: AuthenticatedRequest) -> HttpResponse:
    """The guardian's home: whom it is about, and the sections the therapist shares."""
    membership = selectors.guardian_page(
        actor=request.user, page=selectors.GUARDIAN_HOME, request=request
    )
    client = membership.guardian.client
    shared = selectors.shared_sections(client)
    return render(
        request,
        "portal/guardian/home.html",
        {
            "name": _name_of(client),
            "appointments": GuardianSection.APPOINTMENTS in shared,
            "invoices": GuardianSection.INVOICES in shared,
            "welcome": request.GET.get("welcome") == "1",
        },
    )


@policy(action=Action.READ, **GUARDIAN)
@signed_in
@never_cache
@require_GET
def guardian_appointments(request: AuthenticatedRequest) -> HttpResponse:
    """The minor's appointments, when shared: when, with whom, where; never notes."""
    membership = selectors.guardian_page(
        actor=request.user, page=GuardianSection.APPOINTMENTS, request=request
    )
    client = membership.guardian.client
    return render(
        request,
        "portal/guardian/appointments.html",
        {
            "name": _name_of(client),
            "upcoming": selectors.upcoming_appointments(client),
            "past": selectors.past_appointments(client),
        },
    )


@policy(action=Action.READ, **GUARDIAN)
@signed_in
@never_cache
@require_GET
def guardian_invoices(request: AuthenticatedRequest) -> HttpResponse:
    """The minor's invoices and balance, when shared."""
    membership = selectors.guardian_page(
        actor=request.user, page=GuardianSection.INVOICES, request=request
    )
    client = membership.guardian.client
    rows, balance = selectors.invoices(client)
    return render(
        request,
        "portal/guardian/invoices.html",
        {
            "name": _name_of(client),
            "invoices": [(i, format_money(i.total, i.currency)) for i in rows],
            "due": format_money(balance.due, balance.currency),
        },
    )


# ---- The therapist's page -----------------------------------------------------------------


def _back(client: Client, organisation: Organisation) -> str:
    return reverse("portal:guardians", kwargs={"pk": client.pk}) + org_query(organisation)


@policy(action=Action.READ, resource=SHARING, purpose=PURPOSE)
@practice_only(what="practice-portal-guardians", roles=THERAPISTS)
@never_cache
@require_GET
def guardians(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """What the minor's guardians see, and each guardian's portal access."""
    client = selectors.client_for_sharing(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    return render(
        request,
        "portal/practice/guardians.html",
        {
            "organisation": organisation,
            "client": client,
            "minor": selectors.still_a_minor(client),
            "shared": selectors.shared_sections(client),
            "sections": GuardianSection.choices,
            "guardians": selectors.guardians_of(client),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=SHARING, purpose=PURPOSE)
@practice_only(what="practice-portal-guardian-sharing", roles=THERAPISTS)
@require_POST
def guardian_sharing(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponseRedirect:
    """Save which sections the minor's guardians see (unticked: not shown)."""
    client = selectors.client_for_sharing(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.UPDATE
    )
    try:
        services.guardian_sharing_set(
            actor=request.user,
            client=client,
            sections=frozenset(request.POST.getlist("sections")),
            request=request,
        )
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Saved: the guardians see only what is ticked.")
    return HttpResponseRedirect(_back(client, organisation))


@policy(action=Action.CREATE, resource=SHARING, purpose=PURPOSE)
@practice_only(what="practice-portal-guardian-invite", roles=THERAPISTS)
@require_POST
def guardian_invite(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, guardian: Any
) -> HttpResponseRedirect:
    """Send (or send again) a guardian's portal invitation to the guardian's address."""
    client = selectors.client_for_sharing(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.CREATE
    )
    found = selectors.guardian_of(client, guardian, actor=request.user, request=request)
    try:
        issued = services.guardian_invitation_create(
            actor=request.user, guardian=found, request=request
        )
    except PermissionDenied:
        raise Http404 from None
    except services.PortalInvitationError as exc:
        messages.error(request, str(exc))
    else:
        until = issued.invitation.expires_at.strftime("%-d %b %Y, %H:%M UTC")
        messages.success(request, f"Invitation sent. The link works once, until {until}.")
    return HttpResponseRedirect(_back(client, organisation))


@policy(action=Action.DELETE, resource=SHARING, purpose=PURPOSE)
@practice_only(what="practice-portal-guardian-end", roles=THERAPISTS)
@require_POST
def guardian_end(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, guardian: Any
) -> HttpResponseRedirect:
    """End a guardian's portal access: their link stops working, their login is erased."""
    client = selectors.client_for_sharing(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.DELETE
    )
    found = selectors.guardian_of(client, guardian, actor=request.user, request=request)
    try:
        ended = services.guardian_access_end(actor=request.user, guardian=found, request=request)
    except PermissionDenied:
        raise Http404 from None
    if ended:
        messages.success(request, "The guardian's portal access has ended.")
    else:
        messages.error(request, "The guardian had no portal access to end.")
    return HttpResponseRedirect(_back(client, organisation))
