"""The practice's side of portal appointment requests: the pending list, accept, decline.

The client's therapist and the front desk answer requests; billing and
clinical supervisors do not (the guard refuses them before the view, and
the policy again for every row). Accepting books through the practice's
schedule services, so a clash is refused with the calendar's own message.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
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
from wellkept.portal import care
from wellkept.portal.forms import AcceptRequestForm, DeclineRequestForm
from wellkept.portal.models import PortalAppointmentRequest
from wellkept.practice.models import Room
from wellkept.practice.views.acting import act_on_form

KIND = ResourceKind.PORTAL_REQUEST
PURPOSE = Purpose.CLINICAL_CARE
ANSWERERS = frozenset({AccessRole.SPECIALIST, AccessRole.FRONT_DESK})


def _times(row: PortalAppointmentRequest) -> list[str]:
    return [timezone.localtime(c).strftime("%a %-d %b %Y, %H:%M") for c in row.choices]


def _accept_form(
    row: PortalAppointmentRequest, organisation: Organisation, data: Any = None
) -> AcceptRequestForm:
    rooms = Room.objects.filter(organisation=organisation).order_by("name")
    return AcceptRequestForm(data, times=_times(row), rooms=rooms, prefix="accept")


def _render(
    request: AuthenticatedRequest,
    organisation: Organisation,
    row: PortalAppointmentRequest,
    accept: AcceptRequestForm,
    decline: DeclineRequestForm,
) -> HttpResponse:
    return render(
        request,
        "portal/practice/request.html",
        {
            "organisation": organisation,
            "row": row,
            "times": _times(row),
            "accept": accept,
            "decline": decline,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.READ, resource=KIND, purpose=PURPOSE)
@practice_only(what="practice-portal-requests", roles=ANSWERERS)
@never_cache
@require_GET
def request_list(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """The practice's pending portal requests the signed-in person may answer."""
    rows = care.pending_for_staff(actor=request.user, organisation=organisation, request=request)
    return render(
        request,
        "portal/practice/requests.html",
        {"organisation": organisation, "rows": rows, "org_query": org_query(organisation)},
    )


@policy(action=Action.READ, resource=KIND, purpose=PURPOSE)
@practice_only(what="practice-portal-request", roles=ANSWERERS)
@never_cache
@require_GET
def request_detail(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """One pending request: the client's times and note, accept one or decline."""
    row = care.request_for_staff(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    return _render(
        request,
        organisation,
        row,
        _accept_form(row, organisation),
        DeclineRequestForm(prefix="decline"),
    )


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE)
@practice_only(what="practice-portal-request-accept", roles=ANSWERERS)
@require_POST
def request_accept(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Book (or move to) the chosen time; a clash is shown beside the form."""
    row = care.request_for_staff(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    accept = _accept_form(row, organisation, request.POST)
    decline = DeclineRequestForm(prefix="decline")
    if accept.is_valid():
        done = act_on_form(
            request,
            accept,
            act=lambda: care.portal_request_accept(
                actor=request.user,
                appointment_request=row,
                choice=accept.cleaned_data["choice"],
                room=accept.cleaned_data["room"],
                request=request,
            ),
            done="Booked. The client has been told by e-mail to look at their portal.",
            then=reverse("portal:staff_requests") + org_query(organisation),
        )
        if done is not None:
            return done
    return _render(request, organisation, row, accept, decline)


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE)
@practice_only(what="practice-portal-request-decline", roles=ANSWERERS)
@require_POST
def request_decline(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Decline the request with a reason the client will read."""
    row = care.request_for_staff(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    accept = _accept_form(row, organisation)
    decline = DeclineRequestForm(request.POST, prefix="decline")
    if decline.is_valid():
        done = act_on_form(
            request,
            decline,
            act=lambda: care.portal_request_decline(
                actor=request.user,
                appointment_request=row,
                reason=decline.cleaned_data["reason"],
                request=request,
            ),
            done="Declined. The client has been told by e-mail to look at their portal.",
            then=reverse("portal:staff_requests") + org_query(organisation),
        )
        if done is not None:
            return done
    return _render(request, organisation, row, accept, decline)
