"""Discharging a client and taking them back (issue 18, part 6).

The confirmation page and the discharge are open to the client's own
therapists and the front desk; the service decides which right each uses
(the record for a therapist, administration for the front desk). Billing
and supervisors are refused by the guard or the policy alike, with a 404.
Re-admission is the front desk's alone.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import PRACTICE_DESK, practice_only
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.forms import DischargeForm
from wellkept.practice.models import ClientStatus
from wellkept.practice.views.acting import act_then_back

ADMIN = ResourceKind.PRACTICE_ADMIN
PURPOSE = Purpose.CLINICAL_CARE
# Who may discharge: the front desk, and a therapist of the client (the
# service checks the assignment through the policy).
DISCHARGERS = frozenset({AccessRole.FRONT_DESK, AccessRole.SPECIALIST})


def _detail_url(pk: Any, organisation: Organisation) -> str:
    return reverse("practice:client", args=[pk]) + "?" + urlencode({"org": organisation.slug})


def _discharged_message(done: services.Discharge) -> str:
    count = done.appointments_cancelled
    if not count:
        return f"Client {done.client.code} is discharged. No future appointment was booked."
    return (
        f"Client {done.client.code} is discharged. {count} future "
        f"appointment{'s were' if count > 1 else ' was'} cancelled."
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-client-discharge", roles=DISCHARGERS)
@never_cache
@require_http_methods(["GET", "POST"])
def client_discharge(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Ask for the reason and a confirmation, then discharge the client."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    if client.status == ClientStatus.DISCHARGED:
        messages.error(request, f"Client {client.code} was discharged already.")
        return HttpResponseRedirect(_detail_url(client.pk, organisation))
    form = DischargeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = services.client_discharge(
                    actor=request.user,
                    client=client,
                    reason_code=form.cleaned_data["reason_code"],
                    request=request,
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                form.add_error(None, " ".join(exc.messages))
            else:
                messages.success(request, _discharged_message(done))
                return HttpResponseRedirect(_detail_url(client.pk, organisation))
        status = 400
    return render(
        request,
        "practice/practice/discharge/confirm.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            "back": _detail_url(client.pk, organisation),
            "org_query": urlencode({"org": organisation.slug}),
        },
        status=status,
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-client-readmit", roles=PRACTICE_DESK)
@require_POST
def client_readmit(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Take a discharged client back into care."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    return act_then_back(
        request,
        act=lambda: services.client_readmit(actor=request.user, client=client, request=request),
        done=f"Client {client.code} is in care again: assign a therapist to continue.",
        back=_detail_url(client.pk, organisation),
    )
