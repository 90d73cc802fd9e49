"""How follow-up cases and identity grants relate to an actor, for the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wellkept.access.resources import Resource, ResourceKind, Scope, register_scope
from wellkept.actors import Actor
from wellkept.orgs.models import Participant
from wellkept.orgs.scopes import own_through_participant


def case_resource(case: Any, reference: str = "") -> Resource:
    """Describe a case (or one thing in it) by token, with its assignee."""
    suffix = f"/{reference}" if reference else ""
    return Resource(
        kind=ResourceKind.FOLLOW_UP_CASE,
        reference=f"participant:{case.participant.token}/case:{case.pk}{suffix}",
        organisation_id=case.organisation_id,
        participant_id=case.participant_id,
        assignee_user_ids=frozenset({case.assignee_id}) if case.assignee_id else frozenset(),
    )


def new_case_resource(participant: Participant) -> Resource:
    """Describe a case about to be opened for ``participant``."""
    return Resource(
        kind=ResourceKind.FOLLOW_UP_CASE,
        reference=f"participant:{participant.token}/case:new",
        organisation_id=participant.organisation_id,
        participant_id=participant.pk,
    )


def case_record_resource(case: Any, reference: str) -> Resource:
    """The token-level record behind a case (score history), reachable by its assignee."""
    return Resource(
        kind=ResourceKind.PARTICIPANT_RECORD,
        reference=f"participant:{case.participant.token}/{reference}",
        organisation_id=case.organisation_id,
        participant_id=case.participant_id,
        assignee_user_ids=frozenset({case.assignee_id}) if case.assignee_id else frozenset(),
    )


def grant_resource(grant: Any) -> Resource:
    """Describe an identity grant: the requester's own, about one participant."""
    return Resource(
        kind=ResourceKind.IDENTITY_GRANT,
        reference=f"participant:{grant.participant.token}/grant:{grant.pk}",
        organisation_id=grant.organisation_id,
        owner_user_id=grant.requested_by_id,
    )


def new_grant_resource(*, actor: Actor, participant: Participant, grant_id: Any) -> Resource:
    """Describe a request the actor is about to make for ``participant``'s identity.

    ``grant_id`` is the id the request will have: the policy's entry then
    shares the grant's reference prefix with every later entry of the same
    look-up (see ``identity_resource``).
    """
    return Resource(
        kind=ResourceKind.IDENTITY_GRANT,
        reference=f"participant:{participant.token}/grant:{grant_id}",
        organisation_id=participant.organisation_id,
        owner_user_id=actor.pk,
        participant_id=participant.pk,
    )


def identity_resource(participant: Participant, grant: Any = None) -> Resource:
    """The identity behind a token: readable only through a grant.

    Read under a grant, the reference starts with the grant's, so every
    entry of one look-up (request, decision, use) shares one prefix: the
    participant's access log can hold back a look-up under an exception.
    """
    via = f"/grant:{grant.pk}" if grant is not None else ""
    return Resource(
        kind=ResourceKind.PARTICIPANT_RECORD,
        reference=f"participant:{participant.token}{via}/identity",
        organisation_id=participant.organisation_id,
        participant_id=participant.pk,
    )


def register() -> None:
    from wellkept.followup.models import Case, IdentityGrant

    register_scope(
        Case,
        Scope(
            kind=ResourceKind.FOLLOW_UP_CASE,
            organisation_field="organisation_id",
            describe=case_resource,
            own=own_through_participant,
            assigned=lambda user: Q(assignee_id=user.pk),
        ),
    )
    register_scope(
        IdentityGrant,
        Scope(
            kind=ResourceKind.IDENTITY_GRANT,
            organisation_field="organisation_id",
            describe=grant_resource,
            # The requester's own requests; a participant's own look-ups.
            own=lambda user, orgs: Q(requested_by_id=user.pk) | own_through_participant(user, orgs),
        ),
    )
