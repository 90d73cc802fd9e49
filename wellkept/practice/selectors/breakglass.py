"""Reads of break-glass on a client's record (issue 18). Every read is decided and audited.

- ``live_opening_check``: the check the practice registers with the policy
  (``register_break_glass_check``): the actor's live opening for the
  resource's client, as a decision. The policy asks it only for a READ of a
  record kind, for a safety emergency, by a specialist of the organisation
  who does not hold the client already.
- ``live_opening``: the actor's live opening of one client, for the banner.
- ``get_emergency_record_for``: what break-glass lets the specialist read
  (details, progress notes, plans, measures), each part one audited
  decision; 404 for missing, forbidden and expired alike. Never a
  psychotherapy note: the policy has no such kind in
  ``BREAK_GLASS_RECORD_KINDS`` and this module never reads that table.
- ``review_queue`` and ``get_opening_for``: the privacy officer's side.
- ``usable_allowances``: a therapist's unused, unexpired allowances for one
  more opening before a review (the service locks them; the page shows one).

``breakglass_resource`` (an opening, for its review) is in ``scopes``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import NOT_FOUND_MESSAGE, Decision, can, get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.access.rules import BREAK_GLASS_PURPOSE
from wellkept.actors import Caller
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    Client,
    ClientBreakGlass,
    ClientBreakGlassAllowance,
    MeasureResult,
    NoteStatus,
    PlanStatus,
    ProgressNote,
    TreatmentPlan,
)
from wellkept.practice.scopes import (
    client_record_resource,
    current_assignees,
    measure_resource,
    plan_resource,
)

EMERGENCY = BREAK_GLASS_PURPOSE
OVERSIGHT = Purpose.AUDIT_OVERSIGHT


def _client_id(resource: Resource) -> uuid.UUID | None:
    """The client a practice resource is about: its reference starts ``client:<uuid>``."""
    head = resource.reference.split("/", 1)[0]
    if not head.startswith("client:"):
        return None
    try:
        return uuid.UUID(head.removeprefix("client:"))
    except ValueError:
        return None


def live_opening_check(actor: Any, resource: Resource) -> Decision | None:
    """Allow the read when ``actor`` holds a live break-glass opening of the resource's client."""
    client_id = _client_id(resource)
    if client_id is None or resource.organisation_id is None:
        return None
    opening = (
        ClientBreakGlass.objects.filter(
            opened_by_id=getattr(actor, "pk", None),
            client_id=client_id,
            organisation_id=resource.organisation_id,
            expires_at__gt=clock.now(),
        )
        .order_by("-expires_at")
        .first()
    )
    if opening is None:
        return None
    return Decision(
        True,
        f"break-glass opening {opening.pk} until {opening.expires_at:%Y-%m-%dT%H:%MZ}",
        role="specialist",
        relationship="other",
    )


def live_opening(*, actor: Caller, client: Client) -> ClientBreakGlass | None:
    """The actor's live opening of ``client`` (the latest), if any; for a client already read."""
    return (
        ClientBreakGlass.objects.filter(
            opened_by_id=getattr(actor, "pk", None), client=client, expires_at__gt=clock.now()
        )
        .order_by("-expires_at")
        .first()
    )


def client_by_code(*, organisation: Organisation, code: str) -> Client | None:
    """The practice's client with this code, for the opening form; nothing of them is read."""
    return Client.objects.filter(organisation=organisation, code=code.strip().upper()).first()


@dataclass(frozen=True)
class NoteShown:
    note: ProgressNote
    sections: dict[str, str]


@dataclass(frozen=True)
class MeasureShown:
    result: MeasureResult
    total: Any
    band: str
    safety: bool


@dataclass(frozen=True)
class EmergencyRecord:
    """What one break-glass opening lets its specialist read of a client's record."""

    client: Client
    opening: ClientBreakGlass
    notes: list[NoteShown]
    plan: TreatmentPlan | None
    plan_content: Any
    measures: list[MeasureShown]


def _read(actor: Caller, resource: Resource, request: HttpRequest | None) -> None:
    # One audited decision per part of the record: an expired opening, or a
    # plan that raced past it, is refused like a client that does not exist.
    if not can(actor, Action.READ, resource, EMERGENCY, request=request):
        raise Http404(NOT_FOUND_MESSAGE)


