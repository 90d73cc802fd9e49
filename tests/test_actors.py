"""Who acts: a service that stores a person refuses anyone else, before the database would."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from wellkept.accounts.models import User
from wellkept.actors import NotAPerson, PseudonymousActor, SystemActor, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def pia() -> User:
    return User.objects.create_user("pia@stannes.example", None)


def test_it_returns_the_signed_in_person(pia):
    assert person(pia) is pia


@pytest.mark.parametrize(
    "nobody", [SystemActor("retention"), PseudonymousActor("tok"), AnonymousUser()]
)
def test_it_refuses_anyone_but_a_person_where_a_person_is_stored(nobody):
    with pytest.raises(NotAPerson):
        person(nobody)
