"""Reads for My data (every access by anyone else) and for the privacy officer's retention pages."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup.models import Case
from wellkept.followup.selectors import lookups_not_told
from wellkept.lifecycle.models import (
    BOUNDS,
    DataCategory,
    DeletionReceipt,
    LegalHold,
    RetentionPeriod,
)
from wellkept.orgs.models import Organisation, Participant

ACCESS_LOG_LIMIT = 200


@dataclass(frozen=True)
class AccessByOthers:
    when: object
    what: str
    role: str
    purpose: str
    outcome: str
    by: str


def _who(entry: AuditEntry) -> str:
    if entry.actor_label.startswith("system:"):
        return "An automatic job (" + entry.actor_label.removeprefix("system:") + ")"
    if entry.actor_label == "user":
        # The policy writes the role that decided, "none" for a signed-in
        # person without one (another participant probing). A service's own
        # event under a user (a case note, a message, a grant decision) has
        # no role column: only staff reach those services.
        return "Someone signed in" if entry.role == "none" else "A staff member"
    return "Someone not signed in"


def access_by_others(participant: Participant) -> list[AccessByOthers]:
    """Return the audit entries about the participant's data not made by the participant.

    Entries are matched by the token in their target; the participant's own
    actions are recorded under their token as the actor and are left out.
    """
    own_label = f"participant:{participant.token}"
    entries = AuditEntry.objects.filter(target__startswith=own_label).exclude(actor_label=own_label)
    # A look-up of their name appears once they are told of it, and never
    # under a privacy officer's recorded exception (followup.selectors).
    untold = Q()
    for prefix in lookups_not_told(participant):
        untold |= Q(target__startswith=prefix)
    if untold:
        entries = entries.exclude(untold)
    entries = entries.order_by("-id")[:ACCESS_LOG_LIMIT]
    return [
        AccessByOthers(
            when=e.created_at,
            what=str(EventType(e.event).label) if e.event in EventType.values else e.event,
            role=e.role.replace("_", " ") or ("staff" if e.actor_label == "user" else "none"),
            purpose=e.purpose.replace("_", " ") or "none given",
            outcome=e.outcome,
            by=_who(e),
        )
        for e in entries
    ]


# --- retention, holds and receipts (privacy officer) ------------------------


def months_before(day: dt.date, months: int) -> dt.date:
    """Return the same day ``months`` months earlier (a missing day becomes the month end)."""
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return dt.date(year, month, min(day.day, last))


@dataclass(frozen=True)
class PeriodSetting:
    category: DataCategory
    months: int
    minimum: int
    maximum: int
    default: int
    changed_at: dt.datetime | None


def retention_periods(organisation: Organisation) -> dict[DataCategory, int]:
    """Return the organisation's period per category, defaults filled in."""
    stored = dict(
        RetentionPeriod.objects.filter(organisation=organisation).values_list("category", "months")
    )
    return {c: int(stored.get(c.value, BOUNDS[c].default)) for c in DataCategory}


def retention_settings(organisation: Organisation) -> list[PeriodSetting]:
    """Return every category with its period, bounds and last change, for the settings page."""
    stored = {r.category: r for r in RetentionPeriod.objects.filter(organisation=organisation)}
    listed = []
    for category in DataCategory:
        bounds = BOUNDS[category]
        row = stored.get(category.value)
        listed.append(
            PeriodSetting(
                category=category,
                months=row.months if row is not None else bounds.default,
                minimum=bounds.minimum,
                maximum=bounds.maximum,
                default=bounds.default,
                changed_at=row.changed_at if row is not None else None,
            )
        )
    return listed


def holds_in_force(organisation: Organisation) -> list[LegalHold]:
    return list(
        LegalHold.objects.filter(organisation=organisation, lifted_at__isnull=True)
        .select_related("participant", "case", "client")
        .order_by("-set_at")
    )


def holds_lifted(organisation: Organisation, limit: int = 50) -> list[LegalHold]:
    return list(
        LegalHold.objects.filter(organisation=organisation, lifted_at__isnull=False)
        .select_related("participant", "case", "client")
        .order_by("-lifted_at")[:limit]
    )


def receipts_for(organisation: Organisation, limit: int = 100) -> list[DeletionReceipt]:
    return list(DeletionReceipt.objects.filter(organisation=organisation)[:limit])


def held_participant_ids(organisation: Organisation) -> set[Any]:
    """Participants with a hold in force on them as a person."""
    return set(
        LegalHold.objects.filter(
            organisation=organisation,
            lifted_at__isnull=True,
            case__isnull=True,
            participant__isnull=False,
        ).values_list("participant_id", flat=True)
    )


def held_client_ids(organisation: Organisation) -> set[Any]:
    """Clients of the practice with a hold in force on them."""
    return set(
        LegalHold.objects.filter(
            organisation=organisation, lifted_at__isnull=True, client__isnull=False
        ).values_list("client_id", flat=True)
    )


def client_held(client: Any) -> bool:
    """True when a hold is in force on the client (registered with the practice at ready())."""
    return LegalHold.objects.filter(client_id=client.pk, lifted_at__isnull=True).exists()


def held_case_ids(organisation: Organisation) -> set[Any]:
    """Cases with a hold in force on them, or on their participant."""

    people = held_participant_ids(organisation)
    direct = set(
        LegalHold.objects.filter(
            organisation=organisation, lifted_at__isnull=True, case__isnull=False
        ).values_list("case_id", flat=True)
    )
    through_person = set(
        Case.objects.filter(participant_id__in=people).values_list("pk", flat=True)
    )
    return direct | through_person
