"""How check-ins, responses and alerts relate to an actor: each is filed under one token."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wellkept.access.resources import Resource, ResourceKind, Scope, register_scope
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


def _describe(prefix: str, kind: ResourceKind = ResourceKind.PARTICIPANT_RECORD) -> Any:
    def describe(obj: Any) -> Resource:
        return participant_resource(obj.participant, f"{prefix}:{obj.pk}", kind)

    return describe


def register() -> None:
    from wellkept.assessments.models import CheckIn, Response, SafetyAlert

    for model, prefix in ((CheckIn, "checkin"), (Response, "response"), (SafetyAlert, "alert")):
        register_scope(
            model,
            Scope(
                kind=ResourceKind.PARTICIPANT_RECORD,
                organisation_field="participant__organisation_id",
                describe=_describe(prefix),
                own=own_through_participant,
                # Assigned follow-up cases come with the followup app.
                assigned=None,
            ),
        )
