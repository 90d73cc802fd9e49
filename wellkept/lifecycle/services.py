"""Erasure: the one path by which everything about a participant is destroyed.

My data calls it today; retention and the privacy officer's requests will
call the same service. Order matters: the data key is shredded first, in the
same transaction as the deletions, so even a row that some bug left behind
(or a copy in a backup) can no longer be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.actors import PseudonymousActor, SystemActor
from wellkept.assessments.models import CheckIn, ReminderOptOut, ReminderSent, Response, SafetyAlert
from wellkept.assessments.scopes import participant_resource
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.consent.models import ConsentRecord
from wellkept.orgs.models import Participant
from wellkept.vault.services import datakey_shred


@dataclass(frozen=True)
class Erasure:
    token: str
    counts: dict[str, int]

    @property
    def summary(self) -> str:
        return ", ".join(f"{kind} {n}" for kind, n in self.counts.items())


def participant_erase(
    *, actor: Any, participant: Participant, request: HttpRequest | None = None
) -> Erasure:
    """Shred the participant's data key and delete every row filed under their token."""
    purpose = (
        Purpose.SERVICE_ADMINISTRATION if isinstance(actor, SystemActor) else Purpose.SELF_SERVICE
    )
    token = participant.token
    resource = participant_resource(participant, "everything")
    # Decided in its own transaction, so that a refusal is audited.
    if not can(actor, Action.DELETE, resource, purpose, request=request, consent_ok=True):
        raise PermissionDenied("You cannot erase this participant's data.")
    with transaction.atomic():
        counts = {
            "responses": Response.objects.filter(participant=participant).count(),
            "check-ins": CheckIn.objects.filter(participant=participant).count(),
            "safety alerts": SafetyAlert.objects.filter(participant=participant).count(),
            "consent records": ConsentRecord.objects.filter(participant=participant).count(),
            "reminder records": ReminderSent.objects.filter(participant=participant).count()
            + ReminderOptOut.objects.filter(participant=participant).count(),
        }
        recorded_as = actor if isinstance(actor, SystemActor) else PseudonymousActor(token)
        datakey_shred(actor=recorded_as, subject=participant.dek_subject)
        # Children first, explicitly: no reliance on cascades reaching every table.
        SafetyAlert.objects.filter(participant=participant).delete()
        Response.objects.filter(participant=participant).delete()
        CheckIn.objects.filter(participant=participant).delete()
        ConsentRecord.objects.filter(participant=participant).delete()
        ReminderSent.objects.filter(participant=participant).delete()
        ReminderOptOut.objects.filter(participant=participant).delete()
        Participant.objects.filter(pk=participant.pk).delete()
        erasure = Erasure(token=token, counts=counts)
        audit_record(
            actor=recorded_as,
            event=EventType.SUBJECT_ERASED,
            target=f"participant:{token}",
            purpose=purpose.value,
            # Only how many rows went: kinds such as "safety alerts" are
            # clinical facts, and the trail outlives the erasure.
            reason=f"rows deleted: {sum(counts.values())}",
        )
    return erasure
