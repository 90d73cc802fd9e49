"""Consent records belong to one participant's token, like their answers."""

from __future__ import annotations

from wellkept.access.resources import ResourceKind, Scope, register_scope
from wellkept.orgs.scopes import own_through_participant, participant_resource


def register() -> None:
    from wellkept.consent.models import ConsentRecord

    register_scope(
        ConsentRecord,
        Scope(
            kind=ResourceKind.CONSENT_RECORD,
            organisation_field="participant__organisation_id",
            describe=lambda r: participant_resource(
                r.participant, f"consent:{r.pk}", ResourceKind.CONSENT_RECORD
            ),
            own=own_through_participant,
        ),
    )
