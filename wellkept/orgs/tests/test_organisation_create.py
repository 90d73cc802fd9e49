"""organisation_create: operators create organisations from the command line."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.accounts.models import User
from wellkept.orgs.models import Organisation
from wellkept.orgs.services import organisation_create

from .conftest import SYSTEM

pytestmark = pytest.mark.django_db


def test_it_creates_an_organisation_with_a_slug_from_its_name() -> None:
    org = organisation_create(actor=SYSTEM, name="  St  Anne's   Hospital ")
    assert org.name == "St Anne's Hospital"
    assert org.slug == "st-annes-hospital"
    assert org.is_demo is False


def test_it_refuses_a_person_even_an_administrator(alice: User) -> None:
    with pytest.raises(PermissionDenied, match="operator"):
        organisation_create(actor=alice, name="Shadow Hospital")
    assert not Organisation.objects.filter(name="Shadow Hospital").exists()


def test_it_refuses_a_slug_that_is_taken() -> None:
    organisation_create(actor=SYSTEM, name="North", slug="north")
    with pytest.raises(ValidationError, match="'north' already exists"):
        organisation_create(actor=SYSTEM, name="North again", slug="north")


def test_it_refuses_a_name_it_cannot_make_a_slug_from() -> None:
    with pytest.raises(ValidationError, match="letters or digits"):
        organisation_create(actor=SYSTEM, name="!!!")


def test_it_refuses_an_empty_name() -> None:
    with pytest.raises(ValidationError, match="needs a name"):
        organisation_create(actor=SYSTEM, name="   ")


def test_it_refuses_a_slug_with_spaces() -> None:
    with pytest.raises(ValidationError, match="letters, digits, hyphens"):
        organisation_create(actor=SYSTEM, name="North", slug="north side")
