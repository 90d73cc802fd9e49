"""Whatever is filed under a participant's token: how the policy names it and finds one's own.

Check-ins, responses, alerts (assessments), consent records (consent),
cases (followup) and exports (lifecycle) all belong to one participant;
these two helpers sit here, beside the participant, so that each of those
apps can describe its rows without importing another.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wellkept.access.resources import Resource, ResourceKind, Scope, register_scope
from wellkept.orgs.models import Organisation, Participant
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


def register() -> None:
    """Tell the policy how participants and organisations relate to a person (from ready())."""

    def own_participants(user: Any, organisation_ids: list[Any]) -> Q:
        links = [login_link_for(user_pk=user.pk, organisation_pk=o) for o in organisation_ids]
        return Q(login_link__in=links)

    register_scope(
        Participant,
        Scope(
            kind=ResourceKind.PARTICIPANT_RECORD,
            organisation_field="organisation_id",
            describe=lambda p: Resource(
                kind=ResourceKind.PARTICIPANT_RECORD,
                # The token, like every other audit target for participant data.
                reference=f"participant:{p.token}",
                organisation_id=p.organisation_id,
                participant_id=p.pk,
            ),
            own=own_participants,
            # Assigned follow-up cases come with the followup app.
            assigned=None,
        ),
    )
    register_scope(
        Organisation,
        Scope(
            kind=ResourceKind.ORG_CONFIG,
            organisation_field="pk",
            describe=lambda o: Resource(
                kind=ResourceKind.ORG_CONFIG, reference=f"organisation:{o.pk}", organisation_id=o.pk
            ),
        ),
    )
