"""How the policy describes logins and invitations, registered at ``ready()``."""

from __future__ import annotations

from django.db.models import Q

from wellkept.access.resources import Resource, ResourceKind, Scope, register_scope


def register() -> None:
    """Tell the policy how accounts and invitations relate to a person (from ready())."""
    from wellkept.accounts.models import Invitation, User

    register_scope(
        Invitation,
        Scope(
            kind=ResourceKind.ORG_CONFIG,
            organisation_field="organisation_id",
            describe=lambda i: Resource(
                kind=ResourceKind.ORG_CONFIG,
                reference=f"invitation:{i.pk}",
                organisation_id=i.organisation_id,
            ),
        ),
    )
    register_scope(
        User,
        Scope(
            kind=ResourceKind.ACCOUNT,
            organisation_field="memberships__organisation_id",
            describe=lambda u: Resource(
                kind=ResourceKind.ACCOUNT, reference=f"user:{u.pk}", owner_user_id=u.pk
            ),
            # Accounts belong to no organisation: only one's own is ever "own".
            own=lambda user, _orgs: Q(pk=user.pk),
        ),
    )
