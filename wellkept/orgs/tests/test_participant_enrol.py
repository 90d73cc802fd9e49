"""participant_enrol: a clinician opts in and is known from then on by a random token."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.accounts.models import User
from wellkept.orgs.models import Participant, RoleCategory
from wellkept.orgs.pseudonyms import TOKEN_LENGTH
from wellkept.orgs.services import participant_enrol

from .conftest import SYSTEM, Hospital, make_user

pytestmark = pytest.mark.django_db


def enrol(hospital: Hospital, user: User, actor: object = None, **overrides: object) -> Participant:
    values: dict = {
        "organisation": hospital.org,
        "unit": hospital.ccu,
        "shift_type": hospital.night,
        "role_category": RoleCategory.NURSE,
    }
    values.update(overrides)
    return participant_enrol(actor=actor or user, user=user, **values)


def test_it_enrols_the_clinician_under_a_new_random_token(st_annes: Hospital, nina: User) -> None:
    participant = enrol(st_annes, nina)
    assert len(participant.token) == TOKEN_LENGTH
    assert (participant.unit, participant.shift_type) == (st_annes.ccu, st_annes.night)
    assert participant.role_category == RoleCategory.NURSE
    assert participant.dek_subject == f"participant:{participant.token}"


def test_it_gives_every_enrolment_its_own_token(st_annes: Hospital) -> None:
    tokens = {enrol(st_annes, make_user(f"n{i}@example.org")).token for i in range(20)}
    assert len(tokens) == 20


def test_it_records_the_day_of_enrolment_not_the_time(st_annes: Hospital, nina: User) -> None:
    moment = dt.datetime(2026, 3, 14, 23, 59, 58, tzinfo=dt.UTC)
    with mock.patch("wellkept.clock.now", return_value=moment):
        participant = enrol(st_annes, nina)
    participant.refresh_from_db()
    assert participant.enrolled_on == dt.date(2026, 3, 14)


def test_it_lets_a_command_enrol_a_login(st_annes: Hospital, nina: User) -> None:
    assert enrol(st_annes, nina, actor=SYSTEM).organisation == st_annes.org


def test_it_refuses_to_let_anyone_enrol_someone_else(
    st_annes: Hospital, alice: User, nina: User
) -> None:
    with pytest.raises(PermissionDenied, match="enrol themselves"):
        enrol(st_annes, nina, actor=alice)
    assert not Participant.objects.exists()


def test_it_refuses_a_second_enrolment_in_the_same_organisation(
    st_annes: Hospital, nina: User
) -> None:
    enrol(st_annes, nina)
    with pytest.raises(ValidationError, match="already enrolled in St Anne's Hospital"):
        enrol(st_annes, nina, unit=st_annes.emergency)
    assert Participant.objects.count() == 1


def test_it_reports_a_concurrent_second_enrolment_as_already_enrolled(
    st_annes: Hospital, nina: User
) -> None:
    enrol(st_annes, nina)
    # Simulate the other request winning the race after our existence check.
    with mock.patch("wellkept.orgs.services.Participant.objects.filter") as filter_:
        filter_.return_value.exists.return_value = False
        with pytest.raises(ValidationError, match="already enrolled"):
            enrol(st_annes, nina)
    assert Participant.objects.count() == 1


def test_it_allows_the_same_login_in_another_organisation(
    st_annes: Hospital, elsewhere: Hospital, nina: User
) -> None:
    here = enrol(st_annes, nina)
    there = enrol(elsewhere, nina, unit=elsewhere.emergency, shift_type=elsewhere.day)
    assert here.token != there.token
    assert here.login_link != there.login_link


def test_it_refuses_a_unit_of_another_organisation(
    st_annes: Hospital, elsewhere: Hospital, nina: User
) -> None:
    with pytest.raises(ValidationError, match="unit 'Coronary Care Unit' belongs to another"):
        enrol(st_annes, nina, unit=elsewhere.ccu)


def test_it_refuses_a_shift_type_of_another_organisation(
    st_annes: Hospital, elsewhere: Hospital, nina: User
) -> None:
    with pytest.raises(ValidationError, match="shift type 'Night' belongs to another"):
        enrol(st_annes, nina, shift_type=elsewhere.night)


def test_it_refuses_an_unknown_role_category(st_annes: Hospital, nina: User) -> None:
    with pytest.raises(ValidationError, match="'surgeon' is not a role category"):
        enrol(st_annes, nina, role_category="surgeon")


def test_it_refuses_a_deactivated_login(st_annes: Hospital, nina: User) -> None:
    nina.is_active = False
    nina.save(update_fields=["is_active"])
    with pytest.raises(ValidationError, match="deactivated"):
        enrol(st_annes, nina, actor=SYSTEM)
