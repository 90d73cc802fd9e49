"""The privacy officer's lifecycle pages: retention, legal holds, receipts, data-subject requests.

Every page answers 404 to anyone but the organisation's privacy officer
(``privacy_officer_only``, shared with the other privacy pages). A
data-subject request received outside the app is recorded by one privacy
officer and approved by another before it reaches anyone
(``subject_requests``); every step is audited by reference.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy, public
from wellkept.access.guards import fresh, privacy_officer_only, reauthenticate_then
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.followup.models import Case
from wellkept.lifecycle import receipts, selectors, subject_requests
from wellkept.lifecycle.forms import (
    EraseForm,
    HoldForm,
    LiftForm,
    RetentionForm,
    SubjectRequestForm,
)
from wellkept.lifecycle.models import DeletionReceipt, ErasureRule, LegalHold
from wellkept.lifecycle.services import (
    held,
    legal_hold_lift,
    legal_hold_set,
    participant_erase,
    retention_resource,
    retention_set,
)
from wellkept.lifecycle.subject_requests import PURPOSE as REQUEST_PURPOSE
from wellkept.lifecycle.tombstones import TombstoneJournalError
from wellkept.lifecycle.views.participant import export_download
from wellkept.orgs.models import Organisation

OVERSIGHT = Purpose.AUDIT_OVERSIGHT
RETENTION = ResourceKind.RETENTION_CONFIG
REQUESTS = ResourceKind.SUBJECT_REQUEST


def _with_org(name: str, organisation: Organisation, **query: str) -> str:
    return f"{reverse(name)}?{urlencode({'org': organisation.slug, **query})}"


def _messages(exc: Exception) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def _retention_page(
    request: HttpRequest,
    organisation: Organisation,
    *,
    retention_form: RetentionForm | None = None,
    hold_form: HoldForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "organisation": organisation,
        "settings": selectors.retention_settings(organisation),
        "retention_form": retention_form,
        "hold_form": hold_form or HoldForm(),
        "holds": selectors.holds_in_force(organisation),
        "lifted": selectors.holds_lifted(organisation),
        "receipts": selectors.receipts_for(organisation),
        "org_query": urlencode({"org": organisation.slug}),
    }
    return render(request, "lifecycle/privacy/retention.html", context, status=status)


@policy(action=Action.READ, resource=RETENTION, purpose=OVERSIGHT)
@privacy_officer_only(what="retention")
@never_cache
@require_GET
def retention(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show the retention periods, the legal holds and the deletion receipts."""
    if not can(
        request.user,
        Action.READ,
        retention_resource(organisation, "settings"),
        OVERSIGHT,
        request=request,
    ):
        raise Http404(NOT_FOUND_MESSAGE)
    return _retention_page(request, organisation)


@policy(action=Action.UPDATE, resource=RETENTION, purpose=OVERSIGHT)
@privacy_officer_only(what="retention")
@require_POST
def retention_update(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Change one category's retention period."""
    form = RetentionForm(request.POST)
    if not form.is_valid():
        return _retention_page(request, organisation, retention_form=form, status=400)
    try:
        row = retention_set(
            actor=request.user,
            organisation=organisation,
            category=form.cleaned_data["category"],
            months=form.cleaned_data["months"],
            request=request,
        )
    except ValidationError as exc:
        form.add_error("months", exc)
        return _retention_page(request, organisation, retention_form=form, status=400)
    except PermissionDenied:
        raise Http404(NOT_FOUND_MESSAGE) from None
    messages.success(request, f"{row.get_category_display()}: now kept {row.months} months.")
    return HttpResponseRedirect(_with_org("lifecycle:retention", organisation))


@policy(action=Action.CREATE, resource=RETENTION, purpose=OVERSIGHT)
@privacy_officer_only(what="holds")
@require_POST
def hold_set(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Put a legal hold on a participant (by token), one follow-up case, or a client (by code)."""
    form = HoldForm(request.POST)
    if not form.is_valid():
        return _retention_page(request, organisation, hold_form=form, status=400)
    case = None
    if form.cleaned_data["case"]:
        case = (
            Case.objects.select_related("participant")
            .filter(pk=form.cleaned_data["case"].strip(), organisation=organisation)
            .first()
        )
        if case is None:
            form.add_error("case", "No follow-up case with this reference in this organisation.")
            return _retention_page(request, organisation, hold_form=form, status=400)
    try:
        legal_hold_set(
            actor=request.user,
            organisation=organisation,
            token=form.cleaned_data["token"],
            case=case,
            client_code=form.cleaned_data["client"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _retention_page(request, organisation, hold_form=form, status=400)
    except PermissionDenied:
        raise Http404(NOT_FOUND_MESSAGE) from None
    messages.success(request, "The legal hold is in force: retention skips what it covers.")
    return HttpResponseRedirect(_with_org("lifecycle:retention", organisation))


@policy(action=Action.UPDATE, resource=RETENTION, purpose=OVERSIGHT)
@privacy_officer_only(what="holds")
@require_POST
def hold_lift(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Lift a legal hold."""
    hold = (
        LegalHold.objects.select_related("participant", "client", "organisation")
        .filter(pk=pk, organisation=organisation, lifted_at__isnull=True)
        .first()
    )
    if hold is None:
        raise Http404(NOT_FOUND_MESSAGE)
    form = LiftForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("reason", [])))
        return HttpResponseRedirect(_with_org("lifecycle:retention", organisation))
    try:
        legal_hold_lift(
            actor=request.user, hold=hold, reason=form.cleaned_data["reason"], request=request
        )
    except ValidationError as exc:
        messages.error(request, _messages(exc))
    except PermissionDenied:
        raise Http404(NOT_FOUND_MESSAGE) from None
    else:
        messages.success(request, "The hold is lifted; retention applies again from its next run.")
    return HttpResponseRedirect(_with_org("lifecycle:retention", organisation))


