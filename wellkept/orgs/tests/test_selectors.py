"""Selectors: the unit tree in single queries, and the keyed way from a login to a token."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings

from wellkept.accounts.models import User
from wellkept.orgs.models import RoleCategory, UnitKind
from wellkept.orgs.selectors import (
    participant_for_user,
    unit_descendants,
    units_for_org,
    user_is_staff,
    user_roles,
)
from wellkept.orgs.services import participant_enrol, unit_create
from wellkept.vault.keyring import LocalFileKeyring, reset_keyring

from .conftest import SYSTEM, Hospital

pytestmark = pytest.mark.django_db


def enrol(hospital: Hospital, user: User) -> object:
    return participant_enrol(
        actor=user,
        user=user,
        organisation=hospital.org,
        unit=hospital.ccu,
        shift_type=hospital.day,
        role_category=RoleCategory.NURSE,
    )


def test_it_lists_an_organisations_units_depth_first(st_annes: Hospital) -> None:
    names = [u.name for u in units_for_org(st_annes.org)]
    assert names == [
        "St Anne's Hospital",
        "Division of Medicine",
        "Cardiology",
        "Coronary Care Unit",
        "Emergency",
    ]


def test_it_lists_descendants_in_one_query(
    st_annes: Hospital, django_assert_num_queries: object
) -> None:
    with django_assert_num_queries(1):  # type: ignore[operator]
        names = [u.name for u in unit_descendants(st_annes.medicine)]
    assert names == ["Cardiology", "Coronary Care Unit"]


def test_it_includes_the_unit_itself_when_asked(st_annes: Hospital) -> None:
    units = list(unit_descendants(st_annes.cardiology, include_self=True))
    assert units == [st_annes.cardiology, st_annes.ccu]


def test_it_does_not_mistake_a_sibling_with_a_longer_name_for_a_descendant(
    st_annes: Hospital,
) -> None:
    research = unit_create(
        actor=SYSTEM,
        organisation=st_annes.org,
        name="Cardiology Research",
        kind=UnitKind.DEPARTMENT,
        parent=st_annes.medicine,
        slug="cardiology-research",
    )
    assert research not in unit_descendants(st_annes.cardiology)


def test_it_finds_the_participant_of_a_login(st_annes: Hospital, nina: User) -> None:
    participant = enrol(st_annes, nina)
    assert participant_for_user(user=nina, organisation=st_annes.org) == participant


def test_it_finds_nothing_for_a_login_that_is_not_enrolled(
    st_annes: Hospital, alice: User, nina: User
) -> None:
    enrol(st_annes, nina)
    assert participant_for_user(user=alice, organisation=st_annes.org) is None
    assert participant_for_user(user=AnonymousUser(), organisation=st_annes.org) is None


def test_it_keeps_a_logins_enrolments_in_two_organisations_apart(
    st_annes: Hospital, elsewhere: Hospital, nina: User
) -> None:
    here, there = enrol(st_annes, nina), enrol(elsewhere, nina)
    assert participant_for_user(user=nina, organisation=st_annes.org) == here
    assert participant_for_user(user=nina, organisation=elsewhere.org) == there


def test_it_cannot_find_the_token_from_the_database_alone(
    st_annes: Hospital, nina: User, tmp_path: Path
) -> None:
    participant = enrol(st_annes, nina)
    # Someone holding the database but not the key file: every other key
    # file computes links that match no row.
    # Another installation's key file (never made while data keys exist here).
    LocalFileKeyring(tmp_path / "stolen-db-only.json", create=True).current_kek_id()
    with override_settings(WELLKEPT_KEYRING_FILE=tmp_path / "stolen-db-only.json"):
        reset_keyring()
        assert participant_for_user(user=nina, organisation=st_annes.org) is None
    reset_keyring()
    assert participant_for_user(user=nina, organisation=st_annes.org) == participant


def test_it_reports_roles_only_for_signed_in_users(st_annes: Hospital, alice: User) -> None:
    assert user_is_staff(alice)
    assert user_roles(AnonymousUser()) == set()
    assert not user_is_staff(AnonymousUser())
