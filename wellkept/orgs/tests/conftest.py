"""Personas and a small hospital shared by the orgs tests.

Alice administers St Anne's; Nina is a nurse there who may enrol herself;
Oscar administers another organisation and must reach nothing at St Anne's.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.orgs import services
from wellkept.orgs.models import Organisation, Role, ShiftType, Unit, UnitKind

SYSTEM = SystemActor("tests")


def make_user(email: str) -> User:
    return User.objects.create_user(email, None)


@dataclass
class Hospital:
    org: Organisation
    hospital: Unit
    medicine: Unit
    cardiology: Unit
    ccu: Unit
    emergency: Unit
    day: ShiftType
    night: ShiftType


def build_hospital(slug: str, name: str) -> Hospital:
    org = services.organisation_create(actor=SYSTEM, name=name, slug=slug)

    def unit(unit_name: str, kind: UnitKind, parent: Unit | None = None) -> Unit:
        return services.unit_create(
            actor=SYSTEM, organisation=org, name=unit_name, kind=kind, parent=parent
        )

    hospital = unit(name, UnitKind.HOSPITAL)
    medicine = unit("Division of Medicine", UnitKind.DIVISION, hospital)
    cardiology = unit("Cardiology", UnitKind.DEPARTMENT, medicine)
    ccu = unit("Coronary Care Unit", UnitKind.UNIT, cardiology)
    emergency = unit("Emergency", UnitKind.DEPARTMENT, hospital)
    return Hospital(
        org=org,
        hospital=hospital,
        medicine=medicine,
        cardiology=cardiology,
        ccu=ccu,
        emergency=emergency,
        day=services.shift_type_create(actor=SYSTEM, organisation=org, code="day", name="Day"),
        night=services.shift_type_create(
            actor=SYSTEM, organisation=org, code="night", name="Night"
        ),
    )


@pytest.fixture
def st_annes(db: None) -> Hospital:
    return build_hospital("st-annes", "St Anne's Hospital")


@pytest.fixture
def elsewhere(db: None) -> Hospital:
    return build_hospital("elsewhere", "Elsewhere Clinic")


@pytest.fixture
def alice(st_annes: Hospital) -> User:
    """System administrator of St Anne's."""
    user = make_user("alice@example.org")
    services.staff_membership_grant(
        actor=SYSTEM, user=user, organisation=st_annes.org, role=Role.SYSTEM_ADMIN
    )
    return user


@pytest.fixture
def oscar(elsewhere: Hospital) -> User:
    """System administrator of another organisation."""
    user = make_user("oscar@example.org")
    services.staff_membership_grant(
        actor=SYSTEM, user=user, organisation=elsewhere.org, role=Role.SYSTEM_ADMIN
    )
    return user


@pytest.fixture
def nina(db: None) -> User:
    """A nurse with a login, not yet enrolled."""
    return make_user("nina@example.org")
