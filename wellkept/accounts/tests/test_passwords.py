"""Password rules: length by factor count, breached lists, context, no composition rules."""

from __future__ import annotations

import pytest
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from wellkept.accounts.models import User
from wellkept.accounts.passwords import (
    EXTRA_BREACHED_LIST,
    BreachedPasswordValidator,
    ContextValidator,
    LengthValidator,
    PasswordSubject,
    min_length_for,
)
from wellkept.accounts.tests.conftest import enrol_totp

pytestmark = pytest.mark.django_db


def codes(password: str, user: object) -> set[str]:
    try:
        password_validation.validate_password(password, user)  # type: ignore[arg-type]
    except ValidationError as exc:
        return {e.code for e in exc.error_list}
    return set()


def test_it_requires_15_characters_when_the_password_is_the_only_factor(nina):
    assert min_length_for(nina) == 15
    assert "password_too_short" in codes("plum quiet row", nina)  # 14
    assert codes("plum quiet rows", nina) == set()  # 15


def test_it_explains_why_a_single_factor_password_must_be_long(nina):
    with pytest.raises(ValidationError) as exc:
        LengthValidator().validate("short but fine", nina)
    assert "only thing protecting this account" in str(exc.value)


def test_it_requires_only_8_characters_for_staff_who_must_use_mfa(lena):
    assert min_length_for(lena) == 8
    assert codes("tq9#Lm2v", lena) == set()
    assert "password_too_short" in codes("tq9#Lm2", lena)


def test_it_requires_only_8_characters_for_a_participant_with_an_authenticator(nina):
    enrol_totp(nina)
    assert min_length_for(nina) == 8
    assert codes("tq9#Lm2v", nina) == set()


def test_it_applies_staff_rules_to_an_invitee_before_the_account_exists():
    invitee = PasswordSubject(email="new.person@stannes.example", mfa_required=True)
    assert codes("tq9#Lm2v", invitee) == set()
    assert "password_too_short" in codes("tq9#Lm2", invitee)


def test_it_accepts_a_128_character_passphrase_and_refuses_longer(nina):
    long_one = ("marble orchard lantern " * 10)[:128]
    assert len(long_one) == 128
    assert codes(long_one, nina) == set()
    assert "password_too_long" in codes(long_one + "x", nina)


def test_it_has_no_composition_rules(nina):
    assert codes("all lower case words only", nina) == set()
    assert codes("4815162342108153", nina) == set()


@pytest.mark.parametrize(
    "password",
    [
        "password12345678",  # our shipped list
        "PASSWORD12345678",  # case does not matter
        "Correct Horse Battery Staple",
        "nurse2025",  # health-care context, long enough for staff
    ],
)
def test_it_refuses_breached_and_context_passwords_from_the_shipped_list(password, lena):
    assert "password_breached" in codes(password, lena)


def test_it_refuses_passwords_from_djangos_common_list(lena):
    # "iloveyou1" is on Django's bundled list of 20,000 common passwords.
    assert "password_breached" in codes("iloveyou1", lena)


def test_it_ships_its_extra_list_as_a_gzip_file():
    assert EXTRA_BREACHED_LIST.name.endswith(".txt.gz")
    BreachedPasswordValidator().validate("an unlisted calm passphrase")


def test_it_refuses_a_password_containing_the_email_local_part(nina):
    with pytest.raises(ValidationError) as exc:
        ContextValidator().validate("my name is Nina.Nurse ok", nina)
    assert exc.value.code == "password_contains_email"


def test_it_refuses_a_password_containing_the_service_name(nina):
    assert "password_contains_service_name" in codes("my WellKept passphrase", nina)


def test_it_says_the_rules_in_plain_words():
    help_text = " ".join(password_validation.password_validators_help_texts())
    assert "at least 15 characters" in help_text
    assert "at least 8" in help_text
    assert "no rules about mixing character types" in help_text


def test_it_records_whether_the_password_is_long_enough_to_stand_alone(nina):
    nina.set_password("tq9#Lm2vXpz")
    assert nina.password_meets_single_factor is False
    nina.set_password("violet kettle harbour")
    assert nina.password_meets_single_factor is True
    nina.set_unusable_password()
    assert nina.password_meets_single_factor is False


def test_it_stores_the_flag_with_the_account():
    user = User.objects.create_user("flag.check@stannes.example", "violet kettle harbour")
    user.refresh_from_db()
    assert user.password_meets_single_factor is True
