"""The practice's couples and family cases (/practice/cases/...).

A case page shows what the front desk may see: the case code, its kind,
its members' codes (and, to the roles that see names, preferred names),
its therapists and its joint appointments. Joint notes are clinical: only
the case's therapists and their supervisors are shown them, and a joint
note's page lists its member copies, each opening in that member's own
chart, where only that member's copy is. Everyone else gets "not found".
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import fresh, org_query, practice_only, reauthenticate_then
from wellkept.access.policy import roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import notetemplates, selectors, services
from wellkept.practice.forms import (
    CaseBookingForm,
    CaseForm,
    CaseMemberForm,
    CaseTherapistForm,
    NoteForm,
)
from wellkept.practice.models import Case, Client, JointNote, NoteStatus
from wellkept.practice.views.acting import act_on_form, act_then_back
from wellkept.practice.views.practice.clients import NAMES_SHOWN_TO

ADMIN = ResourceKind.PRACTICE_ADMIN
NOTES = ResourceKind.PROGRESS_NOTE
PURPOSE = Purpose.CLINICAL_CARE
FRONT_DESK = frozenset({AccessRole.FRONT_DESK})
BOOKERS = frozenset({AccessRole.FRONT_DESK, AccessRole.SPECIALIST})
CLINICAL = frozenset({AccessRole.SPECIALIST, AccessRole.CLINICAL_SUPERVISOR})
THERAPISTS = frozenset({AccessRole.SPECIALIST})


def _case_url(case: Case, organisation: Organisation) -> str:
    return reverse("practice:case", args=[case.pk]) + org_query(organisation)


def _joint_url(joint: JointNote, organisation: Organisation) -> str:
    return reverse("practice:joint_note", args=[joint.case_id, joint.pk]) + org_query(organisation)


def _case(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, action: Action = Action.READ
) -> Case:
    return selectors.get_case_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=action
    )


def _label(client: Client, names: bool) -> str:
    name = client.preferred_name if names and isinstance(client.preferred_name, str) else ""
    return f"{client.code} ({name})" if name else client.code


def _client_choices(
    request: AuthenticatedRequest, organisation: Organisation
) -> list[tuple[str, str]]:
    names = bool(roles_in(request.user, organisation.pk) & NAMES_SHOWN_TO)
    clients = selectors.client_list(actor=request.user, organisation=organisation, request=request)
    return [(str(c.pk), _label(c, names)) for c in clients]


def _chosen_clients(
    request: AuthenticatedRequest, organisation: Organisation, pks: list[str]
) -> list[Client]:
    return [
        selectors.get_client_for(
            actor=request.user,
            organisation=organisation,
            pk=pk,
            request=request,
            action=Action.READ,
        )
        for pk in pks
    ]


@policy(action=Action.READ, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-cases")
@never_cache
@require_GET
def case_list(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List the couples and family cases the reader may see, by case code."""
    return render(
        request,
        "practice/practice/families/list.html",
        {
            "organisation": organisation,
            "cases": selectors.case_list(
                actor=request.user, organisation=organisation, request=request
            ),
            "may_open": AccessRole.FRONT_DESK in roles_in(request.user, organisation.pk),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-case-new", roles=FRONT_DESK)
@never_cache
@require_http_methods(["GET", "POST"])
def case_new(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Open a couple or family case of clients already in care."""
    therapists = selectors.therapists(organisation)
    form = CaseForm(
        request.POST or None,
        clients=_client_choices(request, organisation),
        therapists=[(str(t.pk), selectors.staff_label(t)) for t in therapists],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        done = act_on_form(
            request,
            form,
            act=lambda: services.case_create(
                actor=request.user,
                organisation=organisation,
                kind=data["kind"],
                members=_chosen_clients(request, organisation, data["members"]),
                therapists=[t for t in therapists if str(t.pk) in data["therapists"]],
                request=request,
            ),
            done=lambda case: f"Case {case.code} opened.",
            then=lambda case: _case_url(case, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/families/form.html",
        {"organisation": organisation, "form": form},
    )


@policy(action=Action.READ, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-case")
@never_cache
@require_GET
def case_detail(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Show a case: members, therapists, joint appointments and (to clinicians) joint notes."""
    case = _case(request, organisation, pk)
    roles = roles_in(request.user, organisation.pk)
    names = bool(roles & NAMES_SHOWN_TO)
    therapists = services.current_case_therapists(case)
    sees_case = request.user.pk in {t.pk for t in therapists}
    front_desk = AccessRole.FRONT_DESK in roles
    return render(
        request,
        "practice/practice/families/detail.html",
        {
            "organisation": organisation,
            "case": case,
            "members": [(c, _label(c, names)) for c in services.current_members(case)],
            "therapists": [(t, selectors.staff_label(t)) for t in therapists],
            "appointments": selectors.case_appointments(
                actor=request.user, case=case, request=request
            ),
            # Clinical content: asked for only by the clinical roles, whom
            # the policy then narrows to the case's therapists and supervisors.
            "joint_notes": selectors.case_joint_notes(
                actor=request.user, case=case, request=request
            )
            if roles & CLINICAL
            else [],
            "templates": notetemplates.templates() if sees_case else [],
            "may_book": front_desk or (sees_case and AccessRole.SPECIALIST in roles),
            "member_form": CaseMemberForm(clients=_client_choices(request, organisation))
            if front_desk
            else None,
            "therapist_form": CaseTherapistForm(therapists=_therapist_choices(organisation))
            if front_desk
            else None,
            "may_change": front_desk,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-case-member-add", roles=FRONT_DESK)
@require_POST
def case_member_add(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Add a client to the case."""
    case = _case(request, organisation, pk)
    form = CaseMemberForm(request.POST, clients=_client_choices(request, organisation))
    if not form.is_valid():
        messages.error(request, "Choose a client from the list.")
        return HttpResponseRedirect(_case_url(case, organisation))
    client = _chosen_clients(request, organisation, [form.cleaned_data["client"]])[0]
    return act_then_back(
        request,
        act=lambda: services.case_member_add(
            actor=request.user, case=case, client=client, request=request
        ),
        done=f"{client.code} added to {case.code}.",
        back=_case_url(case, organisation),
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-case-member-remove", roles=FRONT_DESK)
@require_POST
def case_member_remove(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, client_pk: Any
) -> HttpResponse:
    """Take a client out of the case; their own record is untouched."""
    case = _case(request, organisation, pk)
    client = _chosen_clients(request, organisation, [client_pk])[0]
    return act_then_back(
        request,
        act=lambda: services.case_member_remove(
            actor=request.user, case=case, client=client, request=request
        ),
        done=f"{client.code} is no longer in {case.code}.",
        back=_case_url(case, organisation),
    )


@policy(action=Action.READ, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-case-book", roles=BOOKERS)
@never_cache
@require_http_methods(["GET", "POST"])
def case_book(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Book a joint appointment for the case: every member attends."""
    case = _case(request, organisation, pk)
    therapists = services.current_case_therapists(case)
    if AccessRole.FRONT_DESK not in roles_in(request.user, organisation.pk):
        therapists = [t for t in therapists if t.pk == request.user.pk]
    form = CaseBookingForm(
        request.POST or None,
        rooms=selectors.rooms(organisation),
        therapists=[(str(t.pk), selectors.staff_label(t)) for t in therapists],
    )
    if request.method == "POST" and form.is_valid():
        therapist = next(t for t in therapists if str(t.pk) == form.cleaned_data["therapist"])
        done = act_on_form(
            request,
            form,
            act=lambda: services.case_appointment_book(
                actor=request.user,
                case=case,
                therapist=therapist,
                slot=form.slot(services.practice_zone()),
                request=request,
            ),
            done=f"Joint appointment booked for {case.code}.",
            then=_case_url(case, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/families/book.html",
        {
            "organisation": organisation,
            "case": case,
            "form": form,
            "zone": str(services.practice_zone()),
        },
    )


@policy(action=Action.CREATE, resource=NOTES, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-joint-note-new", roles=THERAPISTS)
@never_cache
@require_http_methods(["GET", "POST"])
def joint_note_new(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Write a joint session's note once: each member gets their own copy in their chart."""
    case = _case(request, organisation, pk)
    try:
        template = notetemplates.get_template(request.GET.get("template", ""))
    except notetemplates.UnknownTemplate:
        messages.error(request, "Choose a note template from the list.")
        return HttpResponseRedirect(_case_url(case, organisation))
    choices = [(c.code, f"{c.code} {c.description}") for c in selectors.service_codes(organisation)]
    form = NoteForm(request.POST or None, template=template, service_codes=choices)
    if request.method == "POST" and form.is_valid():
        try:
            joint = services.joint_note_create(
                actor=request.user,
                case=case,
                template_code=template.code,
                service_date=form.cleaned_data["service_date"],
                sections=form.sections(),
                diagnosis_codes=form.diagnoses(),
                service_codes=form.cleaned_data["service_codes"],
                request=request,
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request, "Draft saved as a copy in each member's chart. Sign it when complete."
            )
            return HttpResponseRedirect(_joint_url(joint, organisation))
    return render(
        request,
        "practice/practice/families/note_form.html",
        {"organisation": organisation, "case": case, "form": form},
    )


@policy(action=Action.READ, resource=NOTES, purpose=PURPOSE)
@practice_only(what="practice-joint-note", roles=CLINICAL)
@never_cache
@require_GET
def joint_note_detail(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Show a joint note's session and its member copies (each opens in its member's chart)."""
    case = _case(request, organisation, pk)
    joint = selectors.get_joint_note_for(actor=request.user, case=case, pk=note_pk, request=request)
    copies = selectors.joint_note_copies(actor=request.user, joint=joint, request=request)
    return render(
        request,
        "practice/practice/families/note.html",
        {
            "organisation": organisation,
            "case": case,
            "joint": joint,
            "author_label": selectors.staff_label(joint.author),
            "copies": copies,
            "may_sign": joint.author_id == request.user.pk
            and any(c.status == NoteStatus.DRAFT for c in copies),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=NOTES, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-joint-note-sign", roles=THERAPISTS)
@require_POST
def joint_note_sign(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Sign every draft copy of one's joint note, after a fresh second factor."""
    case = _case(request, organisation, pk)
    joint = selectors.get_joint_note_for(
        actor=request.user, case=case, pk=note_pk, request=request, action=Action.READ
    )
    if not fresh(request):
        return reauthenticate_then(request, _joint_url(joint, organisation))
    return act_then_back(
        request,
        act=lambda: services.joint_note_sign(actor=request.user, joint=joint, request=request),
        done=lambda signed: f"Signed {len(signed)} copies.",
        back=_joint_url(joint, organisation),
    )


def _therapist_choices(organisation: Organisation) -> list[tuple[str, str]]:
    return [(str(t.pk), selectors.staff_label(t)) for t in selectors.therapists(organisation)]


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-case-therapist-add", roles=FRONT_DESK)
@require_POST
def case_therapist_add(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Add a therapist who already works with every member to the case."""
    case = _case(request, organisation, pk)
    form = CaseTherapistForm(request.POST, therapists=_therapist_choices(organisation))
    if not form.is_valid():
        messages.error(request, "Choose a therapist of this practice.")
        return HttpResponseRedirect(_case_url(case, organisation))
    therapist = next(
        t for t in selectors.therapists(organisation) if str(t.pk) == form.cleaned_data["therapist"]
    )
    return act_then_back(
        request,
        act=lambda: services.case_therapist_add(
            actor=request.user, case=case, therapist=therapist, request=request
        ),
        done=f"{selectors.staff_label(therapist)} now sees {case.code}.",
        back=_case_url(case, organisation),
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-case-therapist-remove", roles=FRONT_DESK)
@require_POST
def case_therapist_remove(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, therapist_pk: Any
) -> HttpResponse:
    """Stop a therapist's work with the case; their work with each member is left as it is."""
    case = _case(request, organisation, pk)
    therapist = next(
        (t for t in services.current_case_therapists(case) if str(t.pk) == str(therapist_pk)),
        None,
    )
    if therapist is None:
        messages.error(request, "This therapist does not see the case.")
        return HttpResponseRedirect(_case_url(case, organisation))
    return act_then_back(
        request,
        act=lambda: services.case_therapist_remove(
            actor=request.user, case=case, therapist=therapist, request=request
        ),
        done=f"{selectors.staff_label(therapist)} no longer sees {case.code}.",
        back=_case_url(case, organisation),
    )
