"""The participant's consent pages: change choices, agree to a new notice, withdraw, receipts.

Also the notice itself, as published, which receipts link to.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy, self_service
from wellkept.access.guards import own_participant, signed_in
from wellkept.access.policy import get_for
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.consent import services
from wellkept.consent.forms import ConsentChoicesForm
from wellkept.consent.models import ConsentRecord, Notice
from wellkept.consent.receipts import consent_receipt
from wellkept.consent.selectors import consent_history, consent_state, current_notice
from wellkept.orgs.models import Participant
from wellkept.orgs.selectors import affiliated_organisations, participant_for_user

OWN_CONSENT: PolicyScope = {
    "resource": ResourceKind.CONSENT_RECORD,
    "purpose": Purpose.SELF_SERVICE,
}


@dataclass(frozen=True)
class _Enrolment:
    participant: Participant | None


def _participant(request: HttpRequest) -> Participant:
    # The person's rows found by the keyed login link, organisation by
    # organisation as the programme's pages find them; read straight from
    # orgs, since consent sits below the programme (assessments).
    for organisation in affiliated_organisations(request.user):
        found = participant_for_user(user=request.user, organisation=organisation)
        participant = own_participant(request, _Enrolment(found))
        if participant is not None:
            return participant
    raise Http404("No such record.")


@policy(action=Action.READ, **OWN_CONSENT)
@never_cache
@require_GET
@signed_in
def manage(request: AuthenticatedRequest) -> HttpResponse:
    """Show the current choices and notice, with the form to change them or agree again."""
    participant = _participant(request)
    state = consent_state(participant)
    record = state.record
    form = ConsentChoicesForm(
        initial={
            "follow_up_contact": bool(record and record.take_part and record.follow_up_contact),
            "safety_alert": bool(record and record.take_part and record.safety_alert),
            "notice_version": state.notice.version if state.notice else 0,
        }
    )
    return render(
        request,
        "consent/participant/manage.html",
        {"state": state, "form": form, "history": consent_history(participant)},
    )


@policy(action=Action.CREATE, **OWN_CONSENT)
@require_POST
@signed_in
def update(request: AuthenticatedRequest) -> HttpResponse:
    """Take part under the current notice with the chosen options (join again, renew, change)."""
    participant = _participant(request)
    state = consent_state(participant)
    form = ConsentChoicesForm(request.POST)
    if state.notice is None:
        raise Http404("No notice is published.")
    if not form.is_valid() or form.cleaned_data["notice_version"] != state.notice.version:
        messages.error(
            request,
            "The notice changed while you were reading it. Please read this version and "
            "choose again.",
        )
        return HttpResponseRedirect(reverse("consent:manage"))
    try:
        record = services.consent_record(
            actor=request.user,
            participant=participant,
            notice=state.notice,
            take_part=True,
            follow_up_contact=form.cleaned_data["follow_up_contact"],
            safety_alert=form.cleaned_data["safety_alert"],
            request=request,
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return HttpResponseRedirect(reverse("consent:manage"))
    if state.record is not None and record.pk == state.record.pk:
        messages.info(request, "Nothing changed.")
    else:
        messages.success(request, f"Your choices are saved ({record.get_event_display().lower()}).")
    return HttpResponseRedirect(reverse("assessments:programme"))


@policy(action=Action.CREATE, **OWN_CONSENT)
@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def withdraw(request: AuthenticatedRequest) -> HttpResponse:
    """Confirm, then stop all collection at once and offer to erase everything."""
    participant = _participant(request)
    state = consent_state(participant)
    if not state.taking_part:
        return HttpResponseRedirect(reverse("lifecycle:mydata"))
    if request.method == "POST":
        if state.notice is None:
            raise Http404("No notice is published.")
        try:
            # Against the current notice: withdrawing ends consent to every
            # version. The service also throws away unfinished check-ins.
            services.consent_record(
                actor=request.user,
                participant=participant,
                notice=state.notice,
                take_part=False,
                follow_up_contact=False,
                safety_alert=False,
                request=request,
            )
        except ValidationError:
            # A new notice was published a moment ago: withdraw against it.
            fresh = consent_state(participant).notice
            if fresh is None:
                raise Http404("No notice is published.") from None
            services.consent_record(
                actor=request.user,
                participant=participant,
                notice=fresh,
                take_part=False,
                follow_up_contact=False,
                safety_alert=False,
                request=request,
            )
        return HttpResponseRedirect(reverse("consent:withdrawn"))
    return render(request, "consent/participant/withdraw.html", {"state": state})


@policy(action=Action.READ, **OWN_CONSENT)
@require_GET
@signed_in
def withdrawn(request: AuthenticatedRequest) -> HttpResponse:
    """Confirm the withdrawal and offer to erase everything."""
    return render(request, "consent/participant/withdrawn.html")


@policy(action=Action.EXPORT, **OWN_CONSENT)
@never_cache
@require_GET
@signed_in
def receipt(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Download the receipt of one consent decision as JSON."""
    record = get_for(
        actor=request.user,
        queryset=ConsentRecord.objects.select_related(
            "notice", "participant", "participant__organisation"
        ),
        pk=pk,
        action=Action.EXPORT,
        purpose=Purpose.SELF_SERVICE,
        request=request,
    )
    body = json.dumps(consent_receipt(record), indent=2, sort_keys=True)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"wellkept-consent-receipt-{record.recorded_at:%Y%m%d}-{str(record.pk)[:8]}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# ---- The notice, as published ---------------------------------------------------------


@self_service
@require_GET
@signed_in
def notice_version(request: AuthenticatedRequest, version: int) -> HttpResponse:
    """Show one published version of the notice of the signed-in person's organisation."""
    # A notice holds nothing personal; it is shown to the people it was
    # written for (clinicians and staff of the organisation), so receipts'
    # policy links lead somewhere for the person holding them.
    notice = (
        Notice.objects.filter(
            organisation__in=affiliated_organisations(request.user), version=version
        )
        .select_related("organisation")
        .order_by("organisation__name")
        .first()
    )
    if notice is None:
        raise Http404
    current = current_notice(notice.organisation_id)
    return render(
        request,
        "consent/participant/notice_version.html",
        {
            "notice": notice,
            "is_current": current is not None and current.pk == notice.pk,
            "current": current,
        },
    )
