"""The privacy role's side: decide requests, review grants and break-glass, refused purposes.

Lists belong to one organisation, chosen like the other privacy pages; one
grant's pages are reached through the policy (404 for missing, forbidden
and one's own request alike: nobody decides or reviews their own).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import fresh, privacy_officer_only, reauthenticate_then, signed_in
from wellkept.access.policy import get_for
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.followup import deadlines, reidentification, selectors
from wellkept.followup.forms import (
    AllowanceForm,
    ApproveForm,
    DeadlinesForm,
    DecisionForm,
    ReviewForm,
)
from wellkept.followup.models import GrantKind, GrantStatus, IdentityGrant
from wellkept.followup.views import act_then_back, refusal
from wellkept.orgs.models import Organisation

OVERSIGHT = Purpose.AUDIT_OVERSIGHT
GRANTS = ResourceKind.IDENTITY_GRANT


def _grant(request: HttpRequest, pk: Any, action: Action = Action.READ) -> IdentityGrant:
    return get_for(
        actor=request.user,
        queryset=IdentityGrant.objects.select_related(
            "participant", "organisation", "requested_by", "decided_by", "reviewed_by"
        ),
        pk=pk,
        action=action,
        purpose=OVERSIGHT,
        request=request,
    )


def _grant_url(grant: IdentityGrant) -> str:
    return reverse("followup:privacy_grant", args=[grant.pk])


def _back(grant: IdentityGrant) -> HttpResponseRedirect:
    return HttpResponseRedirect(_grant_url(grant))


@policy(action=Action.READ, resource=GRANTS, purpose=OVERSIGHT)
@privacy_officer_only(what="grants")
@never_cache
@require_GET
def requests(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List requests to decide, break-glass openings and used or expired grants to review."""
    lists = selectors.privacy_queue(actor=request.user, organisation=organisation, request=request)
    return render(
        request,
        "followup/privacy/requests.html",
        {"organisation": organisation, "lists": lists},
    )


