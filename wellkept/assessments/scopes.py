"""How check-ins, responses and alerts relate to an actor: each is filed under one token."""

from __future__ import annotations

from typing import Any

from wellkept.access.resources import Resource, ResourceKind, Scope, register_scope
from wellkept.orgs.scopes import own_through_participant, participant_resource


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
