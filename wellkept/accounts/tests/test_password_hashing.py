"""Passwords are hashed with Argon2id at production cost, whatever the tests use.

The suite hashes with a cheap Argon2 (conftest.py); these tests keep that
shortcut from hiding a production setting that drifted away from Argon2 or
from its cost.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    check_password,
    get_hasher,
    identify_hasher,
    make_password,
)

from wellkept import settings as production
from wellkept.accounts.tests.hashers import CheapArgon2PasswordHasher

PASSWORD = "violet kettle harbour sings"


def test_production_settings_hash_with_djangos_argon2_only() -> None:
    assert production.PASSWORD_HASHERS == ["django.contrib.auth.hashers.Argon2PasswordHasher"]


@pytest.mark.argon2
def test_it_hashes_with_argon2id_at_djangos_cost_under_the_argon2_marker() -> None:
    encoded = make_password(PASSWORD)
    hasher = identify_hasher(encoded)
    assert type(hasher) is Argon2PasswordHasher
    assert encoded.startswith("argon2$argon2id$v=19$m=102400,t=2,p=8$")
    assert not hasher.must_update(encoded)
    assert check_password(PASSWORD, encoded)
    assert not check_password("violet kettle harbour sang", encoded)


def test_the_other_tests_hash_cheaply_in_the_same_format() -> None:
    assert type(get_hasher()) is CheapArgon2PasswordHasher
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$v=19$m=8,t=1,p=1$")
    assert check_password(PASSWORD, encoded)
    assert not check_password("violet kettle harbour sang", encoded)


@pytest.mark.argon2
def test_production_upgrades_a_cheap_hash_on_the_next_sign_in() -> None:
    cheap = CheapArgon2PasswordHasher().encode(PASSWORD, "saltsaltsaltsalt")
    upgraded: list[str] = []
    assert check_password(PASSWORD, cheap, setter=upgraded.append)
    assert upgraded == [PASSWORD]