@policy(action=Action.READ, resource=GRANTS, purpose=OVERSIGHT)
@never_cache
@require_GET
@signed_in
def grant_detail(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Show one request or grant with what can be done with it now."""
    grant = _grant(request, pk)
    waiting_review = grant.kind == GrantKind.BREAK_GLASS and grant.reviewed_at is None
    return render(
        request,
        "followup/privacy/grant.html",
        {
            "grant": grant,
            "row": selectors.grant_row(grant),
            "approve_form": ApproveForm(),
            "refuse_form": DecisionForm(),
            "review_form": ReviewForm(),
            "allowance_form": AllowanceForm() if waiting_review else None,
            "allowance_hours": reidentification.BREAK_GLASS_ALLOWANCE_HOURS,
            "exception_in_force": grant.status == GrantStatus.APPROVED
            and not grant.notify_participant,
            "exception": selectors.plain(grant.exception_reason),
            "decision_note": selectors.plain(grant.decision_note),
            "review_note": selectors.plain(grant.review_note),
        },
    )


@policy(action=Action.UPDATE, resource=GRANTS, purpose=OVERSIGHT)
@require_POST
@signed_in
def approve(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Approve a request: a grant for this token, this requester, for a few hours."""
    grant = _grant(request, pk, Action.UPDATE)
    if not fresh(request):
        messages.info(request, "Prove your second factor again, then approve.")
        return reauthenticate_then(request, reverse("followup:privacy_grant", args=[grant.pk]))
    form = ApproveForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
        return _back(grant)
    data = form.cleaned_data
    return act_then_back(
        request,
        act=lambda: reidentification.reidentification_decide(
            actor=request.user,
            grant=grant,
            approve=True,
            note=data["note"],
            hours=data["hours"],
            notify_participant=not data["do_not_tell"],
            exception_reason=data["exception_reason"],
            request=request,
        ),
        done="Approved. The requester can read the name while it lasts.",
        back=_grant_url(grant),
    )


@policy(action=Action.UPDATE, resource=GRANTS, purpose=OVERSIGHT)
@require_POST
@signed_in
def refuse(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Refuse a request."""
    grant = _grant(request, pk, Action.UPDATE)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    return act_then_back(
        request,
        act=lambda: reidentification.reidentification_decide(
            actor=request.user, grant=grant, approve=False, note=note, request=request
        ),
        done="Refused. The requester sees the refusal.",
        back=_grant_url(grant),
    )


@policy(action=Action.UPDATE, resource=GRANTS, purpose=OVERSIGHT)
@require_POST
@signed_in
def review(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Record the review of a used, expired or break-glass grant."""
    grant = _grant(request, pk, Action.UPDATE)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write your review first.")
        return _back(grant)
    return act_then_back(
        request,
        act=lambda: reidentification.grant_review(
            actor=request.user, grant=grant, note=form.cleaned_data["note"], request=request
        ),
        done="Review recorded.",
        back=_grant_url(grant),
    )


@policy(action=Action.UPDATE, resource=GRANTS, purpose=OVERSIGHT)
@require_POST
@signed_in
def breakglass_allow(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Allow the specialist of an unreviewed break-glass opening one more before the review."""
    grant = _grant(request, pk, Action.UPDATE)
    if not fresh(request):
        messages.info(request, "Prove your second factor again, then allow it.")
        return reauthenticate_then(request, reverse("followup:privacy_grant", args=[grant.pk]))
    form = AllowanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write why another opening is allowed first.")
        return _back(grant)
    return act_then_back(
        request,
        act=lambda: reidentification.breakglass_allowance_grant(
            actor=request.user, grant=grant, reason=form.cleaned_data["reason"], request=request
        ),
        done=(
            "Allowed: the specialist may open one more name in the next "
            f"{reidentification.BREAK_GLASS_ALLOWANCE_HOURS} hours. Both openings wait for "
            "review."
        ),
        back=_grant_url(grant),
    )


@policy(action=Action.UPDATE, resource=GRANTS, purpose=OVERSIGHT)
@require_POST
@signed_in
def exception_end(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """End a recorded exception: the participant is told of the look-up."""
    grant = _grant(request, pk, Action.UPDATE)
    try:
        updated = reidentification.reidentification_exception_end(
            actor=request.user, grant=grant, request=request
        )
    except (PermissionDenied, ValidationError) as exc:
        refusal(request, exc)
    else:
        messages.success(
            request,
            "The exception has ended. The participant is told"
            + (" now." if updated.participant_told_on else " when the name is first read."),
        )
    return _back(grant)


@policy(action=Action.UPDATE, resource=ResourceKind.CONSENT_CONFIG, purpose=OVERSIGHT)
@privacy_officer_only(what="deadlines")
@never_cache
@require_http_methods(["GET", "POST"])
def deadlines_page(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show and set how many days safety alerts and requests may wait to be taken."""
    current = deadlines.deadlines_for(organisation)
    initial = {
        "alert_wait_days": current.alert_days,
        "request_wait_days": current.request_days,
    }
    form = DeadlinesForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                deadlines.deadlines_set(
                    actor=request.user,
                    organisation=organisation,
                    alert_wait_days=form.cleaned_data["alert_wait_days"],
                    request_wait_days=form.cleaned_data["request_wait_days"],
                    request=request,
                )
            except PermissionDenied:
                raise Http404 from None
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Deadlines saved.")
                return HttpResponseRedirect(
                    reverse("followup:privacy_deadlines")
                    + "?"
                    + urlencode({"org": organisation.slug})
                )
    return render(
        request,
        "followup/privacy/deadlines.html",
        {"organisation": organisation, "form": form, "defaults": deadlines.DEFAULTS},
        status=status,
    )


@policy(action=Action.READ, resource=ResourceKind.AUDIT_TRAIL, purpose=OVERSIGHT)
@privacy_officer_only(what="purpose-refused")
@never_cache
@require_GET
def refused(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List every refused attempt to use a prohibited purpose."""
    rows = selectors.refused_purposes(
        actor=request.user, organisation=organisation, request=request
    )
    return render(
        request,
        "followup/privacy/refused.html",
        {"organisation": organisation, "rows": rows or []},
    )
