"""The practice's measurement-based care pages (/practice/clients/<pk>/measures/...) and alerts.

Measures are part of the client's clinical record: only the clinical roles
reach these pages (``practice_only`` with the therapists and supervisors),
and each reads what it shows through the measures' selectors, so a
therapist sees their own clients' measures and a supervisor those of their
supervisees' clients. The front desk, billing, the privacy officer and the
administrator get "not found".

The therapist records the client's answers in session. When an answer
signals risk, the page shows crisis resources at once, and the client's
therapists are alerted.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import org_query, practice_only
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.forms import MeasureAssignForm, measure_form_class
from wellkept.practice.models import Client
from wellkept.practice.views.acting import act_then_back

RECORD = ResourceKind.CLIENT_RECORD
PURPOSE = Purpose.CLINICAL_CARE
CLINICAL = frozenset({AccessRole.SPECIALIST, AccessRole.CLINICAL_SUPERVISOR})
THERAPISTS = frozenset({AccessRole.SPECIALIST})


def _measures_url(client: Client, organisation: Organisation) -> str:
    return reverse("practice:measures", args=[client.pk]) + org_query(organisation)


def _client(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> Client:
    return selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )


def _works_with(request: AuthenticatedRequest, client: Client) -> bool:
    return any(t.pk == request.user.pk for t in selectors.current_therapists(client))


def _choices() -> list[tuple[str, str]]:
    return [
        (code, services.practice_instrument(code).title) for code in services.PRACTICE_INSTRUMENTS
    ]


@policy(action=Action.READ, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-measures", roles=CLINICAL)
@never_cache
@require_GET
def measures_home(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """The client's measures: what is assigned and due, and each instrument's trend."""
    client = _client(request, organisation, pk)
    due, series = selectors.client_measures(actor=request.user, client=client, request=request)
    works_with = _works_with(request, client)
    return render(
        request,
        "practice/practice/measures/home.html",
        {
            "organisation": organisation,
            "client": client,
            "due": due,
            "series": series,
            "assign_form": MeasureAssignForm(choices=_choices()) if works_with else None,
            "may_record": works_with,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-measure-assign", roles=THERAPISTS)
@require_POST
def measure_assign(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Assign an instrument to the client, once or every N weeks."""
    client = _client(request, organisation, pk)
    form = MeasureAssignForm(request.POST, choices=_choices())
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return HttpResponseRedirect(_measures_url(client, organisation))
    return act_then_back(
        request,
        act=lambda: services.measure_assign(
            actor=request.user,
            client=client,
            instrument=form.cleaned_data["instrument"],
            every_weeks=form.cleaned_data["every_weeks"],
            request=request,
        ),
        done="Measure assigned.",
        back=_measures_url(client, organisation),
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-measure-record", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def measure_record(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, code: str
) -> HttpResponse:
    """Record the client's answers to one instrument, given in session."""
    client = _client(request, organisation, pk)
    if not _works_with(request, client):
        raise Http404
    try:
        instrument = services.practice_instrument(code)
    except ValidationError:
        raise Http404 from None
    form_class = measure_form_class(instrument)
    form = form_class(
        request.POST or None,
        initial={"administered_on": clock.now().date()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            result = services.measure_record(
                actor=request.user,
                client=client,
                instrument=instrument.code,
                answers=form.answers(),
                administered_on=form.cleaned_data["administered_on"],
                request=request,
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            data = selectors.result_data(result)
            if data.get("safety"):
                # Shown at once, on this response: not after a redirect the
                # therapist might not follow with the client in the room.
                return render(
                    request,
                    "practice/practice/measures/safety.html",
                    {
                        "organisation": organisation,
                        "client": client,
                        "instrument": instrument,
                        "crisis": selectors.crisis_resources(organisation),
                        "org_query": org_query(organisation),
                    },
                )
            messages.success(request, f"{instrument.short_title} recorded: {data.get('total')}.")
            return HttpResponseRedirect(_measures_url(client, organisation))
    return render(
        request,
        "practice/practice/measures/record.html",
        {
            "organisation": organisation,
            "client": client,
            "instrument": instrument,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.READ, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-measure-alerts", roles=CLINICAL)
@never_cache
@require_GET
def measure_alerts(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """One's own alerts: clients whose measure needs attention, by code."""
    rows = selectors.measure_alerts(actor=request.user, organisation=organisation, request=request)
    return render(
        request,
        "practice/practice/measures/alerts.html",
        {"organisation": organisation, "alerts": rows, "org_query": org_query(organisation)},
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-measure-assignment-end", roles=THERAPISTS)
@require_POST
def measure_assignment_end(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, assignment_pk: Any
) -> HttpResponse:
    """End one of the client's measure assignments: it is no longer due."""
    client = _client(request, organisation, pk)
    assignment = selectors.get_measure_assignment_for(
        actor=request.user, client=client, pk=assignment_pk, request=request
    )
    return act_then_back(
        request,
        act=lambda: services.measure_assignment_end(
            actor=request.user, assignment=assignment, request=request
        ),
        done="Measure assignment ended: it is no longer due.",
        back=_measures_url(client, organisation),
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-measure-alert-acknowledge", roles=THERAPISTS)
@require_POST
def measure_alert_acknowledge(
    request: AuthenticatedRequest, organisation: Organisation, alert_pk: Any
) -> HttpResponse:
    """Acknowledge one's own alert: seen and acted on; it leaves the practice home."""
    alert = selectors.get_measure_alert_for(
        actor=request.user, organisation=organisation, pk=alert_pk, request=request
    )
    return act_then_back(
        request,
        act=lambda: services.measure_alert_acknowledge(
            actor=request.user, alert=alert, request=request
        ),
        done=f"Alert for client {alert.client.code} acknowledged.",
        back=reverse("practice:measure_alerts") + org_query(organisation),
    )
