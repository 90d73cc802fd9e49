"""unit_create: the unit tree nests hospital → division → department → unit."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.accounts.models import User
from wellkept.orgs.models import Role, Unit, UnitKind
from wellkept.orgs.services import staff_membership_grant, unit_create

from .conftest import SYSTEM, Hospital, make_user

pytestmark = pytest.mark.django_db


def test_it_builds_the_path_from_the_chain_of_slugs(st_annes: Hospital) -> None:
    assert st_annes.ccu.path == (
        "st-annes-hospital/division-of-medicine/cardiology/coronary-care-unit/"
    )
    assert st_annes.ccu.depth == 3
    assert st_annes.hospital.depth == 0


def test_it_lets_a_department_sit_directly_in_a_hospital(st_annes: Hospital) -> None:
    assert st_annes.emergency.parent == st_annes.hospital
    assert st_annes.emergency.kind == UnitKind.DEPARTMENT


def test_it_lets_the_organisations_administrator_add_units(st_annes: Hospital, alice: User) -> None:
    ward = unit_create(
        actor=alice,
        organisation=st_annes.org,
        name="Ward 7",
        kind="unit",
        parent=st_annes.emergency,
    )
    assert ward.path == st_annes.emergency.path + "ward-7/"


def test_it_refuses_an_administrator_of_another_organisation(
    st_annes: Hospital, oscar: User
) -> None:
    with pytest.raises(PermissionDenied, match="system administrator of St Anne's"):
        unit_create(
            actor=oscar,
            organisation=st_annes.org,
            name="Annex",
            kind="department",
            parent=st_annes.hospital,
        )


def test_it_refuses_staff_without_the_administrator_role(st_annes: Hospital) -> None:
    leader = make_user("leader@example.org")
    staff_membership_grant(actor=SYSTEM, user=leader, organisation=st_annes.org, role=Role.LEADER)
    with pytest.raises(PermissionDenied):
        unit_create(
            actor=leader,
            organisation=st_annes.org,
            name="Annex",
            kind="department",
            parent=st_annes.hospital,
        )


def test_it_refuses_a_top_level_unit_that_is_not_a_hospital(st_annes: Hospital) -> None:
    with pytest.raises(ValidationError, match="must sit inside a parent unit"):
        unit_create(actor=SYSTEM, organisation=st_annes.org, name="Orphans", kind="department")


def test_it_refuses_a_hospital_with_a_parent(st_annes: Hospital) -> None:
    with pytest.raises(ValidationError, match="cannot have a parent"):
        unit_create(
            actor=SYSTEM,
            organisation=st_annes.org,
            name="Annex Hospital",
            kind="hospital",
            parent=st_annes.hospital,
        )


def test_it_refuses_a_division_inside_a_department(st_annes: Hospital) -> None:
    with pytest.raises(ValidationError) as caught:
        unit_create(
            actor=SYSTEM,
            organisation=st_annes.org,
            name="Division of Oops",
            kind="division",
            parent=st_annes.cardiology,
        )
    assert caught.value.messages == [
        "A division cannot sit inside a department: units nest hospital → division → "
        "department → unit. Choose a parent that is a hospital."
    ]


def test_it_refuses_a_unit_inside_a_unit(st_annes: Hospital) -> None:
    with pytest.raises(ValidationError, match="hospital, division, department"):
        unit_create(
            actor=SYSTEM,
            organisation=st_annes.org,
            name="Bay 3",
            kind="unit",
            parent=st_annes.ccu,
        )


def test_it_refuses_a_parent_from_another_organisation(
    st_annes: Hospital, elsewhere: Hospital
) -> None:
    with pytest.raises(ValidationError, match="belongs to another organisation"):
        unit_create(
            actor=SYSTEM,
            organisation=st_annes.org,
            name="Stray",
            kind="department",
            parent=elsewhere.hospital,
        )


def test_it_refuses_an_unknown_kind(st_annes: Hospital) -> None:
    with pytest.raises(ValidationError, match="'ward' is not a kind of unit"):
        unit_create(
            actor=SYSTEM,
            organisation=st_annes.org,
            name="Ward",
            kind="ward",
            parent=st_annes.cardiology,
        )


def test_it_refuses_two_siblings_with_the_same_identifier(st_annes: Hospital) -> None:
    with pytest.raises(ValidationError, match=r"already a unit .* inside Cardiology"):
        unit_create(
            actor=SYSTEM,
            organisation=st_annes.org,
            name="Coronary care unit",
            kind="unit",
            parent=st_annes.cardiology,
        )


def test_it_allows_the_same_name_under_different_parents(st_annes: Hospital) -> None:
    unit_create(
        actor=SYSTEM,
        organisation=st_annes.org,
        name="Coronary Care Unit",
        kind="unit",
        parent=st_annes.emergency,
    )
    assert Unit.objects.filter(name="Coronary Care Unit").count() == 2
