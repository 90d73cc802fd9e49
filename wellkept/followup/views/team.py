"""The follow-up team's pages: the queue, one case, messages, notes, identity, break-glass.

Every page finds its case through ``case_for`` (the policy's decision,
audited; 404 for missing and forbidden alike). Nothing on these pages
carries the participant's name unless the participant shared it or a live
grant was used, and then only on the page that answered that request.
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
from wellkept.access.decorators import declared_action, policy
from wellkept.access.guards import fresh, reauthenticate_then, signed_in, team_only
from wellkept.access.policy import can, get_for, roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.accounts.models import User
from wellkept.actors import AuthenticatedRequest
from wellkept.followup import reidentification, selectors, services
from wellkept.followup.forms import (
    AssignForm,
    BreakGlassForm,
    CloseForm,
    IdentityRequestForm,
    MessageForm,
    NoteForm,
)
from wellkept.followup.models import Case, IdentityGrant, Sender
from wellkept.followup.scopes import case_resource
from wellkept.followup.views import act_then_back
from wellkept.orgs.models import Organisation, Role, StaffMembership

PURPOSE = Purpose.BURNOUT_FOLLOW_UP
CASES = ResourceKind.FOLLOW_UP_CASE
GRANTS = ResourceKind.IDENTITY_GRANT


def case_for(request: HttpRequest, pk: Any, action: Action | None = None) -> Case:
    """Return the case the signed-in person may ``action``, or 404; one audited decision.

    Without an ``action``, the one the view declares (``@policy``) on cases,
    else READ: the permission is written once, above the view.
    """
    action = action or declared_action(CASES, Action.READ)
    # The writing pages pass READ: they find the case by reading it, and the
    # write is the service's decision, audited under what is written and
    # refused on the page with a message (a colleague, a closed case).
    rows = Case.objects.select_related(
        "participant", "participant__organisation", "assignee", "response", "organisation"
    )
    try:
        case = rows.filter(pk=pk).first()
    except (ValidationError, ValueError):
        case = None
    if case is None:
        # Audited as an attempt on an unknown case, then 404.
        get_for(
            actor=request.user,
            queryset=rows,
            pk=pk,
            action=action,
            purpose=PURPOSE,
            request=request,
        )
        raise Http404
    consents = selectors.followup_consent(case.participant)
    if not can(
        request.user, action, case_resource(case), PURPOSE, request=request, consent_ok=consents
    ):
        raise Http404
    return case


def _case_url(case: Case, anchor: str = "") -> str:
    return reverse("followup:case", args=[case.pk]) + anchor


def _back(case: Case, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(_case_url(case, anchor))


@policy(action=Action.READ, resource=CASES, purpose=PURPOSE)
@team_only(what="follow-up-queue")
@never_cache
@require_GET
def queue(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List the organisation's follow-up cases by token: safety alerts first, then requests."""
    show = request.GET.get("show", "active")
    if show not in ("active", "mine", "closed"):
        show = "active"
    rows = selectors.queue(
        actor=request.user, organisation=organisation, show=show, request=request
    )
    return render(
        request,
        "followup/team/queue.html",
        {
            "organisation": organisation,
            "organisations": list(selectors.team_organisations(request.user)),
            "rows": rows,
            "show": show,
            "org_query": urlencode({"org": organisation.slug}),
        },
    )


def _team_choices(case: Case) -> list[tuple[str, str]]:
    members = (
        StaffMembership.objects.filter(
            organisation_id=case.organisation_id,
            role__in=[Role.WELLBEING_OFFICER, Role.SPECIALIST],
        )
        .select_related("user")
        .order_by("role")
    )
    seen: dict[str, str] = {}
    for m in members:
        name = m.user.display_name if isinstance(m.user.display_name, str) else ""
        label = f"{name or 'Unnamed account'} ({m.get_role_display()})"
        seen.setdefault(str(m.user_id), label)
    return list(seen.items())


