"""The client's appointment requests, cancellations and moves in the portal.

Each page finds the client's own membership (or appointment) first, an
audited 404 for anyone else; the services decide again and refuse inside
the practice's notice with a message that says to call.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy
from wellkept.access.guards import signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.portal import care
from wellkept.portal.forms import AppointmentRequestForm, NewAppointmentRequestForm
from wellkept.portal.selectors import own_page
from wellkept.practice.views.acting import act_on_form, act_then_back

OWN = PolicyScope(resource=ResourceKind.PORTAL_REQUEST, purpose=Purpose.SELF_SERVICE)


@policy(action=Action.CREATE, **OWN)
@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def requests(request: AuthenticatedRequest) -> HttpResponse:
    """The client's appointment requests and their answers, and a form to ask for a new one."""
    membership = own_page(actor=request.user, page="requests", request=request)
    form = NewAppointmentRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: care.portal_request_make(
                actor=request.user,
                choices=form.choices(),
                note=form.cleaned_data["note"],
                video=form.cleaned_data["video"],
                request=request,
            ),
            done="Your request is with the practice. You will get an e-mail when it is answered.",
            then=reverse("portal:requests"),
        )
        if done is not None:
            return done
    return render(
        request,
        "portal/client/requests.html",
        {
            "form": form,
            "rows": care.own_requests(membership),
            "days": settings.WELLKEPT_PORTAL_REQUEST_DAYS,
            "hours": settings.WELLKEPT_PORTAL_NOTICE_HOURS,
        },
    )


@policy(action=Action.CREATE, **OWN)
@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def appointment(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """One upcoming appointment: cancel it or ask to move it, or (inside the notice) call."""
    found = care.own_appointment(actor=request.user, pk=pk, request=request)
    form = AppointmentRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: care.portal_request_make(
                actor=request.user,
                choices=form.choices(),
                note=form.cleaned_data["note"],
                appointment=found,
                request=request,
            ),
            done="Your request to move the appointment is with the practice.",
            then=reverse("portal:requests"),
        )
        if done is not None:
            return done
    shown = care.own_state(found)
    return render(
        request,
        "portal/client/appointment.html",
        {
            "appointment": found,
            "shown": shown,
            "form": form,
            "hours": settings.WELLKEPT_PORTAL_NOTICE_HOURS,
            "late_fee_policy": settings.WELLKEPT_PORTAL_LATE_FEE_POLICY,
        },
    )


@policy(action=Action.UPDATE, **OWN)
@signed_in
@require_POST
def appointment_cancel(request: AuthenticatedRequest, pk: Any) -> HttpResponseRedirect:
    """Cancel one of the client's own appointments outside the practice's notice."""
    found = care.own_appointment(actor=request.user, pk=pk, request=request)
    return act_then_back(
        request,
        act=lambda: care.portal_appointment_cancel(
            actor=request.user, appointment=found, request=request
        ),
        done="The appointment is cancelled.",
        back=reverse("portal:appointments"),
    )