def _loads(raw: object) -> Any:
    if not isinstance(raw, str):
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


def get_emergency_record_for(
    *, actor: Caller, organisation: Organisation, pk: Any, request: HttpRequest | None = None
) -> EmergencyRecord:
    """Return the client's record as break-glass lets the actor read it now, or 404."""
    client = get_for(
        actor=actor,
        queryset=Client.objects.filter(organisation=organisation).select_related("organisation"),
        pk=pk,
        action=Action.READ,
        purpose=EMERGENCY,
        request=request,
    )
    opening = live_opening(actor=actor, client=client)
    if opening is None:
        # Expired between the two reads.
        raise Http404(NOT_FOUND_MESSAGE)
    _read(actor, client_record_resource(client), request)
    _read(
        actor,
        Resource(
            kind=ResourceKind.PROGRESS_NOTE,
            reference=f"client:{client.pk}/notes",
            organisation_id=client.organisation_id,
            assignee_user_ids=current_assignees(client),
        ),
        request,
    )
    notes = [
        NoteShown(note, _sections(note))
        for note in ProgressNote.objects.filter(client=client)
        .exclude(status=NoteStatus.DRAFT)
        .select_related("author")
        .order_by("-service_date", "-created_at")
    ]
    plan = (
        TreatmentPlan.objects.filter(client=client, status=PlanStatus.ACTIVE)
        .order_by("-version")
        .first()
    )
    if plan is not None:
        _read(actor, plan_resource(client, plan.pk), request)
    _read(actor, measure_resource(client), request)
    measures = []
    for result in MeasureResult.objects.filter(client=client).order_by(
        "-administered_on", "-recorded_at"
    ):
        data = _loads(result.result)
        data = data if isinstance(data, dict) else {}
        measures.append(
            MeasureShown(
                result, data.get("total"), str(data.get("band") or ""), bool(data.get("safety"))
            )
        )
    return EmergencyRecord(
        client=client,
        opening=opening,
        notes=notes,
        plan=plan,
        plan_content=_loads(plan.content) if plan is not None else None,
        measures=measures,
    )


def _sections(note: ProgressNote) -> dict[str, str]:
    loaded = _loads(note.sections)
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


# ---- The privacy officer's side -----------------------------------------------------


def review_queue(
    *, actor: Caller, organisation: Organisation, request: HttpRequest | None = None
) -> tuple[list[ClientBreakGlass], list[ClientBreakGlass]]:
    """The organisation's openings waiting for review, then the last fifty reviewed."""
    rows = visible(
        actor,
        Action.READ,
        ClientBreakGlass.objects.filter(organisation=organisation).select_related(
            "client", "opened_by", "reviewed_by"
        ),
        OVERSIGHT,
        request=request,
    ).exclude(opened_by_id=getattr(actor, "pk", None))
    waiting = list(rows.filter(reviewed_at__isnull=True).order_by("opened_at"))
    done = list(rows.filter(reviewed_at__isnull=False).order_by("-reviewed_at")[:50])
    return waiting, done


def get_opening_for(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> ClientBreakGlass:
    """One opening of the organisation, for its review; 404 for missing, forbidden and own."""
    return get_for(
        actor=actor,
        queryset=ClientBreakGlass.objects.filter(organisation=organisation).select_related(
            "client", "opened_by", "reviewed_by"
        ),
        pk=pk,
        action=action or declared_action(ResourceKind.IDENTITY_GRANT, Action.READ),
        purpose=OVERSIGHT,
        request=request,
    )


def usable_allowances(
    *, therapist_id: Any, organisation_id: Any
) -> QuerySet[ClientBreakGlassAllowance]:
    """The therapist's allowances for one more opening, unused and unexpired, oldest first.

    Read only by the service (which locks them) and by the review page of an
    opening the policy already let the privacy officer read.
    """
    return ClientBreakGlassAllowance.objects.filter(
        therapist_id=therapist_id,
        organisation_id=organisation_id,
        used_by__isnull=True,
        expires_at__gt=clock.now(),
    ).order_by("granted_at")
