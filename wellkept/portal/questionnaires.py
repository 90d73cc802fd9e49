"""Questionnaires in the portal: the measures a client's therapist assigned, due now.

The client answers on a form built from the instrument's definition, the
practice's ``measure_submit_by_client`` scores and records it exactly as
in session (a safety answer alerts the therapists), and the client sees
their result at once, with crisis lines first after a risk answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.accounts.models import User
from wellkept.actors import Caller
from wellkept.assessments.instruments import Instrument, UnknownInstrument, get_instrument
from wellkept.assessments.instruments.instrument import Band
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.portal.models import PortalMembership
from wellkept.portal.scopes import own_answer_resource
from wellkept.portal.selectors import own_page
from wellkept.practice.models import MeasureAssignment, MeasureResult
from wellkept.practice.selectors.measures import crisis_resources, result_data
from wellkept.practice.services.measures import (
    PRACTICE_INSTRUMENTS,
    measure_due,
    measure_submit_by_client,
)


@dataclass(frozen=True)
class ShownResult:
    """One of the client's results as they see it: when, score, band and what it means."""

    result: MeasureResult
    instrument: Instrument
    total: int | None
    band: Band | None
    safety: bool


def _last_answered(client_id: Any, code: str) -> dt.date | None:
    return (
        MeasureResult.objects.filter(client_id=client_id, instrument_key__startswith=f"{code}@")
        .order_by("-administered_on")
        .values_list("administered_on", flat=True)
        .first()
    )


def own_due_questionnaires(membership: PortalMembership) -> list[Instrument]:
    """The questionnaires the client's therapist assigned that are due now (the caller decided)."""
    due = []
    assignments = MeasureAssignment.objects.filter(
        client_id=membership.client_id, ended_at__isnull=True, instrument__in=PRACTICE_INSTRUMENTS
    ).order_by("instrument")
    for assignment in assignments:
        if measure_due(assignment, _last_answered(membership.client_id, assignment.instrument)):
            due.append(get_instrument(assignment.instrument))
    return due


def _shown(result: MeasureResult) -> ShownResult | None:
    try:
        instrument = get_instrument(result.instrument_key.split("@")[0])
    except UnknownInstrument:
        return None
    data = result_data(result)
    total = data.get("total") if isinstance(data.get("total"), int) else None
    band = next((b for b in instrument.bands if b.code == data.get("band")), None)
    return ShownResult(result, instrument, total, band, bool(data.get("safety")))


def own_results(membership: PortalMembership, code: str) -> list[ShownResult]:
    """The client's results for one instrument, newest first (the caller decided)."""
    rows = MeasureResult.objects.filter(
        client_id=membership.client_id, instrument_key__startswith=f"{code}@"
    ).order_by("-administered_on", "-recorded_at")
    return [s for s in (_shown(r) for r in rows) if s is not None]


def own_results_all(membership: PortalMembership) -> list[ShownResult]:
    """All the client's results, newest first (the caller decided)."""
    rows = MeasureResult.objects.filter(client_id=membership.client_id).order_by(
        "-administered_on", "-recorded_at"
    )
    return [s for s in (_shown(r) for r in rows) if s is not None]


def own_result(
    *, actor: Caller, pk: Any, request: HttpRequest | None = None
) -> tuple[PortalMembership, ShownResult]:
    """One of the actor's own questionnaire results, decided and audited, or a 404."""
    membership = own_page(actor=actor, page="questionnaires", request=request)
    try:
        result = MeasureResult.objects.filter(client_id=membership.client_id, pk=pk).first()
    except (ValidationError, ValueError, TypeError):
        result = None
    shown = _shown(result) if result is not None else None
    if shown is None:
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target="portal:questionnaire-result:unknown",
            outcome=Outcome.DENIED,
            reason="not the client's own result",
            purpose=Purpose.SELF_SERVICE.value,
            request=request,
        )
        raise Http404(NOT_FOUND_MESSAGE)
    resource = own_answer_resource(membership, f"measure:{shown.result.pk}")
    if not can(actor, Action.READ, resource, Purpose.SELF_SERVICE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return membership, shown


def own_questionnaire(
    *, actor: Caller, code: str, request: HttpRequest | None = None
) -> tuple[PortalMembership, Instrument]:
    """A questionnaire due for the actor now, or an audited 404 (unknown, not assigned, not due)."""
    membership = own_page(actor=actor, page="questionnaires", request=request)
    due = {i.code: i for i in own_due_questionnaires(membership)}
    if code not in due:
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target="portal:questionnaire:unknown",
            outcome=Outcome.DENIED,
            reason="no such questionnaire due",
            purpose=Purpose.SELF_SERVICE.value,
            request=request,
        )
        raise Http404(NOT_FOUND_MESSAGE)
    return membership, due[code]


def portal_measure_submit(
    *,
    actor: User,
    code: str,
    answers: dict[str, int | None],
    request: HttpRequest | None = None,
) -> MeasureResult:
    """Record the client's answers through the practice's service, for their own portal."""
    membership = own_page(actor=actor, page="questionnaires", request=request)
    return measure_submit_by_client(
        actor=actor,
        client=membership.client,
        instrument=code,
        answers=answers,
        own_portal=own_answer_resource(membership, "measure:new"),
        request=request,
    )


def crisis_lines(membership: PortalMembership) -> tuple[list[Any], str]:
    """The crisis lines to show at once after a safety answer: the practice's and its phone."""
    return (
        crisis_resources(membership.client.organisation),
        settings.WELLKEPT_TELEHEALTH_CRISIS_LINE,
    )
