"""The practice's treatment-plan pages (/practice/clients/<pk>/plan/...) and the reviews due.

A plan is part of the client's clinical record: only the clinical roles
reach these pages (``practice_only`` with the therapists and supervisors),
and each reads what it shows through the plans' accessors, so a therapist
sees the plans of their own clients and a supervisor those of their
supervisees' clients. The front desk, billing, the privacy officer and the
administrator get "not found", as for a page that does not exist.

Only a therapist working with the client writes and signs. The
therapist's signature needs a fresh second factor, asked for after the
decision. The client's signature is typed by the client in session.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import fresh, org_query, practice_only, reauthenticate_then
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.forms import ClientSignatureForm, PlanForm
from wellkept.practice.models import Client, PlanStatus, TreatmentPlan
from wellkept.practice.views.acting import act_on_form, act_then_back

RECORD = ResourceKind.CLIENT_RECORD
PURPOSE = Purpose.CLINICAL_CARE
CLINICAL = frozenset({AccessRole.SPECIALIST, AccessRole.CLINICAL_SUPERVISOR})
THERAPISTS = frozenset({AccessRole.SPECIALIST})


def _plan_home_url(client: Client, organisation: Organisation) -> str:
    return reverse("practice:plan", args=[client.pk]) + org_query(organisation)


def _version_url(plan: TreatmentPlan, organisation: Organisation) -> str:
    return reverse("practice:plan_version", args=[plan.client_id, plan.pk]) + org_query(
        organisation
    )


def _client(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> Client:
    return selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )


def _plan(request: AuthenticatedRequest, client: Client, plan_pk: Any) -> TreatmentPlan:
    return selectors.get_plan_for(
        actor=request.user, client=client, pk=plan_pk, request=request, action=Action.READ
    )


def _works_with(request: AuthenticatedRequest, client: Client) -> bool:
    return any(t.pk == request.user.pk for t in selectors.current_therapists(client))


def _version_context(plan: TreatmentPlan) -> dict[str, Any]:
    signature = services.client_signature(plan)
    digest = services.plan_digest(plan)
    return {
        "plan": plan,
        "problems": services.plan_content(plan),
        "author_label": selectors.staff_label(plan.author),
        "digest": digest,
        "signature": signature,
        # The text the client signed is exactly this version's, or it is said.
        "signature_matches": bool(signature) and signature.get("digest") == digest,
    }


@policy(action=Action.READ, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-plan", roles=CLINICAL)
@never_cache
@require_GET
def plan_home(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Show the client's current plan and list every version."""
    client = _client(request, organisation, pk)
    versions = selectors.client_plans(actor=request.user, client=client, request=request)
    current = next(
        (p for p in versions if p.status == PlanStatus.ACTIVE),
        versions[0] if versions else None,
    )
    works_with = _works_with(request, client)
    return render(
        request,
        "practice/practice/plans/home.html",
        {
            "organisation": organisation,
            "client": client,
            "versions": versions,
            "current": _version_context(current) if current else None,
            "may_start": works_with and not any(p.status == PlanStatus.DRAFT for p in versions),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.READ, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-plan-version", roles=CLINICAL)
@never_cache
@require_GET
def plan_version(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, plan_pk: Any
) -> HttpResponse:
    """Show one version of the plan, with what the therapist may do with it."""
    client = _client(request, organisation, pk)
    plan = _plan(request, client, plan_pk)
    works_with = _works_with(request, client)
    return render(
        request,
        "practice/practice/plans/version.html",
        {
            "organisation": organisation,
            "client": client,
            **_version_context(plan),
            "may_edit": works_with and plan.status == PlanStatus.DRAFT,
            "may_client_sign": works_with
            and plan.status == PlanStatus.ACTIVE
            and plan.client_signed_at is None,
            "may_close": works_with and plan.status == PlanStatus.ACTIVE,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-plan-new", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def plan_new(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Start the client's plan, or its next version from the active one."""
    client = _client(request, organisation, pk)
    if not _works_with(request, client):
        raise Http404
    versions = selectors.client_plans(actor=request.user, client=client, request=request)
    active = next((p for p in versions if p.status == PlanStatus.ACTIVE), None)
    initial = (
        {
            "content": services.render_outline(services.plan_content(active)),
            "review_date": active.review_date,
        }
        if active
        else {}
    )
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.plan_create(
                actor=request.user,
                client=client,
                content=form.cleaned_data["content"],
                review_date=form.cleaned_data["review_date"],
                request=request,
            ),
            done=lambda plan: f"Draft version {plan.version} saved.",
            then=lambda plan: _version_url(plan, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/plans/form.html",
        {"organisation": organisation, "client": client, "form": form, "plan": None},
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-plan-edit", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def plan_edit(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, plan_pk: Any
) -> HttpResponse:
    """Change a draft plan version."""
    client = _client(request, organisation, pk)
    plan = _plan(request, client, plan_pk)
    if not _works_with(request, client) or plan.status != PlanStatus.DRAFT:
        messages.error(request, "Only a draft is changed; start a new version instead.")
        return HttpResponseRedirect(_version_url(plan, organisation))
    form = PlanForm(
        request.POST or None,
        initial={
            "content": services.render_outline(services.plan_content(plan)),
            "review_date": plan.review_date,
        },
    )
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.plan_update(
                actor=request.user,
                plan=plan,
                content=form.cleaned_data["content"],
                review_date=form.cleaned_data["review_date"],
                request=request,
            ),
            done="Draft saved.",
            then=_version_url(plan, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/plans/form.html",
        {"organisation": organisation, "client": client, "form": form, "plan": plan},
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-plan-sign", roles=THERAPISTS)
@require_POST
def plan_sign(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, plan_pk: Any
) -> HttpResponse:
    """Sign a draft version after a fresh second factor: it becomes the active plan."""
    client = _client(request, organisation, pk)
    plan = _plan(request, client, plan_pk)
    if not fresh(request):
        return reauthenticate_then(request, _version_url(plan, organisation))
    return act_then_back(
        request,
        act=lambda: services.plan_sign(actor=request.user, plan=plan, request=request),
        done=lambda signed: f"Version {signed.version} signed; it is the active plan now.",
        back=_version_url(plan, organisation),
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-plan-client-sign", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def plan_client_sign(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, plan_pk: Any
) -> HttpResponse:
    """Let the client read the active version and sign it by typing their name, in session."""
    client = _client(request, organisation, pk)
    plan = _plan(request, client, plan_pk)
    if not _works_with(request, client):
        raise Http404
    form = ClientSignatureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.plan_client_sign(
                actor=request.user,
                plan=plan,
                typed_name=form.cleaned_data["typed_name"],
                request=request,
            ),
            done="The client's signature is recorded.",
            then=_version_url(plan, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/plans/client_sign.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            **_version_context(plan),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=RECORD, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-plan-close", roles=THERAPISTS)
@require_POST
def plan_close(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, plan_pk: Any
) -> HttpResponse:
    """Close the active plan; it stays readable."""
    client = _client(request, organisation, pk)
    plan = _plan(request, client, plan_pk)
    return act_then_back(
        request,
        act=lambda: services.plan_close(actor=request.user, plan=plan, request=request),
        done="Plan closed.",
        back=_plan_home_url(client, organisation),
    )


@policy(action=Action.READ, resource=RECORD, purpose=PURPOSE)
@practice_only(what="practice-plan-reviews", roles=CLINICAL)
@never_cache
@require_GET
def plan_reviews(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """The plans of one's clients whose review is within a week, or past."""
    rows = selectors.reviews_due(actor=request.user, organisation=organisation, request=request)
    return render(
        request,
        "practice/practice/plans/reviews.html",
        {"organisation": organisation, "plans": rows, "org_query": org_query(organisation)},
    )
