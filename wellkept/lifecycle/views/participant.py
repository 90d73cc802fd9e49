"""My data: everything kept about the participant, who saw it, downloads, reminders, erasure."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy
from wellkept.access.guards import own_participant, reauth_required, signed_in
from wellkept.access.policy import can, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.assessments import selectors as assessment_selectors
from wellkept.assessments.instruments import get_instrument
from wellkept.assessments.models import CheckIn, ReminderOptOut, Response
from wellkept.assessments.services import reminders_set
from wellkept.consent.selectors import consent_history, consent_state
from wellkept.followup.selectors import lookups_told
from wellkept.lifecycle import exports, selectors
from wellkept.lifecycle.services import participant_erase
from wellkept.lifecycle.tombstones import TombstoneJournalError
from wellkept.orgs.models import Participant
from wellkept.orgs.scopes import participant_resource

OWN: PolicyScope = {"resource": ResourceKind.PARTICIPANT_RECORD, "purpose": Purpose.SELF_SERVICE}
logger = logging.getLogger(__name__)
JOURNAL_BROKEN = (
    "Erasure is paused on this installation: its record of erased people needs repair by "
    "the administrator first, so that a later backup restore cannot bring anyone back. "
    "Nothing was erased. Please try again later, or ask the privacy officer."
)


def _own(request: HttpRequest) -> Participant | None:
    for membership in assessment_selectors.memberships(request.user):
        participant = own_participant(request, membership)
        if participant is not None:
            return participant
    return None


def _responses(request: HttpRequest, participant: Participant) -> list[dict[str, Any]]:
    rows = visible(
        request.user,
        Action.READ,
        Response.objects.filter(participant=participant).select_related("checkin__schedule"),
        Purpose.SELF_SERVICE,
        request=request,
    ).order_by("-submitted_on")
    listed = []
    for response in rows:
        payload = assessment_selectors.decode_payload(response)
        if payload is None:
            continue
        instrument = get_instrument(response.instrument, response.instrument_version)
        answers = []
        for item in instrument.items:
            value = payload["answers"].get(item.id)
            label = next((o.label for o in item.options if o.value == value), "not answered")
            answers.append({"question": item.text, "answer": label, "value": value})
        listed.append(
            {"response": response, "instrument": instrument, "payload": payload, "answers": answers}
        )
    return listed


@policy(action=Action.READ, **OWN)
@never_cache
@require_GET
@signed_in
def mydata(request: AuthenticatedRequest) -> HttpResponse:
    """Show everything kept about the participant, and what they can do with it."""
    participant = _own(request)
    if participant is None:
        return render(request, "lifecycle/participant/mydata_empty.html")
    log_resource = participant_resource(participant, "access-log", ResourceKind.AUDIT_TRAIL)
    access_log = (
        selectors.access_by_others(participant)
        if can(request.user, Action.READ, log_resource, Purpose.SELF_SERVICE, request=request)
        else []
    )
    context = {
        "participant": participant,
        "state": consent_state(participant),
        "history": consent_history(participant),
        "responses": _responses(request, participant),
        "unfinished": CheckIn.objects.filter(participant=participant, status="in_progress").count(),
        "alerts": participant.safety_alerts.count(),
        "reminders_on": not ReminderOptOut.objects.filter(participant=participant).exists(),
        "access_log": access_log,
        "lookups": lookups_told(actor=request.user, participant=participant, request=request),
    }
    return render(request, "lifecycle/participant/mydata.html", context)


def export_download(participant: Participant, what: str, name: str) -> HttpResponse:
    """Return the participant's export as an attachment: theirs, or a privacy officer's answer."""
    export = exports.FORMATS[what]
    body = json.dumps(export.build(participant), indent=2, default=str)
    response = HttpResponse(body, content_type=export.content_type)
    stamp = clock.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}{export.suffix}"'
    return response


def _download(request: AuthenticatedRequest, what: str) -> HttpResponse:
    participant = _own(request)
    if participant is None or not _export_allowed(request, participant, what):
        return HttpResponseRedirect(reverse("lifecycle:mydata"))
    return export_download(participant, what, "wellkept-my-data")


def _export_allowed(request: HttpRequest, participant: Participant, what: str) -> bool:
    resource = participant_resource(participant, f"export:{what}")
    return can(request.user, Action.EXPORT, resource, Purpose.SELF_SERVICE, request=request)


@policy(action=Action.EXPORT, also=(Action.READ,), **OWN)
@never_cache
@require_GET
@signed_in
def export_json(request: AuthenticatedRequest) -> HttpResponse:
    """Download everything kept about the participant as JSON."""
    return _download(request, "json")


@policy(action=Action.EXPORT, also=(Action.READ,), **OWN)
@never_cache
@require_GET
@signed_in
def export_fhir(request: AuthenticatedRequest) -> HttpResponse:
    """Download the participant's answers and consents as a FHIR R5 Bundle."""
    return _download(request, "fhir")


# On is a create and off a delete to the policy (``reminders_set``): off must
# work even after leaving, when collection may not go on.
@policy(action=Action.CREATE, also=(Action.DELETE, Action.READ), **OWN)
@require_POST
@signed_in
def reminders(request: AuthenticatedRequest) -> HttpResponse:
    """Turn reminder e-mails on or off."""
    participant = _own(request)
    if participant is None:
        return HttpResponseRedirect(reverse("lifecycle:mydata"))
    wanted = request.POST.get("reminders") == "on"
    try:
        reminders_set(actor=request.user, participant=participant, wanted=wanted, request=request)
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, "Reminder e-mails are on." if wanted else "Reminder e-mails are off."
        )
    return HttpResponseRedirect(reverse("lifecycle:mydata"))


@policy(action=Action.DELETE, also=(Action.READ,), **OWN)
@never_cache
@reauth_required
@require_http_methods(["GET", "POST"])
@signed_in
def erase(request: AuthenticatedRequest) -> HttpResponse:
    """Confirm, then erase everything: shred the key, delete the rows."""
    participant = _own(request)
    if participant is None:
        return HttpResponseRedirect(reverse("lifecycle:mydata"))
    error = None
    if request.method == "POST":
        if request.POST.get("confirm") != "erase":
            error = "Tick the box to confirm that you want everything erased."
        else:
            try:
                erasure = participant_erase(
                    actor=request.user, participant=participant, request=request
                )
            except ValidationError as exc:
                # A legal hold: said plainly, nothing erased.
                error = " ".join(exc.messages)
            except TombstoneJournalError:
                # The operator's message names files; the person gets what
                # happened and what to do.
                logger.error("erasure refused: the tombstone journal needs repair")
                error = JOURNAL_BROKEN
            else:
                # Rendered in answer to the POST rather than after a redirect:
                # the summary and the receipt would otherwise have to wait in
                # the session, a row that names the login, and say that this
                # login took part. The receipt travels in the page itself.
                receipt = json.dumps(erasure.receipt, indent=2, sort_keys=True)
                return render(
                    request,
                    "lifecycle/participant/erased.html",
                    {
                        "summary": erasure.summary,
                        "receipt": receipt,
                        "receipt_href": "data:application/json;charset=utf-8," + quote(receipt),
                        "receipt_name": f"wellkept-deletion-receipt-{erasure.receipt_id}.json",
                    },
                )
    return render(
        request,
        "lifecycle/participant/erase.html",
        {"participant": participant, "error": error},
        status=400 if error else 200,
    )
