"""Whatever is filed under a participant's token: how the policy names it and finds one's own.

Check-ins, responses, alerts (assessments), consent records (consent),
cases (followup) and exports (lifecycle) all belong to one participant;
these two helpers sit here, beside the participant, so that each of those
apps can describe its rows without importing another.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wellkept.access.resources import Resource, ResourceKind
from wellkept.orgs.models import Participant
from wellkept.orgs.pseudonyms import login_link_for


def participant_resource(
    participant: Participant, reference: str, kind: ResourceKind = ResourceKind.PARTICIPANT_RECORD
) -> Resource:
    """Describe one thing filed under a participant's token, for the policy and the trail."""
    return Resource(
        kind=kind,
        reference=f"participant:{participant.token}/{reference}",
        organisation_id=participant.organisation_id,
        participant_id=participant.pk,
    )


def own_through_participant(user: Any, organisation_ids: list[Any]) -> Q:
    """Rows whose participant is the user's own in one of the organisations (keyed link)."""
    links = [login_link_for(user_pk=user.pk, organisation_pk=o) for o in organisation_ids]
    return Q(participant__login_link__in=links)
