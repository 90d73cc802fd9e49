"""Reads for the programme pages: the policy's description of a programme, and the accessors.

The accessors are the one way a page reaches a programme, check-in or
support resource: the object, or 404 whether it is missing or forbidden,
with the decision recorded either way.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

from django.http import Http404, HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.actors import Actor
from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.assessments.models import (
    Programme,
    ProgrammeStatus,
    Schedule,
    SupportKind,
    SupportResource,
)
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.orgs.models import Organisation

PURPOSE = Purpose.SERVICE_ADMINISTRATION


def programmes_resource(organisation: Organisation | Any) -> Resource:
    """Describe an organisation's programme set-up as a whole (listing, creating)."""
    org_id = getattr(organisation, "pk", organisation)
    return Resource(
        kind=ResourceKind.PROGRAMME_CONFIG,
        reference=f"programmes:{org_id}",
        organisation_id=org_id,
    )


def programme_resource(programme: Programme, part: str = "") -> Resource:
    """Describe one programme (or a schedule or resource of it) for the policy and the trail."""
    return Resource(
        kind=ResourceKind.PROGRAMME_CONFIG,
        reference=f"programme:{programme.pk}{'/' + part if part else ''}",
        organisation_id=programme.organisation_id,
    )


def opening_problems(programme: Programme) -> list[str]:
    """Return what the programme lacks before it can open, one plain sentence each."""
    problems = []
    if not programme.units.exists():
        problems.append("Choose at least one unit that takes part.")
    schedules = list(programme.schedules.all())
    if not schedules:
        problems.append("Add at least one check-in (what is asked, and how often).")
    catalogue = shipped_instruments()
    for schedule in schedules:
        unknown = [code for code in schedule.instruments if code not in catalogue]
        if unknown or not schedule.instruments:
            problems.append(
                f"The check-in {schedule.name!r} asks for questionnaires that are not shipped "
                f"({', '.join(unknown) or 'none chosen'}); edit it."
            )
    if not programme.resources.filter(kind=SupportKind.CRISIS).exists():
        # Invariant 7: a risky answer shows crisis resources at once, so an
        # open programme without one could leave a person with nowhere to turn.
        problems.append(
            "Add at least one crisis line: it is shown at once whenever an answer signals risk."
        )
    return problems


def _refuse_unknown(actor: Actor, request: HttpRequest | None) -> NoReturn:
    # Like the policy's get_for: a made-up id is recorded by kind only.
    audit_record(
        actor=actor,
        event=EventType.ACCESS_DENIED,
        target=f"{ResourceKind.PROGRAMME_CONFIG.value}:unknown",
        outcome=Outcome.DENIED,
        reason="No such record.",
        purpose=PURPOSE.value,
        request=request,
    )
    raise Http404(NOT_FOUND_MESSAGE)


def get_programme_for(
    *,
    actor: Actor,
    programme_id: Any,
    action: Action = Action.READ,
    request: HttpRequest | None = None,
) -> Programme:
    """Return the programme, or raise Http404 when missing or forbidden alike; one audit event."""
    programme = Programme.objects.select_related("organisation").filter(pk=programme_id).first()
    if programme is None:
        _refuse_unknown(actor, request)
    if not can(actor, action, programme_resource(programme), PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return programme


def get_schedule_for(
    *,
    actor: Actor,
    programme_id: Any,
    schedule_id: Any,
    action: Action = Action.READ,
    request: HttpRequest | None = None,
) -> Schedule:
    """Return one check-in of the programme, or raise Http404; one audit event."""
    schedule = (
        Schedule.objects.select_related("programme", "programme__organisation")
        .filter(pk=schedule_id, programme_id=programme_id)
        .first()
    )
    if schedule is None:
        _refuse_unknown(actor, request)
    resource = programme_resource(schedule.programme, f"schedule:{schedule.pk}")
    if not can(actor, action, resource, PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return schedule


def get_support_resource_for(
    *,
    actor: Actor,
    programme_id: Any,
    resource_id: Any,
    action: Action = Action.READ,
    request: HttpRequest | None = None,
) -> SupportResource:
    """Return one support resource of the programme, or raise Http404; one audit event."""
    resource = (
        SupportResource.objects.select_related("programme", "programme__organisation")
        .filter(pk=resource_id, programme_id=programme_id)
        .first()
    )
    if resource is None:
        _refuse_unknown(actor, request)
    described = programme_resource(resource.programme, f"resource:{resource.pk}")
    if not can(actor, action, described, PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return resource


def organisations_managed_by(
    actor: Actor,
    candidates: Iterable[Organisation],
    *,
    action: Action = Action.READ,
    request: HttpRequest | None = None,
) -> list[Organisation]:
    """Return the candidates whose programmes the actor may ``action``, each decided and audited."""
    return [
        organisation
        for organisation in candidates
        if can(actor, action, programmes_resource(organisation), PURPOSE, request=request)
    ]


def programmes_of(organisations: Iterable[Organisation]) -> list[Programme]:
    """Return the programmes of the organisations, open first, then drafts, then closed."""
    order: dict[str, int] = {
        ProgrammeStatus.OPEN.value: 0,
        ProgrammeStatus.DRAFT.value: 1,
        ProgrammeStatus.CLOSED.value: 2,
    }
    rows = Programme.objects.filter(organisation__in=list(organisations)).select_related(
        "organisation"
    )
    return sorted(rows, key=lambda p: (p.organisation.name, order.get(p.status, 3), p.name))


def instrument_labels(codes: Iterable[str]) -> list[str]:
    """Return the short titles of instrument codes, or the code itself for one no longer shipped."""
    catalogue = shipped_instruments()
    return [catalogue[code].short_title if code in catalogue else code for code in codes]
