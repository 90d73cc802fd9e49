"""The practice staff's pages (/practice/): clients, intake, details, therapists.

Every page is declared (``@policy``) and guarded (``practice_only``); what
it shows is read through ``selectors`` (the policy's per-client decision,
audited; 404 for missing and forbidden alike) and what it changes goes
through ``services``, which decide again. The front desk and billing see
demographics only: these pages carry no clinical content at all.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import PRACTICE_DESK, PRACTICE_STAFF, org_query, practice_only
from wellkept.access.policy import roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import BREAK_GLASS_ROLES, AccessRole
from wellkept.accounts.models import User
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services
from wellkept.practice.forms import AssignForm, IntakeForm, SearchForm
from wellkept.practice.models import Client, ClientStatus, ContactChannel
from wellkept.practice.views.acting import act_on_form, act_then_back

ADMIN = ResourceKind.PRACTICE_ADMIN
PURPOSE = Purpose.CLINICAL_CARE
# Who sees a client's preferred name in the list; billing works by code.
NAMES_SHOWN_TO = frozenset(
    {AccessRole.FRONT_DESK, AccessRole.SPECIALIST, AccessRole.CLINICAL_SUPERVISOR}
)
# Who is shown the way to a client's notes (the notes' pages decide again).
NOTES_SHOWN_TO = frozenset({AccessRole.SPECIALIST, AccessRole.CLINICAL_SUPERVISOR})


def _detail_url(client: Client, organisation: Organisation) -> str:
    return reverse("practice:client", args=[client.pk]) + org_query(organisation)


def _therapist_choices(organisation: Organisation) -> list[tuple[str, str]]:
    return [(str(u.pk), selectors.staff_label(u)) for u in selectors.therapists(organisation)]


def _therapist(organisation: Organisation, pk: str) -> User:
    found = next((u for u in selectors.therapists(organisation) if str(u.pk) == pk), None)
    if found is None:
        raise ValidationError("Choose a therapist of this practice.")
    return found


@policy(action=Action.READ, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-clients")
@never_cache
@require_GET
def client_list(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List the practice's clients the person may see, by code; find one by name."""
    form = SearchForm(request.GET)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    rows = selectors.client_list(
        actor=request.user, organisation=organisation, search=search, request=request
    )
    roles = roles_in(request.user, organisation.pk)
    return render(
        request,
        "practice/practice/client_list.html",
        {
            "organisation": organisation,
            "organisations": selectors.practices_of(request.user, PRACTICE_STAFF),
            "clients": rows,
            "form": form,
            "search": search,
            "show_names": bool(roles & NAMES_SHOWN_TO),
            "may_take_in": AccessRole.FRONT_DESK in roles,
            # Plans (issue 18, part 4): clinicians are shown their reviews due.
            "may_review_plans": bool(roles & NOTES_SHOWN_TO),
            # A safety alert stays in sight until its therapist acknowledges it.
            "alerts_to_acknowledge": (
                selectors.unacknowledged_alert_count(user=request.user, organisation=organisation)
                if AccessRole.SPECIALIST in roles
                else 0
            ),
            # Break-glass (issue 18): the way in for the break-glass roles only.
            "may_break_glass": bool(roles & BREAK_GLASS_ROLES),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-intake", roles=PRACTICE_DESK)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def client_new(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Take a new client in: the intake form, with a guardian for a client under 18."""
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.client_create(
                actor=request.user,
                organisation=organisation,
                intake=form.intake(),
                guardian=form.guardian(),
                request=request,
            ),
            done=lambda client: f"Client {client.code} taken in.",
            then=lambda client: _detail_url(client, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/intake.html",
        {"organisation": organisation, "form": form, "client": None},
    )


@policy(action=Action.READ, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-client")
@never_cache
@require_GET
def client_detail(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Show one client's demographics, guardian and therapists; nothing clinical."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    roles = roles_in(request.user, organisation.pk)
    therapists = selectors.current_therapists(client)
    channels = client.contact_channels
    desk = AccessRole.FRONT_DESK in roles
    assigned = AccessRole.SPECIALIST in roles and any(t.pk == request.user.pk for t in therapists)
    discharged = client.status == ClientStatus.DISCHARGED
    return render(
        request,
        "practice/practice/client_detail.html",
        {
            "organisation": organisation,
            "client": client,
            "guardians": selectors.guardians(client),
            "therapists": [(t, selectors.staff_label(t)) for t in therapists],
            "channels": [
                label
                for value, label in ContactChannel.choices
                if isinstance(channels, str) and value in channels.split(",")
            ],
            "may_edit": desk,
            # The schedule (issue 18, part 2): the client's appointments, as the
            # policy lets this reader see them (billing too; nobody else's calendar).
            "appointments": selectors.client_appointments(
                actor=request.user, client=client, request=request
            ),
            "may_book": bool(roles & {AccessRole.FRONT_DESK, AccessRole.SPECIALIST}),
            "assign_form": AssignForm(therapists=_therapist_choices(organisation))
            if desk
            else None,
            "org_query": org_query(organisation),
            # Notes (issue 18, part 3): links only; the notes' pages decide.
            "may_see_notes": bool(roles & NOTES_SHOWN_TO),
            "may_keep_pnotes": assigned,
            # Discharge (issue 18, part 6): buttons only; the pages decide again.
            "may_discharge": not discharged and (desk or assigned),
            "may_readmit": discharged and desk,
        },
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-client-edit", roles=PRACTICE_DESK)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def client_edit(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Change a client's intake details, or add a guardian."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    if request.method == "POST":
        form = IntakeForm(request.POST)
        if form.is_valid():
            done = act_on_form(
                request,
                form,
                act=lambda: services.client_update(
                    actor=request.user,
                    client=client,
                    intake=form.intake(),
                    guardian=form.guardian(),
                    request=request,
                ),
                done=f"Client {client.code}'s details saved.",
                then=_detail_url(client, organisation),
            )
            if done is not None:
                return done
    else:
        form = IntakeForm(initial=IntakeForm.initial_for(client))
    return render(
        request,
        "practice/practice/intake.html",
        {"organisation": organisation, "form": form, "client": client},
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-client-assign", roles=PRACTICE_DESK)
@require_POST
def client_assign(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Give the client a therapist of the practice."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    form = AssignForm(request.POST, therapists=_therapist_choices(organisation))
    if not form.is_valid():
        messages.error(request, "Choose a therapist of this practice.")
        return HttpResponseRedirect(_detail_url(client, organisation))

    def assign() -> User:
        therapist = _therapist(organisation, form.cleaned_data["therapist"])
        services.client_assign(
            actor=request.user, client=client, therapist=therapist, request=request
        )
        return therapist

    return act_then_back(
        request,
        act=assign,
        done=lambda therapist: f"{selectors.staff_label(therapist)} now works with {client.code}.",
        back=_detail_url(client, organisation),
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-client-unassign", roles=PRACTICE_DESK)
@require_POST
def client_unassign(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """End a therapist's work with the client (the history is kept)."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )

    def unassign() -> User:
        therapist = _therapist(organisation, request.POST.get("therapist", ""))
        services.client_unassign(
            actor=request.user, client=client, therapist=therapist, request=request
        )
        return therapist

    return act_then_back(
        request,
        act=unassign,
        done=lambda therapist: (
            f"{selectors.staff_label(therapist)} no longer works with {client.code}."
        ),
        back=_detail_url(client, organisation),
    )
