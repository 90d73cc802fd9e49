"""The follow-up part of a participant's own data export (My data, JSON)."""

from __future__ import annotations

from typing import Any

from wellkept.followup import selectors
from wellkept.followup.models import Case, IdentityGrant
from wellkept.orgs.models import Participant


def followup_export(participant: Participant) -> dict[str, Any]:
    """Return the participant's cases, conversations, notes and the look-ups they were told of.

    A look-up under a recorded exception is left out: the exception exists
    because telling the person now would put someone at risk.
    """
    cases = []
    for case in Case.objects.filter(participant=participant).order_by("opened_on"):
        cases.append(
            {
                "id": str(case.pk),
                "opened_because": case.get_trigger_display(),
                "opened_on": case.opened_on.isoformat(),
                "status": case.get_status_display(),
                "closed_on": case.closed_on.isoformat() if case.closed_on else None,
                "close_reason": case.get_close_reason_display() if case.close_reason else None,
                "messages": [
                    {
                        "from": m.message.get_sender_display(),
                        "kind": m.message.get_kind_display(),
                        "sent_on": m.message.sent_on.isoformat(),
                        "text": m.text,
                        **({"details": m.details} if m.details else {}),
                    }
                    for m in selectors.conversation(case)
                ],
                "notes": [
                    {"written_at": note.written_at.isoformat(), "text": text}
                    for note, text in selectors.notes(case)
                ],
            }
        )
    told = IdentityGrant.objects.filter(
        participant=participant, participant_told_on__isnull=False
    ).select_related("requested_by")
    return {
        "cases": cases,
        "name_looked_up": [
            {
                "kind": g.get_kind_display(),
                "by": selectors.staff_name(g.requested_by),
                "when": g.first_used_at.isoformat() if g.first_used_at else None,
                "purpose": g.purpose_label,
                "reason": selectors.plain(g.reason),
            }
            for g in told.order_by("first_used_at")
        ],
    }