def _receipt_download(document: Any, receipt_id: Any) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, indent=2, sort_keys=True), content_type="application/json"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="wellkept-deletion-receipt-{receipt_id}.json"'
    )
    return response


@policy(action=Action.READ, resource=RETENTION, purpose=OVERSIGHT)
@privacy_officer_only(what="receipts")
@never_cache
@require_GET
def receipt_download(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Download one signed deletion receipt (a digest and counts, no content)."""
    receipt = DeletionReceipt.objects.filter(pk=pk, organisation=organisation).first()
    resource = retention_resource(organisation, f"receipt:{pk}")
    if receipt is None or not can(request.user, Action.READ, resource, OVERSIGHT, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return _receipt_download(receipt.document, receipt.pk)


@public
@login_not_required
@require_GET
def receipt_key(request: HttpRequest) -> HttpResponse:
    """Publish the public key that verifies deletion receipts."""
    return render(
        request,
        "lifecycle/privacy/receipt_key.html",
        {"pem": receipts.public_key_pem(), "key_id": receipts.key_id()},
    )


# --- data-subject requests received outside the app ---------------------------------


def _requests_page(
    request: AuthenticatedRequest,
    organisation: Organisation,
    *,
    form: SubjectRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "organisation": organisation,
        "form": form or SubjectRequestForm(),
        "mine": subject_requests.recorded_by(actor=request.user, organisation=organisation),
        "to_decide": subject_requests.pending_for(actor=request.user, organisation=organisation),
        "now": clock.now(),
    }
    return render(request, "lifecycle/privacy/subject_request.html", context, status=status)


def _request_url(name: str, organisation: Organisation, pk: Any) -> str:
    return f"{reverse(name, args=[pk])}?{urlencode({'org': organisation.slug})}"


@policy(action=Action.READ, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(what="subject-requests")
@never_cache
@require_GET
def subject_request(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List the requests: record one, yours, and other officers' waiting for a decision."""
    resource = subject_requests.organisation_resource(organisation, "list")
    if not can(request.user, Action.READ, resource, REQUEST_PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return _requests_page(request, organisation)


@policy(action=Action.CREATE, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(what="subject-requests")
@sensitive_post_parameters("email", "reason")
@require_POST
def subject_request_new(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Record a request received outside the app; another privacy officer decides."""
    form = SubjectRequestForm(request.POST)
    if not form.is_valid():
        return _requests_page(request, organisation, form=form, status=400)
    try:
        subject_requests.subject_request_record(
            actor=request.user,
            organisation=organisation,
            email=form.cleaned_data["email"],
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _requests_page(request, organisation, form=form, status=400)
    except PermissionDenied:
        raise Http404(NOT_FOUND_MESSAGE) from None
    messages.success(
        request,
        "The request is recorded. Another privacy officer must approve it before you can see "
        "whether the address reaches anyone here.",
    )
    return HttpResponseRedirect(_with_org("lifecycle:subject_request", organisation))


def _decide(
    request: AuthenticatedRequest, organisation: Organisation, pk: str, *, approve: bool
) -> HttpResponse:
    back = _with_org("lifecycle:subject_request", organisation)
    found = subject_requests.get_pending_request_for(
        actor=request.user, organisation=organisation, id=pk, request=request
    )
    try:
        subject_requests.subject_request_decide(
            actor=request.user, subject_request=found, approve=approve, request=request
        )
    except subject_requests.ReauthenticationNeeded:
        return reauthenticate_then(request, back)
    except ValidationError as exc:
        messages.error(request, _messages(exc))
        return HttpResponseRedirect(back)
    except PermissionDenied:
        # Recorded by the policy or the service; the same 404 as a missing request.
        raise Http404(NOT_FOUND_MESSAGE) from None
    messages.success(
        request,
        "Approved: the officer who recorded it can answer it for the next 24 hours."
        if approve
        else "Refused: nothing about the person will be shown.",
    )
    return HttpResponseRedirect(back)


@policy(action=Action.UPDATE, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(what="subject-requests")
@require_POST
def subject_request_approve(
    request: AuthenticatedRequest, organisation: Organisation, pk: str
) -> HttpResponse:
    """Approve another officer's request, with a fresh second factor."""
    stale = _stale(request, _with_org("lifecycle:subject_request", organisation))
    if stale is not None:
        return stale
    return _decide(request, organisation, pk, approve=True)


@policy(action=Action.UPDATE, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(what="subject-requests")
@require_POST
def subject_request_refuse(
    request: AuthenticatedRequest, organisation: Organisation, pk: str
) -> HttpResponse:
    """Refuse another officer's request."""
    return _decide(request, organisation, pk, approve=False)


@policy(action=Action.READ, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(what="subject-requests")
@never_cache
@require_GET
def subject_request_detail(
    request: AuthenticatedRequest, organisation: Organisation, pk: str
) -> HttpResponse:
    """Show whom your approved request reaches (a code number, or nobody) and answer it."""
    found = subject_requests.get_subject_request_for(
        actor=request.user,
        id=pk,
        action=Action.READ,
        what="summary",
        organisation=organisation,
        request=request,
    )
    participant = found.participant
    context = {
        "organisation": organisation,
        "subject_request": found,
        "participant": participant,
        "held": held(participant) if participant is not None else False,
        "can_export": found.kind in subject_requests.EXPORT_KINDS,
        "can_erase": found.kind in subject_requests.ERASE_KINDS,
        "erase_form": EraseForm(),
        "receipt_url": _request_url("lifecycle:receipt_download", organisation, found.receipt_id)
        if found.receipt_id
        else "",
    }
    return render(request, "lifecycle/privacy/subject_request_detail.html", context)


def _answering(
    request: AuthenticatedRequest, organisation: Organisation, pk: str, what: str
) -> Any:
    found = subject_requests.get_subject_request_for(
        actor=request.user,
        id=pk,
        action=Action.EXPORT,
        what=what,
        organisation=organisation,
        kinds=subject_requests.EXPORT_KINDS,
        request=request,
    )
    if found.participant is None:
        # Approved but reaching nobody (or erased since): nothing to export.
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def _stale(request: HttpRequest, then: str | None = None) -> HttpResponse | None:
    """Send a privacy officer without a fresh second factor to prove it, before any export.

    An export is everything held about a person in clear, so an abandoned
    session must not be enough. Asked before the request is looked up: the
    prompt is the same for every reference, so it tells nothing about which
    requests exist, and no export is recorded for a download that never left.
    """
    if fresh(request):
        return None
    return reauthenticate_then(request, then or request.get_full_path())


def _export(
    request: AuthenticatedRequest, organisation: Organisation, pk: str, what: str
) -> HttpResponse:
    """Download what an approved request reaches, after a fresh second factor."""
    stale = _stale(request)
    if stale is not None:
        return stale
    found = _answering(request, organisation, pk, what)
    return export_download(found.participant, what, "wellkept-subject-access")


@policy(action=Action.EXPORT, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(what="subject-requests")
@never_cache
@require_GET
def subject_export_json(
    request: AuthenticatedRequest, organisation: Organisation, pk: str
) -> HttpResponse:
    """Export everything held about the person an approved request reaches, as JSON."""
    return _export(request, organisation, pk, "json")


@policy(action=Action.EXPORT, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(what="subject-requests")
@never_cache
@require_GET
def subject_export_fhir(
    request: AuthenticatedRequest, organisation: Organisation, pk: str
) -> HttpResponse:
    """Export the answers and consents of the person a request reaches, as a FHIR R5 Bundle."""
    return _export(request, organisation, pk, "fhir")


@policy(action=Action.DELETE, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(what="subject-requests")
@require_POST
def subject_erase(
    request: AuthenticatedRequest, organisation: Organisation, pk: str
) -> HttpResponse:
    """Erase the person an approved erasure request reaches, with a fresh second factor."""
    found = subject_requests.get_subject_request_for(
        actor=request.user,
        id=pk,
        action=Action.DELETE,
        what="erase",
        organisation=organisation,
        kinds=subject_requests.ERASE_KINDS,
        request=request,
    )
    if found.participant is None:
        raise Http404(NOT_FOUND_MESSAGE)
    back = _request_url("lifecycle:subject_request_detail", organisation, found.pk)
    if not fresh(request):
        # Decided first (above), so a prompt never tells an outsider the request exists.
        return reauthenticate_then(request, back)
    form = EraseForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("confirm", [])))
        return HttpResponseRedirect(back)
    try:
        erasure = participant_erase(
            actor=request.user,
            participant=found.participant,
            rule=ErasureRule.OUTSIDE_REQUEST,
            subject_request=found,
            request=request,
            close_account=form.cleaned_data["close_account"],
        )
    except ValidationError as exc:
        messages.error(request, _messages(exc))
        return HttpResponseRedirect(back)
    except TombstoneJournalError as exc:
        # The privacy officer relays it to the administrator: the message
        # names the journal file and what to do.
        messages.error(request, f"Nothing was erased. {exc}")
        return HttpResponseRedirect(back)
    except (PermissionDenied, Http404):
        raise Http404(NOT_FOUND_MESSAGE) from None
    return render(
        request,
        "lifecycle/privacy/subject_erased.html",
        {
            "organisation": organisation,
            "summary": erasure.summary,
            "receipt_url": _request_url(
                "lifecycle:receipt_download", organisation, erasure.receipt_id
            ),
        },
    )
