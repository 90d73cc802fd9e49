"""The privacy officer's lifecycle pages: retention, legal holds, receipts, data-subject requests.

Every page answers 404 to anyone but the organisation's privacy officer
(``privacy_officer_only``, shared with the other privacy pages). A
data-subject request reaches one participant only through an approved,
unexpired re-identification grant (``subject_requests``), and every step is
audited by reference.
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
from django.views.decorators.http import require_GET, require_POST

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy, public
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.consent.privacy_views import privacy_officer_only
from wellkept.followup.models import Case
from wellkept.followup.reauth import fresh, reauthenticate_then
from wellkept.lifecycle import exports, receipts, selectors
from wellkept.lifecycle.forms import EraseForm, GrantForm, HoldForm, LiftForm, RetentionForm
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
from wellkept.lifecycle.subject_requests import get_request_subject_for
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
@privacy_officer_only(action=Action.READ, kind=RETENTION, purpose=OVERSIGHT, what="retention")
@never_cache
@require_GET
def retention(request: HttpRequest, organisation: Organisation) -> HttpResponse:
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
@privacy_officer_only(action=Action.UPDATE, kind=RETENTION, purpose=OVERSIGHT, what="retention")
@require_POST
def retention_update(request: HttpRequest, organisation: Organisation) -> HttpResponse:
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
@privacy_officer_only(action=Action.CREATE, kind=RETENTION, purpose=OVERSIGHT, what="holds")
@require_POST
def hold_set(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Put a legal hold on a participant (by token) or on one follow-up case."""
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
@privacy_officer_only(action=Action.UPDATE, kind=RETENTION, purpose=OVERSIGHT, what="holds")
@require_POST
def hold_lift(request: HttpRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Lift a legal hold."""
    hold = (
        LegalHold.objects.select_related("participant", "organisation")
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
@privacy_officer_only(action=Action.READ, kind=RETENTION, purpose=OVERSIGHT, what="receipts")
@never_cache
@require_GET
def receipt_download(request: HttpRequest, organisation: Organisation, pk: Any) -> HttpResponse:
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
        "lifecycle/receipt_key.html",
        {"pem": receipts.public_key_pem(), "key_id": receipts.key_id()},
    )


# --- data-subject requests received outside the app ---------------------------------


@policy(action=Action.READ, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(
    action=Action.READ, kind=REQUESTS, purpose=REQUEST_PURPOSE, what="subject-requests"
)
@never_cache
@require_GET
def subject_request(request: HttpRequest, organisation: Organisation) -> HttpResponse:
    """Name a grant; see who it reaches (by token) and answer: export or erase."""
    if "grant" not in request.GET:
        return render(
            request,
            "lifecycle/privacy/subject_request.html",
            {"organisation": organisation, "form": GrantForm()},
        )
    form = GrantForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "lifecycle/privacy/subject_request.html",
            {"organisation": organisation, "form": form},
            status=400,
        )
    found = get_request_subject_for(
        actor=request.user,
        grant_id=form.cleaned_data["grant"],
        action=Action.READ,
        what="summary",
        request=request,
    )
    context = {
        "organisation": organisation,
        "form": form,
        "subject": found,
        "held": held(found.participant),
        "erase_form": EraseForm(),
    }
    return render(request, "lifecycle/privacy/subject_request.html", context)


def _export(request: HttpRequest, grant: str, what: str) -> Any:
    return get_request_subject_for(
        actor=request.user, grant_id=grant, action=Action.EXPORT, what=what, request=request
    )


def _stale(request: HttpRequest) -> HttpResponse | None:
    """Send a privacy officer without a fresh second factor to prove it, before any export.

    An export is everything held about a person in clear, so an abandoned
    session must not be enough. Asked before the grant is looked up: the
    prompt is the same for every reference, so it tells nothing about which
    grants exist, and no export is recorded for a download that never left.
    """
    if fresh(request):
        return None
    return reauthenticate_then(request, request.get_full_path())


def _download(body: dict[str, Any], filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(json.dumps(body, indent=2, default=str), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@policy(action=Action.EXPORT, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(
    action=Action.EXPORT, kind=REQUESTS, purpose=REQUEST_PURPOSE, what="subject-requests"
)
@never_cache
@require_GET
def subject_export_json(
    request: HttpRequest, organisation: Organisation, grant: str
) -> HttpResponse:
    """Export everything held about the person a grant names, as JSON."""
    stale = _stale(request)
    if stale is not None:
        return stale
    found = _export(request, grant, "json")
    stamp = clock.now().strftime("%Y%m%d")
    return _download(
        exports.export_json(found.participant),
        f"wellkept-subject-access-{stamp}.json",
        "application/json; charset=utf-8",
    )


@policy(action=Action.EXPORT, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(
    action=Action.EXPORT, kind=REQUESTS, purpose=REQUEST_PURPOSE, what="subject-requests"
)
@never_cache
@require_GET
def subject_export_fhir(
    request: HttpRequest, organisation: Organisation, grant: str
) -> HttpResponse:
    """Export the answers and consents of the person a grant names, as a FHIR R5 Bundle."""
    stale = _stale(request)
    if stale is not None:
        return stale
    found = _export(request, grant, "fhir")
    stamp = clock.now().strftime("%Y%m%d")
    return _download(
        exports.export_fhir_bundle(found.participant),
        f"wellkept-subject-access-{stamp}.fhir.json",
        "application/fhir+json; charset=utf-8",
    )


@policy(action=Action.DELETE, resource=REQUESTS, purpose=REQUEST_PURPOSE)
@privacy_officer_only(
    action=Action.DELETE, kind=REQUESTS, purpose=REQUEST_PURPOSE, what="subject-requests"
)
@require_POST
def subject_erase(request: HttpRequest, organisation: Organisation, grant: str) -> HttpResponse:
    """Erase the person a grant names, with a fresh second factor; hand out the receipt."""
    back = _with_org("lifecycle:subject_request", organisation, grant=grant)
    found = get_request_subject_for(
        actor=request.user, grant_id=grant, action=Action.READ, what="erase", request=request
    )
    if not fresh(request):
        # Decided first (above), so a prompt never tells an outsider the grant exists.
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
            grant=found.grant,
            request=request,
            close_account=form.cleaned_data["close_account"],
        )
    except ValidationError as exc:
        messages.error(request, _messages(exc))
        return HttpResponseRedirect(back)
    except (PermissionDenied, Http404):
        raise Http404(NOT_FOUND_MESSAGE) from None
    return render(
        request,
        "lifecycle/privacy/subject_erased.html",
        {
            "organisation": organisation,
            "summary": erasure.summary,
            "receipt_url": reverse("lifecycle:receipt_download", args=[erasure.receipt_id])
            + "?"
            + urlencode({"org": organisation.slug}),
        },
    )
