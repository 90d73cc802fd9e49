"""Read-only queries about accounts, second factors and invitations."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from django.db.models import QuerySet

from wellkept import clock
from wellkept.accounts.models import Invitation
from wellkept.accounts.tokens import token_matches, token_prefix
from wellkept.orgs.models import Organisation, Role, StaffMembership
from wellkept.orgs.selectors import user_is_staff

# Recovery codes only back up another factor; on their own they are not one.
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def user_has_mfa(user: Any) -> bool:
    """True when the user has an authenticator app or a passkey/security key."""
    return bool(user_second_factor_types(user))


def user_second_factor_types(user: Any) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        Authenticator.objects.filter(user_id=user.pk, type__in=SECOND_FACTOR_TYPES).values_list(
            "type", flat=True
        )
    )


def administered_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations in which the user is a system administrator."""
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    return Organisation.objects.filter(
        memberships__user_id=user.pk, memberships__role=Role.SYSTEM_ADMIN
    ).distinct()


def invitations_visible_to(user: Any) -> QuerySet[Invitation]:
    """Invitations of the organisations the user administers, newest first."""
    return Invitation.objects.filter(
        organisation__in=administered_organisations(user)
    ).select_related("organisation")


def invitation_find_usable(token: str) -> Invitation | None:
    """Return the pending invitation a link token opens, or None for any other case.

    Unknown, malformed, used, revoked and expired tokens all give None, so
    the caller cannot tell them apart (and neither can whoever holds the link).
    """
    prefix = token_prefix(token)
    invitation = Invitation.objects.filter(token_prefix=prefix).first() if prefix else None
    # Compute the MAC even without a row, so a wrong prefix costs the same time.
    matches = token_matches(token, invitation.token_mac if invitation else "0" * 64)
    if invitation is None or not matches:
        return None
    if invitation.accepted_at or invitation.revoked_at or invitation.expires_at <= clock.now():
        return None
    return invitation


def staff_roles(user: Any) -> list[StaffMembership]:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(StaffMembership.objects.filter(user_id=user.pk).select_related("organisation"))


def authenticator_removal_refusal(authenticator: Authenticator) -> str | None:
    """Say why removing this authenticator is not allowed, or None when it is."""
    if authenticator.type not in SECOND_FACTOR_TYPES:
        return None
    others = (
        Authenticator.objects.filter(user_id=authenticator.user_id, type__in=SECOND_FACTOR_TYPES)
        .exclude(pk=authenticator.pk)
        .exists()
    )
    if others:
        return None
    user = authenticator.user
    if user_is_staff(user):
        return (
            "Your role gives access to other people's data, so two-factor authentication "
            "is required. Add another authenticator before removing this one."
        )
    if not user.password_meets_single_factor:
        return (
            "Your password is shorter than 15 characters, which is only safe together with "
            "a second factor. Change your password to one of at least 15 characters first; "
            "then you can turn two-factor authentication off."
        )
    return None
