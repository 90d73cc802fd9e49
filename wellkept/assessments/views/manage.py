"""The system administrator's programme pages: programmes, check-ins, support resources, open/close.

Each page reaches its programme through ``get_programme_for`` (and the
schedule and resource equivalents), which asks the policy whether the
signed-in person may read this programme's set-up and records the answer;
anyone else gets the same 404 as for a programme that does not exist. The
write itself is decided again by the service, as for a command. Staff
reach these pages only with a second factor (the MFA middleware); opening
and closing a programme, which changes what every clinician is asked, also
needs a recent one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import reauthentication_url, recently_authenticated, signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts.selectors import administered_organisations
from wellkept.actors import AuthenticatedRequest
from wellkept.assessments import programmes
from wellkept.assessments.forms import (
    ProgrammeCreateForm,
    ProgrammeForm,
    ScheduleForm,
    SupportResourceForm,
)
from wellkept.assessments.models import Programme, ProgrammeStatus, Schedule, SupportResource
from wellkept.orgs.models import Organisation
from wellkept.orgs.selectors import units_for_org

KIND = ResourceKind.PROGRAMME_CONFIG
PURPOSE = Purpose.SERVICE_ADMINISTRATION
TEMPLATES = "assessments/manage/"


def _managed_organisations(request: AuthenticatedRequest) -> list[Organisation]:
    """The organisations whose programmes the user may see; 404 when there are none."""
    found = programmes.organisations_managed_by(
        request.user, administered_organisations(request.user), request=request
    )
    if not found:
        # Not found, not forbidden: the pages do not exist for other roles.
        raise Http404
    return found


def _programme(request: AuthenticatedRequest, programme_id: UUID) -> Programme:
    return programmes.get_programme_for(
        actor=request.user, programme_id=programme_id, request=request
    )


def _add_errors(form: Any, exc: ValidationError) -> None:
    # The services' messages say what is wrong and what to do; they go at
    # the top of the form, where the error summary is.
    for message in exc.messages:
        form.add_error(None, message)


def _posted(request: HttpRequest) -> Any:
    """The submitted data for a bound form, or None on GET (an empty POST is still bound)."""
    return request.POST if request.method == "POST" else None


def _to_detail(programme: Programme) -> HttpResponse:
    return redirect("programmes:detail", programme_id=programme.pk)


def _form_page(
    request: AuthenticatedRequest,
    form: Any,
    *,
    save: Callable[[], Programme],
    saved: str | Callable[[Programme], str],
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """Save a valid posted form through ``save``, or show it (again) with what is wrong.

    The service decides again, as for a command: a refusal there answers the
    same 404 as a missing programme; its validation messages go to the top
    of the form. A form sent back is answered 400, so that a script sees it.
    """
    if request.method == "POST" and form.is_valid():
        try:
            programme = save()
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, saved if isinstance(saved, str) else saved(programme))
            return _to_detail(programme)
    status = 400 if request.method == "POST" else 200
    return render(request, TEMPLATES + template, {**context, "form": form}, status=status)


def _remove(
    request: AuthenticatedRequest, *, remove: Callable[[], object], removed: str, back: Programme
) -> HttpResponse:
    """Remove through ``remove`` and go back to the programme, saying what happened."""
    try:
        remove()
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, removed)
    return _to_detail(back)


# --- Programmes ---------------------------------------------------------------------------


@policy(action=Action.READ, resource=KIND, purpose=PURPOSE)
@require_GET
@signed_in
def programme_list(request: AuthenticatedRequest) -> HttpResponse:
    """List the programmes of the organisations the user administers, with their status."""
    organisations = _managed_organisations(request)
    return render(
        request,
        TEMPLATES + "list.html",
        {"programmes": programmes.programmes_of(organisations), "organisations": organisations},
    )


@policy(action=Action.CREATE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_http_methods(["GET", "POST"])
@signed_in
def programme_create(request: AuthenticatedRequest) -> HttpResponse:
    """Create a draft programme."""
    organisations = _managed_organisations(request)
    form = ProgrammeCreateForm(_posted(request), organisations=organisations)
    return _form_page(
        request,
        form,
        save=lambda: programmes.programme_create(
            actor=request.user,
            organisation=form.cleaned_data["organisation"],
            name=form.cleaned_data["name"],
            welcome=form.cleaned_data["welcome"],
            request=request,
        ),
        saved=lambda programme: (
            f"{programme.name} is created as a draft. Choose its units, add a check-in and a "
            "crisis line, then open it."
        ),
        template="create.html",
        context={"organisations": organisations},
    )


@policy(action=Action.READ, resource=KIND, purpose=PURPOSE)
@require_GET
@signed_in
def programme_detail(request: AuthenticatedRequest, programme_id: UUID) -> HttpResponse:
    """Show a programme's set-up: units, check-ins, support resources and status."""
    programme = _programme(request, programme_id)
    schedules = [
        (schedule, programmes.instrument_labels(schedule.instruments))
        for schedule in programme.schedules.all()
    ]
    return render(
        request,
        TEMPLATES + "detail.html",
        {
            "programme": programme,
            "units": programme.units.order_by("path"),
            "schedules": schedules,
            "resources": programme.resources.all(),
            "problems": (
                programmes.opening_problems(programme)
                if programme.status != ProgrammeStatus.OPEN
                else []
            ),
        },
    )


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_http_methods(["GET", "POST"])
@signed_in
def programme_edit(request: AuthenticatedRequest, programme_id: UUID) -> HttpResponse:
    """Change a programme's name, welcome text and units."""
    programme = _programme(request, programme_id)
    form = ProgrammeForm(
        _posted(request),
        units=units_for_org(programme.organisation),
        initial={
            "name": programme.name,
            "welcome": programme.welcome,
            "units": list(programme.units.all()),
        },
    )

    def save() -> Programme:
        programmes.programme_update(
            actor=request.user,
            programme=programme,
            name=form.cleaned_data["name"],
            welcome=form.cleaned_data["welcome"],
            units=form.cleaned_data["units"],
            request=request,
        )
        return programme

    return _form_page(
        request,
        form,
        save=save,
        saved="Programme saved.",
        template="edit.html",
        context={"programme": programme},
    )


