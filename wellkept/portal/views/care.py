"""The client's appointment requests, cancellations and moves in the portal.

Each page finds the client's own membership (or appointment) first, an
audited 404 for anyone else; the services decide again and refuse inside
the practice's notice with a message that says to call.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy
from wellkept.access.guards import signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.assessments.forms import instrument_form_class
from wellkept.portal import care
from wellkept.portal import questionnaires as portal_measures
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


# ---- Questionnaires ---------------------------------------------------------------------

ANSWERS = PolicyScope(resource=ResourceKind.PORTAL_ANSWER, purpose=Purpose.SELF_SERVICE)


@policy(action=Action.READ, **ANSWERS)
@signed_in
@never_cache
@require_GET
def questionnaires(request: AuthenticatedRequest) -> HttpResponse:
    """The questionnaires the client's therapist asked them to answer, due now."""
    membership = own_page(actor=request.user, page="questionnaires", request=request)
    due = portal_measures.own_due_questionnaires(membership)
    return render(
        request,
        "portal/client/questionnaires.html",
        {"due": due, "past": portal_measures.own_results_all(membership)},
    )


@policy(action=Action.CREATE, **ANSWERS)
@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def questionnaire_answer(request: AuthenticatedRequest, code: str) -> HttpResponse:
    """Answer one due questionnaire on a phone-friendly form, then see the result at once."""
    _membership, instrument = portal_measures.own_questionnaire(
        actor=request.user, code=code, request=request
    )
    form = instrument_form_class(instrument)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = portal_measures.portal_measure_submit(
                actor=request.user, code=code, answers=dict(form.cleaned_data), request=request
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            return HttpResponseRedirect(
                reverse("portal:questionnaire_result", kwargs={"pk": result.pk})
            )
    return render(
        request, "portal/client/questionnaire.html", {"instrument": instrument, "form": form}
    )


@policy(action=Action.READ, **ANSWERS)
@signed_in
@never_cache
@require_GET
def questionnaire_result(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """The client's result: score, band and what it means; crisis lines first after a risk."""
    membership, shown = portal_measures.own_result(actor=request.user, pk=pk, request=request)
    crisis, crisis_line = portal_measures.crisis_lines(membership) if shown.safety else ([], "")
    return render(
        request,
        "portal/client/questionnaire_result.html",
        {
            "shown": shown,
            "crisis": crisis,
            "crisis_line": crisis_line,
            "history": portal_measures.own_results(membership, shown.instrument.code),
        },
    )
