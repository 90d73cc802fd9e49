"""Reads for a participant's own data page: every access to their data by anyone else."""

from __future__ import annotations

from dataclasses import dataclass

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.orgs.models import Participant

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
        # The role column names the staff role that decided; an empty one
        # means a signed-in person without one (another participant probing).
        return "A staff member" if entry.role and entry.role != "none" else "Someone signed in"
    return "Someone not signed in"


def access_by_others(participant: Participant) -> list[AccessByOthers]:
    """Return the audit entries about the participant's data not made by the participant.

    Entries are matched by the token in their target; the participant's own
    actions are recorded under their token as the actor and are left out.
    """
    own_label = f"participant:{participant.token}"
    entries = (
        AuditEntry.objects.filter(target__startswith=own_label)
        .exclude(actor_label=own_label)
        .order_by("-id")[:ACCESS_LOG_LIMIT]
    )
    return [
        AccessByOthers(
            when=e.created_at,
            what=str(EventType(e.event).label) if e.event in EventType.values else e.event,
            role=e.role.replace("_", " ") or "none",
            purpose=e.purpose.replace("_", " ") or "none given",
            outcome=e.outcome,
            by=_who(e),
        )
        for e in entries
    ]
