"""How the portal's rows relate to an actor, for the access policy.

A client's invitation is decided like the client's administration: the
client's organisation, with the client's therapists (and their supervisors)
as assignees, so the rules can give it to the therapist and the front desk
and not to billing or a supervisor. A client's own portal page has no
organisation: its one owner is the portal login, as an account is.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from wellkept.access.resources import Resource, ResourceKind, Scope, register_scope
from wellkept.practice.scopes import assigned_clients, current_assignees


def invitation_resource(client: Any) -> Resource:
    """A client's portal invitations, for the staff who may issue and revoke them."""
    return Resource(
        kind=ResourceKind.PORTAL_INVITATION,
        reference=f"client:{client.pk}/portal",
        organisation_id=client.organisation_id,
        assignee_user_ids=current_assignees(client),
    )


def portal_page_resource(membership: Any, page: str) -> Resource:
    """One of a client's own portal pages, owned by the client's portal login alone."""
    return Resource(
        kind=ResourceKind.PORTAL,
        reference=f"client:{membership.client_id}/portal/{page}",
        owner_user_id=membership.user_id,
    )


def own_request_resource(membership: Any, reference: str) -> Resource:
    """A client's own appointment requests (and appointments), as the portal login acts on them."""
    return Resource(
        kind=ResourceKind.PORTAL_REQUEST,
        reference=f"client:{membership.client_id}/{reference}",
        owner_user_id=membership.user_id,
    )


def own_answer_resource(membership: Any, reference: str) -> Resource:
    """A client's own questionnaire answers in the portal, theirs alone."""
    return Resource(
        kind=ResourceKind.PORTAL_ANSWER,
        reference=f"client:{membership.client_id}/{reference}",
        owner_user_id=membership.user_id,
    )


def staff_request_resource(client: Any, reference: str) -> Resource:
    """A client's portal appointment requests, for their therapist and the front desk.

    ASSIGNED is the client's current therapists only: a supervisor who is a
    therapist in the practice too answers no supervisee's client's request.
    """
    return Resource(
        kind=ResourceKind.PORTAL_REQUEST,
        reference=f"client:{client.pk}/{reference}",
        organisation_id=client.organisation_id,
        assignee_user_ids=client_therapists(client),
    )


def _request_row(row: Any) -> Resource:
    return staff_request_resource(row.client, f"portal-request:{row.pk}")


def client_therapists(client: Any) -> frozenset[Any]:
    """The client's current therapists, by user id (never their supervisors)."""
    from wellkept.practice.models import ClientAssignment

    return frozenset(
        ClientAssignment.objects.filter(client_id=client.pk, until__isnull=True).values_list(
            "therapist_id", flat=True
        )
    )


def guardian_sharing_resource(client: Any) -> Resource:
    """What a minor's guardians see: decided by the minor's current therapists alone."""
    return Resource(
        kind=ResourceKind.GUARDIAN_SHARING,
        reference=f"client:{client.pk}/guardian-sharing",
        organisation_id=client.organisation_id,
        assignee_user_ids=client_therapists(client),
    )


def guardian_page_resource(membership: Any, page: str) -> Resource:
    """One of a guardian's portal pages about the minor, owned by the guardian's login alone."""
    return Resource(
        kind=ResourceKind.GUARDIAN_PORTAL,
        reference=f"client:{membership.guardian.client_id}/guardian-portal/{page}",
        owner_user_id=membership.user_id,
    )


def _invitation_row(invitation: Any) -> Resource:
    return invitation_resource(invitation.client)


def _membership_row(membership: Any) -> Resource:
    return portal_page_resource(membership, "home")


def _assigned_invitations(user: Any) -> Q:
    from wellkept.practice.models import Client

    return Q(client__in=Client.objects.filter(assigned_clients(user)))


def _of_own_clients(user: Any) -> Q:
    from wellkept.practice.models import Client

    # One filter() call: the same assignment row is current and the user's.
    return Q(
        client__in=Client.objects.filter(
            assignments__therapist_id=user.pk, assignments__until__isnull=True
        )
    )


def register() -> None:
    """Register the portal's scopes (from ready())."""
    from wellkept.portal.models import (
        GuardianSharing,
        PortalAppointmentRequest,
        PortalGuardianMembership,
        PortalInvitation,
        PortalMembership,
    )

    register_scope(
        PortalInvitation,
        Scope(
            kind=ResourceKind.PORTAL_INVITATION,
            organisation_field="client__organisation_id",
            describe=_invitation_row,
            assigned=_assigned_invitations,
        ),
    )
    register_scope(
        PortalMembership,
        Scope(
            kind=ResourceKind.PORTAL,
            organisation_field="client__organisation_id",
            describe=_membership_row,
            own=lambda user, _orgs: Q(user_id=user.pk),
        ),
    )
    register_scope(
        GuardianSharing,
        Scope(
            kind=ResourceKind.GUARDIAN_SHARING,
            organisation_field="client__organisation_id",
            describe=lambda row: guardian_sharing_resource(row.client),
            assigned=_of_own_clients,
        ),
    )
    register_scope(
        PortalGuardianMembership,
        Scope(
            kind=ResourceKind.GUARDIAN_PORTAL,
            organisation_field="guardian__client__organisation_id",
            describe=lambda row: guardian_page_resource(row, "home"),
            own=lambda user, _orgs: Q(user_id=user.pk),
        ),
    )
    register_scope(
        PortalAppointmentRequest,
        Scope(
            kind=ResourceKind.PORTAL_REQUEST,
            organisation_field="client__organisation_id",
            describe=_request_row,
            assigned=_of_own_clients,
        ),
    )