def _reauthenticate(request: HttpRequest) -> HttpResponse:
    # What reauth_required does, but after the programme was found: as a
    # decorator it would send everyone else to a code prompt instead of the
    # 404 that says nothing about whether the page exists.
    return HttpResponseRedirect(reauthentication_url(request))


def _status_page(
    request: HttpRequest, programme: Programme, template: str, errors: list[str], status: int
) -> HttpResponse:
    problems = (
        programmes.opening_problems(programme) if programme.status != ProgrammeStatus.OPEN else []
    )
    return render(
        request,
        TEMPLATES + template,
        {"programme": programme, "errors": errors, "problems": problems},
        status=status,
    )


def _status_change(
    request: AuthenticatedRequest,
    programme_id: UUID,
    *,
    template: str,
    change: Callable[..., object],
    changed: str,
) -> HttpResponse:
    """GET: say what the change means. POST: make it, after a recent second factor."""
    programme = _programme(request, programme_id)
    if not recently_authenticated(request):
        return _reauthenticate(request)
    if request.method == "GET":
        return _status_page(request, programme, template, [], 200)
    try:
        change(actor=request.user, programme=programme, request=request)
    except PermissionDenied:
        raise Http404 from None
    except ValidationError as exc:
        return _status_page(request, programme, template, exc.messages, 400)
    messages.success(request, changed.format(name=programme.name))
    return _to_detail(programme)


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_http_methods(["GET", "POST"])
@signed_in
def programme_open(request: AuthenticatedRequest, programme_id: UUID) -> HttpResponse:
    """GET: say what opening means and what is missing. POST: open the programme."""
    return _status_change(
        request,
        programme_id,
        template="open.html",
        change=programmes.programme_open,
        changed="{name} is open: clinicians can now join and check in.",
    )


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_http_methods(["GET", "POST"])
@signed_in
def programme_close(request: AuthenticatedRequest, programme_id: UUID) -> HttpResponse:
    """GET: say what closing means. POST: close the programme."""
    return _status_change(
        request,
        programme_id,
        template="close.html",
        change=programmes.programme_close,
        changed="{name} is closed: no new check-ins; answers already given are kept.",
    )


# --- Check-in schedules ---------------------------------------------------------------------


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_http_methods(["GET", "POST"])
@signed_in
def schedule_add(request: AuthenticatedRequest, programme_id: UUID) -> HttpResponse:
    """Add a check-in to the programme."""
    programme = _programme(request, programme_id)
    form = ScheduleForm(_posted(request))

    def save() -> Programme:
        programmes.schedule_add(
            actor=request.user,
            programme=programme,
            name=form.cleaned_data["name"],
            frequency=form.cleaned_data["frequency"],
            instruments=form.chosen_instruments(),
            request=request,
        )
        return programme

    return _form_page(
        request,
        form,
        save=save,
        saved="Check-in added.",
        template="schedule_form.html",
        context={"programme": programme, "schedule": None},
    )


