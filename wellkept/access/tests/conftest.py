"""Personas for the access tests: one person per role of DESIGN.md's table.

At St Anne's: Pia takes part in the wellbeing programme (a participant, no
staff role); Colin is a colleague who takes part too, whose records are
"someone else's"; Lena is a leader, Wendy the wellbeing officer, Sam a
specialist, Fran the front desk, Bill does the practice's billing, Sue is a
clinical supervisor, Priya the privacy officer, Amira the system
administrator. Oscar is a system administrator and wellbeing officer at
Elsewhere Clinic and must reach nothing at St Anne's. Farah takes part at
Faraway Hospital, where none of them works: her records are "unrelated".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import once
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.consent.services import consent_record, notice_publish
from wellkept.orgs import services
from wellkept.orgs.models import Organisation, Participant, Role, RoleCategory, UnitKind

SYSTEM = SystemActor("access-tests")


@dataclass
class World:
    st_annes: Organisation
    elsewhere: Organisation
    faraway: Organisation
    people: dict[str, Any] = field(default_factory=dict)
    participants: dict[str, Participant] = field(default_factory=dict)


def _organisation(slug: str, name: str) -> tuple[Organisation, Any, Any]:
    org = services.organisation_create(actor=SYSTEM, name=name, slug=slug)
    unit = services.unit_create(actor=SYSTEM, organisation=org, name=name, kind=UnitKind.HOSPITAL)
    shift = services.shift_type_create(actor=SYSTEM, organisation=org, code="day", name="Day")
    return org, unit, shift


def _user(email: str) -> User:
    return User.objects.create_user(email, None)


STAFF = {
    "lena": Role.LEADER,
    "wendy": Role.WELLBEING_OFFICER,
    "sam": Role.SPECIALIST,
    "fran": Role.FRONT_DESK,
    "bill": Role.BILLING,
    "sue": Role.CLINICAL_SUPERVISOR,
    "priya": Role.PRIVACY_OFFICER,
    "amira": Role.SYSTEM_ADMIN,
}


def build_world() -> World:
    """Create the three organisations and one person per role."""
    st_annes, st_unit, st_shift = _organisation("st-annes", "St Anne's Hospital")
    elsewhere, _, _ = _organisation("elsewhere", "Elsewhere Clinic")
    faraway, far_unit, far_shift = _organisation("faraway", "Faraway Hospital")
    w = World(st_annes=st_annes, elsewhere=elsewhere, faraway=faraway)
    notices = {
        org.pk: notice_publish(actor=SYSTEM, organisation=org, privacy_contact="privacy@example")
        for org in (st_annes, faraway)
    }

    def enrol(name: str, org: Organisation, unit: Any, shift: Any) -> None:
        # Enrolled and consenting to the current notice, as the programme makes everyone.
        user = w.people[name]
        participant = services.participant_enrol(
            actor=user,
            user=user,
            organisation=org,
            unit=unit,
            shift_type=shift,
            role_category=RoleCategory.NURSE,
        )
        consent_record(
            actor=user,
            participant=participant,
            notice=notices[org.pk],
            take_part=True,
            follow_up_contact=True,
            safety_alert=True,
        )
        w.participants[name] = participant

    for name in ("pia", "colin"):
        w.people[name] = _user(f"{name}@stannes.example")
        enrol(name, st_annes, st_unit, st_shift)
    for name, role in STAFF.items():
        w.people[name] = _user(f"{name}@stannes.example")
        services.staff_membership_grant(
            actor=SYSTEM, user=w.people[name], organisation=st_annes, role=role
        )
    w.people["oscar"] = _user("oscar@elsewhere.example")
    for role in (Role.SYSTEM_ADMIN, Role.WELLBEING_OFFICER):
        services.staff_membership_grant(
            actor=SYSTEM, user=w.people["oscar"], organisation=elsewhere, role=role
        )
    w.people["farah"] = _user("farah@faraway.example")
    enrol("farah", faraway, far_unit, far_shift)
    w.people["system"] = SYSTEM
    return w


@pytest.fixture(scope="module")
def _world_once(request: pytest.FixtureRequest) -> Iterator[World]:
    with once.built_once(request, lambda _: build_world()) as built:
        yield built


@pytest.fixture
def world(request: pytest.FixtureRequest, _world_once: World, db: None) -> World:
    return once.fresh(request, _world_once)
