"""Break-glass on a client's record (issue 18): the privacy officer's side (/privacy/).

The list of the organisation's openings waiting for review, one opening
with its reason, the review, and the leave for one more opening before
the review (``breakglass_allow``, after a fresh second factor).
Openings are found through the policy:
404 for missing, forbidden and one's own alike (nobody reviews their own).
Nothing clinical is shown: the client by code, the therapist, the times
and the reason the therapist gave.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import fresh, org_query, privacy_officer_only, reauthenticate_then
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.forms import BreakGlassAllowanceForm, BreakGlassReviewForm
from wellkept.practice.models import BREAK_GLASS_ALLOWANCE_HOURS, ClientBreakGlass

OVERSIGHT = Purpose.AUDIT_OVERSIGHT
# Break-glass openings are reviewed as the follow-up's are: the grant kind.
OPENINGS = ResourceKind.IDENTITY_GRANT


def _url(opening: ClientBreakGlass, organisation: Organisation) -> str:
    return reverse("practice:breakglass_review", args=[opening.pk]) + org_query(organisation)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


@policy(action=Action.READ, resource=OPENINGS, purpose=OVERSIGHT)
@privacy_officer_only(what="practice-breakglass")
@never_cache
@require_GET
def breakglass_reviews(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List the practice's break-glass openings waiting for review, then the reviewed ones."""
    waiting, done = selectors.review_queue(
        actor=request.user, organisation=organisation, request=request
    )
    return render(
        request,
        "practice/privacy/breakglass_reviews.html",
        {
            "organisation": organisation,
            "waiting": [(o, selectors.staff_label(o.opened_by)) for o in waiting],
            "done": [(o, selectors.staff_label(o.opened_by)) for o in done],
        },
    )


@policy(action=Action.READ, resource=OPENINGS, purpose=OVERSIGHT)
@privacy_officer_only(what="practice-breakglass-opening")
@never_cache
@require_GET
def breakglass_review(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Show one opening (client by code, therapist, times, reason) and the review form."""
    opening = selectors.get_opening_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    return _page(request, organisation, opening)


def _page(
    request: AuthenticatedRequest,
    organisation: Organisation,
    opening: ClientBreakGlass,
    form: BreakGlassReviewForm | None = None,
    allowance_form: BreakGlassAllowanceForm | None = None,
) -> HttpResponse:
    allowance = (
        selectors.usable_allowances(
            therapist_id=opening.opened_by_id, organisation_id=organisation.pk
        )
        .select_related("granted_by")
        .first()
    )
    # A refused allowance keeps its form, to show why; otherwise the form
    # is offered while the opening waits and no allowance is unused.
    if allowance_form is None and opening.reviewed_at is None and allowance is None:
        allowance_form = BreakGlassAllowanceForm()
    return render(
        request,
        "practice/privacy/breakglass_review.html",
        {
            "organisation": organisation,
            "opening": opening,
            "opener": selectors.staff_label(opening.opened_by),
            "reviewer": selectors.staff_label(opening.reviewed_by) if opening.reviewed_by else "",
            "reason": _text(opening.reason),
            "review_note": _text(opening.review_note),
            "form": form or BreakGlassReviewForm(),
            "allowance": allowance,
            "allowance_by": selectors.staff_label(allowance.granted_by) if allowance else "",
            "allowance_form": allowance_form,
            "allowance_hours": BREAK_GLASS_ALLOWANCE_HOURS,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=OPENINGS, purpose=OVERSIGHT, also=(Action.READ,))
@privacy_officer_only(what="practice-breakglass-review")
@require_POST
def breakglass_review_record(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Record the review of one opening (never one's own), audited."""
    opening = selectors.get_opening_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.UPDATE
    )
    form = BreakGlassReviewForm(request.POST)
    if form.is_valid():
        try:
            services.breakglass_review(
                actor=request.user, opening=opening, note=form.cleaned_data["note"], request=request
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, "Review recorded.")
            return HttpResponseRedirect(_url(opening, organisation))
    return _page(request, organisation, opening, form)


@policy(action=Action.UPDATE, resource=OPENINGS, purpose=OVERSIGHT, also=(Action.READ,))
@privacy_officer_only(what="practice-breakglass-allow")
@require_POST
def breakglass_allow(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Allow the therapist one more opening before this one is reviewed, audited.

    Never for one's own opening (404, as the page); after a fresh second
    factor, since the allowance lets a client's record be opened.
    """
    opening = selectors.get_opening_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.UPDATE
    )
    if not fresh(request):
        messages.info(request, "Prove your second factor again, then allow it.")
        return reauthenticate_then(request, _url(opening, organisation))
    form = BreakGlassAllowanceForm(request.POST)
    if form.is_valid():
        try:
            services.breakglass_allowance_grant(
                actor=request.user,
                opening=opening,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                "Allowed: the therapist may open one more record in the next "
                f"{BREAK_GLASS_ALLOWANCE_HOURS} hours. Both openings wait for your review.",
            )
            return HttpResponseRedirect(_url(opening, organisation))
    return _page(request, organisation, opening, allowance_form=form)
