"""staff_membership_grant: roles come from an organisation's administrator."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.accounts.models import User
from wellkept.orgs.models import Role, StaffMembership
from wellkept.orgs.selectors import user_is_staff, user_roles
from wellkept.orgs.services import staff_membership_grant

from .conftest import SYSTEM, Hospital

pytestmark = pytest.mark.django_db


def test_it_grants_a_role_which_makes_the_login_staff(
    st_annes: Hospital, alice: User, nina: User
) -> None:
    assert not user_is_staff(nina)
    staff_membership_grant(actor=alice, user=nina, organisation=st_annes.org, role=Role.LEADER)
    assert user_is_staff(nina)
    assert user_roles(nina) == {Role.LEADER}


def test_it_accepts_the_role_as_its_value(st_annes: Hospital, nina: User) -> None:
    membership = staff_membership_grant(
        actor=SYSTEM, user=nina, organisation=st_annes.org, role="privacy_officer"
    )
    assert membership.role == Role.PRIVACY_OFFICER


def test_it_refuses_an_unknown_role(st_annes: Hospital, nina: User) -> None:
    with pytest.raises(ValidationError, match="'hr_manager' is not a staff role"):
        staff_membership_grant(
            actor=SYSTEM, user=nina, organisation=st_annes.org, role="hr_manager"
        )


def test_it_refuses_a_role_the_login_already_holds(st_annes: Hospital, alice: User) -> None:
    with pytest.raises(ValidationError, match="already holds the role System administrator"):
        staff_membership_grant(
            actor=SYSTEM, user=alice, organisation=st_annes.org, role=Role.SYSTEM_ADMIN
        )


def test_it_refuses_an_administrator_granting_themself_a_role(
    st_annes: Hospital, alice: User
) -> None:
    with pytest.raises(PermissionDenied, match="themselves"):
        staff_membership_grant(
            actor=alice, user=alice, organisation=st_annes.org, role=Role.SPECIALIST
        )
    assert user_roles(alice) == {Role.SYSTEM_ADMIN}


def test_it_refuses_an_administrator_of_another_organisation(
    st_annes: Hospital, oscar: User, nina: User
) -> None:
    with pytest.raises(PermissionDenied):
        staff_membership_grant(
            actor=oscar, user=nina, organisation=st_annes.org, role=Role.WELLBEING_OFFICER
        )
    assert not StaffMembership.objects.filter(user=nina).exists()


def test_it_refuses_a_deactivated_login(st_annes: Hospital, nina: User) -> None:
    nina.is_active = False
    nina.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="deactivated"):
        staff_membership_grant(actor=SYSTEM, user=nina, organisation=st_annes.org, role="leader")
