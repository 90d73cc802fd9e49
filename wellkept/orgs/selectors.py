"""Read-only queries about organisations, memberships and participants."""

from __future__ import annotations

from typing import Any

from wellkept.orgs.models import Role, StaffMembership


def user_roles(user: Any) -> set[Role]:
    """Return the staff roles the user holds anywhere (empty for participants)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {Role(r) for r in StaffMembership.objects.filter(user=user).values_list("role", flat=True)}


def user_is_staff(user: Any) -> bool:
    """True when the user holds any staff role, which makes MFA mandatory."""
    if not getattr(user, "is_authenticated", False):
        return False
    return StaffMembership.objects.filter(user=user).exists()
