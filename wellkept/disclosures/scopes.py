"""How a client's release of information relates to an actor, for the access policy.

Assigned to the client's current therapists only: a clinical supervisor
reads the record to co-sign notes, but releasing it to someone outside the
practice is the treating therapist's act (DESIGN.md's role table), so the
supervisor is not among the assignees here.
"""

from __future__ import annotations

from typing import Any

from wellkept.access.resources import Resource, ResourceKind
from wellkept.orgs.models import Organisation
from wellkept.practice.models import Client, ClientAssignment


def client_therapists(client: Client) -> frozenset[Any]:
    """The client's current therapists, by user id."""
    return frozenset(
        ClientAssignment.objects.filter(client_id=client.pk, until__isnull=True).values_list(
            "therapist_id", flat=True
        )
    )


def disclosure_resource(client: Client) -> Resource:
    """A client's authorisations, legal bases, disclosures and accounting."""
    return Resource(
        kind=ResourceKind.DISCLOSURE,
        reference=f"client:{client.pk}/disclosures",
        organisation_id=client.organisation_id,
        assignee_user_ids=client_therapists(client),
    )


def practice_disclosures_resource(organisation: Organisation) -> Resource:
    """Every client's accounting at one practice: the privacy officer's oversight."""
    return Resource(
        kind=ResourceKind.DISCLOSURE,
        reference=f"organisation:{organisation.pk}/disclosures",
        organisation_id=organisation.pk,
    )
