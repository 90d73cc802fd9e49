"""The policy's source of re-identification grants: an approved, live grant, or nothing."""

from __future__ import annotations

from typing import Any

from wellkept import clock
from wellkept.access.policy import Decision
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.access.rules import AccessRole


def identity_grant_check(actor: Any, resource: Resource, purpose: Purpose) -> Decision | None:
    """Allow reading one token's identity under a live grant of this actor, token and purpose.

    The grant names one participant: a grant for one token reveals no
    other. The requester must still hold a follow-up role there (a person
    who left the team keeps no grant), and the participant must still take
    part.
    """
    from wellkept.access.policy import roles_in
    from wellkept.followup.models import GrantStatus, IdentityGrant

    if resource.kind != ResourceKind.PARTICIPANT_RECORD or resource.participant_id is None:
        return None
    if getattr(actor, "pk", None) is None:
        return None
    grant = (
        IdentityGrant.objects.filter(
            participant_id=resource.participant_id,
            organisation_id=resource.organisation_id,
            requested_by_id=actor.pk,
            purpose=purpose.value,
            status=GrantStatus.APPROVED,
            expires_at__gt=clock.now(),
        )
        .order_by("-expires_at")
        .first()
    )
    if grant is None:
        return None
    from wellkept.followup.selectors import followup_consent

    if not followup_consent(grant.participant):
        # Leaving the programme hides the case from the team at once; a
        # grant approved before must not outlive that choice.
        return None
    roles = roles_in(actor, resource.organisation_id)
    team = sorted(roles & {AccessRole.WELLBEING_OFFICER, AccessRole.SPECIALIST})
    if not team:
        return None
    return Decision(
        True,
        f"{grant.get_kind_display()} grant {grant.pk} for this token, until "
        f"{grant.expires_at:%Y-%m-%d %H:%M} UTC",
        role=team[0].value,
        relationship="granted",
    )
