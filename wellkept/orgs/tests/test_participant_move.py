"""participant_move: a participant's unit, shift type or role category changes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.accounts.models import User
from wellkept.orgs.models import Participant, RoleCategory
from wellkept.orgs.services import participant_enrol, participant_move

from .conftest import SYSTEM, Hospital, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ninas_enrolment(st_annes: Hospital, nina: User) -> Participant:
    return participant_enrol(
        actor=nina,
        user=nina,
        organisation=st_annes.org,
        unit=st_annes.ccu,
        shift_type=st_annes.night,
        role_category=RoleCategory.NURSE,
    )


def test_it_moves_the_participant_to_another_unit_and_shift(
    st_annes: Hospital, nina: User, ninas_enrolment: Participant
) -> None:
    participant_move(
        actor=nina, participant=ninas_enrolment, unit=st_annes.emergency, shift_type=st_annes.day
    )
    ninas_enrolment.refresh_from_db()
    assert (ninas_enrolment.unit, ninas_enrolment.shift_type) == (st_annes.emergency, st_annes.day)


def test_it_writes_only_the_fields_that_changed(
    st_annes: Hospital, nina: User, ninas_enrolment: Participant
) -> None:
    # Another request changed the role meanwhile; moving the unit with a
    # stale copy must not put the old role back.
    Participant.objects.filter(pk=ninas_enrolment.pk).update(
        role_category=RoleCategory.ADVANCED_PRACTICE
    )
    participant_move(actor=nina, participant=ninas_enrolment, unit=st_annes.emergency)
    ninas_enrolment.refresh_from_db()
    assert ninas_enrolment.role_category == RoleCategory.ADVANCED_PRACTICE
    assert ninas_enrolment.unit == st_annes.emergency


def test_it_lets_a_command_change_the_role_category(ninas_enrolment: Participant) -> None:
    participant_move(actor=SYSTEM, participant=ninas_enrolment, role_category="resident")
    ninas_enrolment.refresh_from_db()
    assert ninas_enrolment.role_category == RoleCategory.RESIDENT


def test_it_refuses_anyone_but_the_participant(
    st_annes: Hospital, alice: User, ninas_enrolment: Participant
) -> None:
    colleague = make_user("colleague@example.org")
    for intruder in (alice, colleague):
        with pytest.raises(PermissionDenied, match="their own enrolment"):
            participant_move(actor=intruder, participant=ninas_enrolment, unit=st_annes.emergency)
    ninas_enrolment.refresh_from_db()
    assert ninas_enrolment.unit == st_annes.ccu


def test_it_refuses_a_unit_of_another_organisation(
    elsewhere: Hospital, nina: User, ninas_enrolment: Participant
) -> None:
    with pytest.raises(ValidationError, match="belongs to another organisation"):
        participant_move(actor=nina, participant=ninas_enrolment, unit=elsewhere.emergency)


def test_it_refuses_a_move_that_changes_nothing(
    st_annes: Hospital, nina: User, ninas_enrolment: Participant
) -> None:
    with pytest.raises(ValidationError, match="Nothing changed"):
        participant_move(
            actor=nina, participant=ninas_enrolment, unit=st_annes.ccu, role_category="nurse"
        )


def test_it_refuses_an_unknown_role_category(nina: User, ninas_enrolment: Participant) -> None:
    with pytest.raises(ValidationError, match="not a role category"):
        participant_move(actor=nina, participant=ninas_enrolment, role_category="matron")
