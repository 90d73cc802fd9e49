"""staff_membership_revoke: roles can be taken away, but never the last administrator."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.accounts.models import User
from wellkept.orgs.models import Role
from wellkept.orgs.selectors import user_is_staff
from wellkept.orgs.services import staff_membership_grant, staff_membership_revoke

from .conftest import SYSTEM, Hospital

pytestmark = pytest.mark.django_db


def test_it_revokes_a_role(st_annes: Hospital, alice: User, nina: User) -> None:
    staff_membership_grant(actor=alice, user=nina, organisation=st_annes.org, role=Role.LEADER)
    staff_membership_revoke(actor=alice, user=nina, organisation=st_annes.org, role=Role.LEADER)
    assert not user_is_staff(nina)


def test_it_refuses_a_role_that_is_not_held(st_annes: Hospital, nina: User) -> None:
    with pytest.raises(ValidationError, match="nothing to revoke"):
        staff_membership_revoke(
            actor=SYSTEM, user=nina, organisation=st_annes.org, role=Role.LEADER
        )


def test_it_refuses_to_remove_the_last_administrator(st_annes: Hospital, alice: User) -> None:
    with pytest.raises(ValidationError, match="last system administrator"):
        staff_membership_revoke(
            actor=alice, user=alice, organisation=st_annes.org, role=Role.SYSTEM_ADMIN
        )
    assert user_is_staff(alice)


def test_it_lets_an_administrator_step_down_once_there_is_another(
    st_annes: Hospital, alice: User, nina: User
) -> None:
    staff_membership_grant(
        actor=alice, user=nina, organisation=st_annes.org, role=Role.SYSTEM_ADMIN
    )
    staff_membership_revoke(
        actor=alice, user=alice, organisation=st_annes.org, role=Role.SYSTEM_ADMIN
    )
    assert not user_is_staff(alice)


def test_it_refuses_an_administrator_of_another_organisation(
    st_annes: Hospital, alice: User, oscar: User
) -> None:
    with pytest.raises(PermissionDenied):
        staff_membership_revoke(
            actor=oscar, user=alice, organisation=st_annes.org, role=Role.SYSTEM_ADMIN
        )
