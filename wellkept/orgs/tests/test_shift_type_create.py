"""shift_type_create: each organisation configures its own shift types."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.accounts.models import User
from wellkept.orgs.services import shift_type_create

from .conftest import SYSTEM, Hospital

pytestmark = pytest.mark.django_db


def test_it_adds_a_shift_type(st_annes: Hospital, alice: User) -> None:
    on_call = shift_type_create(
        actor=alice, organisation=st_annes.org, code="on-call", name="On call"
    )
    assert (on_call.code, on_call.name) == ("on-call", "On call")


def test_it_allows_the_same_code_in_another_organisation(
    st_annes: Hospital, elsewhere: Hospital
) -> None:
    assert st_annes.night.code == elsewhere.night.code == "night"
    assert st_annes.night.pk != elsewhere.night.pk


def test_it_refuses_a_code_the_organisation_already_uses(st_annes: Hospital) -> None:
    with pytest.raises(ValidationError, match="already has a shift type with the code 'night'"):
        shift_type_create(actor=SYSTEM, organisation=st_annes.org, code="night", name="Nights")


def test_it_refuses_a_code_with_spaces(st_annes: Hospital) -> None:
    with pytest.raises(ValidationError, match="letters, digits, hyphens"):
        shift_type_create(actor=SYSTEM, organisation=st_annes.org, code="long day", name="Long")


def test_it_refuses_an_administrator_of_another_organisation(
    st_annes: Hospital, oscar: User
) -> None:
    with pytest.raises(PermissionDenied):
        shift_type_create(actor=oscar, organisation=st_annes.org, code="late", name="Late")
