"""Reads: a clinician's programme, what is due, and their own history."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import visible
from wellkept.access.purposes import Purpose
from wellkept.assessments import periods
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
    Programme,
    ProgrammeStatus,
    Response,
    Schedule,
    SupportKind,
    SupportResource,
    today,
)
from wellkept.orgs.models import (
    Clinician,
    Organisation,
    Participant,
    Role,
    Unit,
)
from wellkept.orgs.selectors import (
    NOT_OFFERED_THE_PROGRAMME,
    affiliated_organisations,
    participant_for_user,
)
from wellkept.vault.services import is_erased


def programme_offered(user: Any, roles: set[Role]) -> bool:
    """Whether to offer the programme's pages to someone holding ``roles``.

    Decided by role, never by enrolment: hiding "Check-ins" from people who
    do not take part would tell anyone looking at a screen who does.
    """
    if not roles or not roles <= NOT_OFFERED_THE_PROGRAMME:
        return True
    return Clinician.objects.filter(user=user).exists()


def open_programme(organisation: Organisation | Any) -> Programme | None:
    """Return the organisation's open programme, if it has one."""
    org_id: Any = getattr(organisation, "pk", organisation)
    return Programme.objects.filter(organisation_id=org_id, status=ProgrammeStatus.OPEN).first()


@dataclass(frozen=True)
class Membership:
    """A signed-in person's standing in one organisation's programme."""

    organisation: Organisation
    programme: Programme | None
    participant: Participant | None


def memberships(user: Any) -> list[Membership]:
    """Return, per affiliated organisation, its open programme and the user's enrolment."""
    found = []
    for org in affiliated_organisations(user):
        participant = participant_for_user(user=user, organisation=org)
        programme = open_programme(org)
        if programme is None and participant is None:
            continue
        found.append(Membership(org, programme, participant))
    return found


def programme_units(programme: Programme) -> QuerySet[Unit]:
    """Return every unit taking part: the chosen ones and everything below them."""
    chosen = list(programme.units.values_list("organisation_id", "path"))
    if not chosen:
        return Unit.objects.none()
    condition = Q()
    for org_id, path in chosen:
        condition |= Q(organisation_id=org_id, path__startswith=path)
    return Unit.objects.filter(condition).order_by("path")


def crisis_resources(programme: Programme | None) -> list[SupportResource]:
    if programme is None:
        return []
    return list(programme.resources.filter(kind=SupportKind.CRISIS))


def support_resources(programme: Programme | None) -> list[SupportResource]:
    if programme is None:
        return []
    return list(programme.resources.filter(kind=SupportKind.SUPPORT))


@dataclass(frozen=True)
class ScheduleStatus:
    schedule: Schedule
    period_start: dt.date
    next_period_start: dt.date
    checkin: CheckIn | None

    @property
    def done(self) -> bool:
        return self.checkin is not None and self.checkin.status == CheckInStatus.SUBMITTED

    @property
    def in_progress(self) -> bool:
        return self.checkin is not None and self.checkin.status == CheckInStatus.IN_PROGRESS


def schedule_statuses(
    participant: Participant, programme: Programme, day: dt.date | None = None
) -> list[ScheduleStatus]:
    """Return each of the programme's check-ins with this period's state for the participant."""
    day = day or today()
    statuses = []
    for schedule in programme.schedules.all():
        start = periods.period_start(schedule.frequency, day)
        checkin = CheckIn.objects.filter(
            participant=participant, schedule=schedule, period_start=start
        ).first()
        statuses.append(
            ScheduleStatus(
                schedule=schedule,
                period_start=start,
                next_period_start=periods.next_period_start(schedule.frequency, day),
                checkin=checkin,
            )
        )
    return statuses


def decode_payload(response: Response) -> dict[str, Any] | None:
    """Return a response's decrypted payload, or None once its subject was erased."""
    value = response.payload
    if value is None or is_erased(value):
        return None
    decoded: dict[str, Any] = json.loads(str(value))
    return decoded


@dataclass(frozen=True)
class HistoryPoint:
    day: dt.date
    total: int | None
    band: str | None
    band_label: str | None
    response_id: Any


def own_history(
    *,
    user: Any,
    participant: Participant,
    instrument: str,
    request: HttpRequest | None = None,
) -> list[HistoryPoint]:
    """Return the participant's own results for one instrument, oldest first; one audit event."""
    return own_histories(
        user=user, participant=participant, instrument=instrument, request=request
    ).get(instrument, [])


def own_histories(
    *,
    user: Any,
    participant: Participant,
    instrument: str | None = None,
    request: HttpRequest | None = None,
) -> dict[str, list[HistoryPoint]]:
    """Return the participant's own results by instrument code, oldest first; one audit event."""
    responses = Response.objects.filter(participant=participant)
    if instrument is not None:
        responses = responses.filter(instrument=instrument)
    rows = visible(user, Action.READ, responses, Purpose.SELF_SERVICE, request=request).order_by(
        "submitted_on", "checkin__period_start"
    )
    found: dict[str, list[HistoryPoint]] = {}
    for response in rows:
        payload = decode_payload(response)
        if payload is None:
            continue
        found.setdefault(response.instrument, []).append(
            HistoryPoint(
                day=response.submitted_on,
                total=payload.get("total"),
                band=payload.get("band"),
                band_label=payload.get("band_label"),
                response_id=response.pk,
            )
        )
    return found
