"""Data-subject requests received outside the app, answered under a re-identification grant.

A person writes to the privacy officer ("send me everything you hold", "erase
me"). The application never turns a name into a token on its own: the
person is reached through an approved, unexpired two-person grant
(requested by a follow-up team member, decided by a privacy officer; see
``wellkept.followup.reidentification``). The privacy officer names the
grant; the grant names exactly one participant.

``get_request_subject_for`` is the accessor: the participant, or 404 for a
grant that is missing, refused, pending, expired, break-glass, of another
organisation, or for someone without the privacy role, all alike. Every
attempt is audited: a refusal as ``access.denied``, an allowed export as
``record.export`` and an allowed erasure as ``record.delete`` (then
``subject.erased``), by reference only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.followup.models import GrantKind, GrantStatus, IdentityGrant
from wellkept.orgs.models import Participant

PURPOSE = Purpose.LEGAL_OBLIGATION


@dataclass(frozen=True)
class RequestSubject:
    participant: Participant
    grant: IdentityGrant


def parse_grant_reference(value: Any) -> uuid.UUID | None:
    """Return the grant id written as a UUID, or None for anything else."""
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError):
        return None


def live_grant(grant_id: Any) -> IdentityGrant | None:
    """Return the approved, unexpired two-person grant with this id, or None."""
    parsed = parse_grant_reference(grant_id)
    if parsed is None:
        return None
    # Break-glass is for a safety emergency only; it never answers a request.
    return (
        IdentityGrant.objects.select_related("participant", "organisation")
        .filter(
            pk=parsed,
            kind=GrantKind.TWO_PERSON,
            status=GrantStatus.APPROVED,
            expires_at__gt=clock.now(),
        )
        .first()
    )


def request_resource(participant: Participant, grant: IdentityGrant, what: str) -> Resource:
    """Describe one data-subject request action on the participant a grant names."""
    return Resource(
        kind=ResourceKind.SUBJECT_REQUEST,
        reference=f"participant:{participant.token}/subject-request:{grant.pk}/{what}",
        organisation_id=participant.organisation_id,
        participant_id=participant.pk,
    )


def get_request_subject_for(
    *,
    actor: Any,
    grant_id: Any,
    action: Action,
    what: str,
    request: HttpRequest | None = None,
) -> RequestSubject:
    """Return the participant a live grant names, if ``actor`` may answer for them; else 404."""
    grant = live_grant(grant_id)
    if grant is None:
        # No token to name: the reference tried is recorded, so that probing
        # for grants shows in the trail. Only a well-formed one, though: the
        # trail outlives everything, and whatever else was typed (a name or
        # an e-mail pasted by mistake) would be content kept there for good.
        parsed = parse_grant_reference(grant_id)
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target=f"subject_request:grant:{parsed if parsed is not None else 'malformed'}",
            outcome=Outcome.DENIED,
            reason="no approved, unexpired re-identification grant with this reference",
            purpose=PURPOSE.value,
            request=request,
        )
        raise Http404(NOT_FOUND_MESSAGE)
    participant = grant.participant
    if participant.organisation_id != grant.organisation_id:
        raise Http404(NOT_FOUND_MESSAGE)
    resource = request_resource(participant, grant, what)
    if not can(actor, action, resource, PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return RequestSubject(participant=participant, grant=grant)