def _schedule(request: AuthenticatedRequest, programme_id: UUID, schedule_id: UUID) -> Schedule:
    return programmes.get_schedule_for(
        actor=request.user, programme_id=programme_id, schedule_id=schedule_id, request=request
    )


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_http_methods(["GET", "POST"])
@signed_in
def schedule_edit(
    request: AuthenticatedRequest, programme_id: UUID, schedule_id: UUID
) -> HttpResponse:
    """Change a check-in's name, frequency or questionnaires."""
    schedule = _schedule(request, programme_id, schedule_id)
    form = ScheduleForm(
        _posted(request),
        initial={"name": schedule.name, "frequency": schedule.frequency},
        instruments=schedule.instruments,
    )

    def save() -> Programme:
        programmes.schedule_update(
            actor=request.user,
            schedule=schedule,
            name=form.cleaned_data["name"],
            frequency=form.cleaned_data["frequency"],
            instruments=form.chosen_instruments(),
            request=request,
        )
        return schedule.programme

    return _form_page(
        request,
        form,
        save=save,
        saved="Check-in saved.",
        template="schedule_form.html",
        context={"programme": schedule.programme, "schedule": schedule},
    )


@policy(action=Action.DELETE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_POST
@signed_in
def schedule_remove(
    request: AuthenticatedRequest, programme_id: UUID, schedule_id: UUID
) -> HttpResponse:
    """Remove a check-in nobody has answered yet."""
    schedule = _schedule(request, programme_id, schedule_id)
    return _remove(
        request,
        remove=lambda: programmes.schedule_remove(
            actor=request.user, schedule=schedule, request=request
        ),
        removed=f"Check-in {schedule.name} removed.",
        back=schedule.programme,
    )


# --- Support resources ----------------------------------------------------------------------


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_http_methods(["GET", "POST"])
@signed_in
def resource_add(request: AuthenticatedRequest, programme_id: UUID) -> HttpResponse:
    """Add a crisis line or support service."""
    programme = _programme(request, programme_id)
    form = SupportResourceForm(_posted(request), initial={"kind": request.GET.get("kind")})

    def save() -> Programme:
        programmes.support_resource_add(
            actor=request.user, programme=programme, request=request, **form.cleaned_data
        )
        return programme

    return _form_page(
        request,
        form,
        save=save,
        saved="Support resource added.",
        template="resource_form.html",
        context={"programme": programme, "resource": None},
    )


def _resource(
    request: AuthenticatedRequest, programme_id: UUID, resource_id: UUID
) -> SupportResource:
    return programmes.get_support_resource_for(
        actor=request.user, programme_id=programme_id, resource_id=resource_id, request=request
    )


@policy(action=Action.UPDATE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_http_methods(["GET", "POST"])
@signed_in
def resource_edit(
    request: AuthenticatedRequest, programme_id: UUID, resource_id: UUID
) -> HttpResponse:
    """Change a crisis line or support service."""
    resource = _resource(request, programme_id, resource_id)
    form = SupportResourceForm(
        _posted(request),
        initial={
            "kind": resource.kind,
            "name": resource.name,
            "contact": resource.contact,
            "description": resource.description,
        },
    )

    def save() -> Programme:
        programmes.support_resource_update(
            actor=request.user, resource=resource, request=request, **form.cleaned_data
        )
        return resource.programme

    return _form_page(
        request,
        form,
        save=save,
        saved="Support resource saved.",
        template="resource_form.html",
        context={"programme": resource.programme, "resource": resource},
    )


@policy(action=Action.DELETE, resource=KIND, purpose=PURPOSE, also=(Action.READ,))
@require_POST
@signed_in
def resource_remove(
    request: AuthenticatedRequest, programme_id: UUID, resource_id: UUID
) -> HttpResponse:
    """Remove a crisis line or support service."""
    resource = _resource(request, programme_id, resource_id)
    return _remove(
        request,
        remove=lambda: programmes.support_resource_remove(
            actor=request.user, resource=resource, request=request
        ),
        removed=f"{resource.name} removed.",
        back=resource.programme,
    )