@policy(action=Action.READ, resource=CASES, purpose=PURPOSE)
@never_cache
@require_GET
@signed_in
def case_detail(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Show one case: why it opened, what the person agreed to, the conversation, notes."""
    case = case_for(request, pk)
    assigned = case.assignee_id == request.user.pk
    if assigned:
        services.messages_mark_read(case=case, reader=Sender.TEAM)
    roles = roles_in(request.user, case.organisation_id)
    # The same decision the break-glass page and service make: the button
    # is a hint, never the rule.
    may_break_glass = reidentification.breakglass_decision(actor=request.user, case=case).allowed
    return render(
        request,
        "followup/team/case.html",
        {
            "case": case,
            "token": case.participant.token[: selectors.TOKEN_SHOWN],
            "assigned": assigned,
            "trigger": selectors.trigger_result(case.response),
            "consent": selectors.latest_consent(case.participant),
            # What the person wrote (perhaps their name, if they shared it)
            # and the team's notes are for the case's assignee: the rest of
            # the team sees by token what the queue shows, and must take the
            # case over (audited) to read on.
            "conversation": selectors.conversation(case) if assigned else None,
            "notes": selectors.notes(case) if assigned else None,
            "history": selectors.score_history(actor=request.user, case=case, request=request),
            "grants": selectors.case_grants(actor=request.user, case=case),
            "is_officer": AccessRole.WELLBEING_OFFICER in roles,
            "may_break_glass": may_break_glass,
            "message_form": MessageForm(),
            "note_form": NoteForm(),
            "close_form": CloseForm(),
            "assign_form": AssignForm(team=_team_choices(case)),
        },
    )


@policy(action=Action.FOLLOW_UP, resource=CASES, purpose=PURPOSE)
@require_POST
@signed_in
def case_take(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Take the case: it becomes yours to work."""
    case = case_for(request, pk)
    return act_then_back(
        request,
        act=lambda: services.case_assign(
            actor=request.user, case=case, assignee=request.user, request=request
        ),
        done="The case is yours now.",
        back=_case_url(case),
    )


@policy(action=Action.FOLLOW_UP, resource=CASES, purpose=PURPOSE)
@require_POST
@signed_in
def case_assign(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Give the case to a colleague on the follow-up team (the wellbeing officer)."""
    case = case_for(request, pk)
    form = AssignForm(request.POST, team=_team_choices(case))
    if not form.is_valid():
        messages.error(request, "Choose someone from the follow-up team.")
        return _back(case)
    assignee = User.objects.filter(pk=form.cleaned_data["assignee"]).first()
    if assignee is None:
        messages.error(request, "Choose someone from the follow-up team.")
        return _back(case)
    return act_then_back(
        request,
        act=lambda: services.case_assign(
            actor=request.user, case=case, assignee=assignee, request=request
        ),
        done="The case is assigned.",
        back=_case_url(case),
    )


@policy(action=Action.UPDATE, resource=CASES, purpose=PURPOSE, also=(Action.READ,))
@require_POST
@signed_in
def message_send(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Write to the participant's token."""
    case = case_for(request, pk, Action.READ)
    form = MessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write a message first (at most 4000 characters).")
        return _back(case, "#write")
    return act_then_back(
        request,
        act=lambda: services.message_send(
            actor=request.user,
            case=case,
            body=form.cleaned_data["body"],
            request=request,
            idempotency_key=form.cleaned_data["idempotency_key"],
        ),
        done="Sent. The participant gets an e-mail that only says a message is waiting.",
        back=_case_url(case, "#conversation"),
    )


@policy(action=Action.UPDATE, resource=CASES, purpose=PURPOSE, also=(Action.READ,))
@require_POST
@signed_in
def note_add(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Add a working note, encrypted under the participant's key."""
    case = case_for(request, pk, Action.READ)
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Write the note first (at most 4000 characters).")
        return _back(case, "#notes")
    return act_then_back(
        request,
        act=lambda: services.note_add(
            actor=request.user,
            case=case,
            body=form.cleaned_data["body"],
            request=request,
            idempotency_key=form.cleaned_data["idempotency_key"],
        ),
        done="Note saved.",
        back=_case_url(case, "#notes"),
    )


@policy(action=Action.UPDATE, resource=CASES, purpose=PURPOSE, also=(Action.READ,))
@require_POST
@signed_in
def case_close(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Close the case with a reason."""
    case = case_for(request, pk, Action.READ)
    form = CloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose why the case is closed.")
        return _back(case)
    return act_then_back(
        request,
        act=lambda: services.case_close(
            actor=request.user, case=case, reason=form.cleaned_data["reason"], request=request
        ),
        done="The case is closed.",
        back=_case_url(case),
    )


# ---- Re-identification, the requester's side -----------------------------------------


@policy(action=Action.CREATE, resource=GRANTS, purpose=PURPOSE)
@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def identity_request(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Ask a privacy officer for the name behind this case's token, with purpose and reason."""
    case = case_for(request, pk)
    form = IdentityRequestForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                grant = reidentification.reidentification_request(
                    actor=request.user,
                    case=case,
                    purpose=form.cleaned_data["purpose"],
                    reason=form.cleaned_data["reason"],
                    request=request,
                )
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
                status = 403
            except reidentification.CaseClosed as exc:
                form.add_error(None, exc)
                status = 409
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request,
                    "Your request is sent. Someone with the privacy role other than you "
                    "decides; you will see the answer here.",
                )
                return HttpResponseRedirect(reverse("followup:grant", args=[grant.pk]))
    return render(
        request,
        "followup/team/identity_request.html",
        {
            "case": case,
            "closed": case.is_closed,
            "token": case.participant.token[: selectors.TOKEN_SHOWN],
            "form": form,
            "purposes": IdentityRequestForm.PURPOSES,
            "chosen": form.data.get("purpose", "") if form.is_bound else "",
        },
        status=status,
    )


def _own_grant(request: HttpRequest, pk: Any) -> IdentityGrant:
    """Return the signed-in requester's own grant, or 404 (a privacy officer uses their pages)."""
    grant = get_for(
        actor=request.user,
        queryset=IdentityGrant.objects.select_related("participant", "case", "decided_by"),
        pk=pk,
        action=Action.READ,
        purpose=PURPOSE,
        request=request,
    )
    if str(grant.requested_by_id) != str(request.user.pk):
        raise Http404
    return grant


@policy(action=Action.READ, resource=GRANTS, purpose=PURPOSE)
@never_cache
@require_GET
@signed_in
def grant_detail(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Show the requester where their request stands, and the way to the name when approved."""
    grant = _own_grant(request, pk)
    return render(
        request,
        "followup/team/grant.html",
        {"grant": grant, "row": selectors.grant_row(grant)},
    )


@policy(action=Action.READ_IDENTITY, resource=ResourceKind.PARTICIPANT_RECORD, purpose=PURPOSE)
@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def grant_identity(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Confirm, then show the name behind the token under a live grant (fresh MFA)."""
    grant = _own_grant(request, pk)
    if not fresh(request):
        return reauthenticate_then(request, request.path)
    if request.method == "GET" or not grant.is_live():
        return render(request, "followup/team/identity_confirm.html", {"grant": grant})
    try:
        identity = reidentification.identity_reveal(
            actor=request.user, grant=grant, request=request
        )
    except reidentification.ReauthenticationNeeded:
        return HttpResponseRedirect(request.get_full_path())
    except PermissionDenied:
        raise Http404 from None
    # The name is the answer to this POST only: never stored in the session,
    # never on the case page, gone when the page is closed.
    response = render(
        request, "followup/team/identity.html", {"grant": grant, "identity": identity}
    )
    response["Cache-Control"] = "no-store"
    return response


@policy(
    action=Action.READ_IDENTITY,
    resource=ResourceKind.PARTICIPANT_RECORD,
    purpose=Purpose.SAFETY_EMERGENCY,
)
@never_cache
@require_http_methods(["GET", "POST"])
@signed_in
def breakglass(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Specialists in a safety emergency: open the name at once; the privacy role is alerted."""
    case = case_for(request, pk)
    resource = case_resource(case, "break-glass")
    if not reidentification.breakglass_decision(actor=request.user, case=case).allowed:
        # Same answer as for a case that does not exist; the refusal is recorded.
        can(request.user, Action.READ_IDENTITY, resource, Purpose.SAFETY_EMERGENCY, request=request)
        raise Http404
    if not fresh(request):
        return reauthenticate_then(request, request.path)
    form = BreakGlassForm(request.POST or None)
    status = 400 if form.is_bound else 200
    if request.method == "POST" and form.is_valid():
        try:
            grant, identity = reidentification.breakglass_open(
                actor=request.user,
                case=case,
                reason=form.cleaned_data["reason"],
                request=request,
            )
        except reidentification.ReauthenticationNeeded:
            return HttpResponseRedirect(request.get_full_path())
        except reidentification.BreakGlassLimit as exc:
            form.add_error(None, str(exc))
            status = 403
        except ValidationError as exc:
            form.add_error("reason", exc)
        except PermissionDenied:
            raise Http404 from None
        else:
            response = render(
                request,
                "followup/team/identity.html",
                {"grant": grant, "identity": identity, "break_glass": True},
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request,
        "followup/team/breakglass.html",
        {
            "case": case,
            "token": case.participant.token[: selectors.TOKEN_SHOWN],
            "form": form,
            "waiting": reidentification.unreviewed_breakglass(request.user),
        },
        status=status,
    )
