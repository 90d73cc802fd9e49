"""The policy's source of re-identification grants: an approved, live grant, or nothing.

A grant lives only while everything it was given for still holds, checked
at every use, not only when it was approved:

- the requester has held a follow-up role in the organisation without a
  break since they asked (a role taken away and given back later starts a
  new membership, and the grant does not come back with it);
- the participant still takes part;
- the case it was asked for is still open (a closed case needs no name);
- a break-glass grant is still its case's assignee's: it was one person's
  emergency on their own case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from wellkept import clock
from wellkept.access.policy import Decision
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import Actor
from wellkept.orgs.models import StaffMembership

TEAM_ROLES = (AccessRole.WELLBEING_OFFICER, AccessRole.SPECIALIST)


def team_role_since(*, user_id: Any, organisation_id: Any, since: dt.datetime) -> str | None:
    """Return a follow-up role the user has held in the organisation since ``since``, or None."""

    return (
        StaffMembership.objects.filter(
            user_id=user_id,
            organisation_id=organisation_id,
            role__in=[r.value for r in TEAM_ROLES],
            created_at__lte=since,
        )
        .order_by("role")
        .values_list("role", flat=True)
        .first()
    )


def grant_void_reason(grant: Any, *, user_id: Any = None) -> str | None:
    """Say why ``grant`` can no longer be used or approved, or None while it still stands.

    Time is not checked here (the caller knows whether it asks about a
    pending request or a live grant); everything else a grant depends on is.
    """
    from wellkept.followup.models import GrantKind
    from wellkept.followup.selectors import followup_consent

    requester = grant.requested_by_id if user_id is None else user_id
    if requester is None or str(requester) != str(grant.requested_by_id):
        return "the grant is someone else's"
    if (
        team_role_since(
            user_id=requester, organisation_id=grant.organisation_id, since=grant.requested_at
        )
        is None
    ):
        return (
            "the requester has not held a follow-up role here without a break since the "
            "request was made"
        )
    if not followup_consent(grant.participant):
        # Leaving the programme hides the case from the team at once; a
        # grant approved before must not outlive that choice.
        return "the participant no longer takes part"
    case = grant.case
    if case is not None and case.is_closed:
        return "the case it was asked for is closed"
    if grant.kind == GrantKind.BREAK_GLASS and (
        case is None or str(case.assignee_id) != str(requester)
    ):
        return "a break-glass grant is for the specialist the open case is assigned to"
    return None


def identity_grant_check(actor: Actor, resource: Resource, purpose: Purpose) -> Decision | None:
    """Allow reading one token's identity under a live grant of this actor, token and purpose.

    The grant names one participant: a grant for one token reveals no
    other. Everything the grant depends on is checked again now (see the
    module docstring).
    """
    from wellkept.followup.models import GrantStatus, IdentityGrant

    if resource.kind != ResourceKind.PARTICIPANT_RECORD or resource.participant_id is None:
        return None
    if getattr(actor, "pk", None) is None:
        return None
    grants = (
        IdentityGrant.objects.filter(
            participant_id=resource.participant_id,
            organisation_id=resource.organisation_id,
            requested_by_id=actor.pk,
            purpose=purpose.value,
            status=GrantStatus.APPROVED,
            expires_at__gt=clock.now(),
        )
        .select_related("participant", "case")
        .order_by("-expires_at")
    )
    for grant in grants:
        if grant_void_reason(grant, user_id=actor.pk) is not None:
            continue
        role = team_role_since(
            user_id=actor.pk, organisation_id=grant.organisation_id, since=grant.requested_at
        )
        return Decision(
            True,
            f"{grant.get_kind_display()} grant {grant.pk} for this token, until "
            f"{grant.expires_at:%Y-%m-%d %H:%M} UTC",
            role=str(role),
            relationship="granted",
        )
    return None
