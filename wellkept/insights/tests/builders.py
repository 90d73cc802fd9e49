"""A hospital with enough people answering to make dashboards, and a planted participant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from wellkept import clock
from wellkept.assessments import services
from wellkept.assessments.tests.fixtures import SYSTEM, Hospital, make_clinician
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Participant, RoleCategory, ShiftType, Unit, UnitKind

# A Wednesday, so that its week, month and quarter are all closed by TODAY.
ANSWER_DAY = dt.date(2026, 7, 8)
TODAY = dt.date(2026, 11, 23)


@contextmanager
def on_day(monkeypatch: pytest.MonkeyPatch, day: dt.date) -> Iterator[None]:
    moment = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
    with monkeypatch.context() as patch:
        patch.setattr(clock, "now", lambda: moment)
        yield


def pulse(user: Any, participant: Participant, h: Hospital, phq2: tuple[int, int]) -> None:
    checkin = services.checkin_start(actor=user, participant=participant, schedule=h.pulse)
    services.checkin_save_answers(
        actor=user,
        checkin=checkin,
        instrument_code="phq2",
        answers={"phq2_1": phq2[0], "phq2_2": phq2[1]},
    )
    services.checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="burnout1", answers={"burnout1_1": 2}
    )
    services.checkin_submit(actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key)


@dataclass
class WardWorld:
    """Medicine (Ward 7 and ICU day nurses, a one-person Night team), Surgery (rotating nurses).

    The planted participant is the only resident, the only night-shift
    worker and the only member of the Night team: every classic
    differencing attack isolates them if disclosure control lets it.
    """

    h: Hospital
    rotating: ShiftType
    medicine: Unit
    surgery: Unit
    theatre: Unit
    night_team: Unit
    planted_score: int
    people: dict[str, tuple[Any, Participant]] = field(default_factory=dict)


def _enrol(
    h: Hospital, name: str, unit: Unit, shift: ShiftType, role: RoleCategory
) -> tuple[Any, Participant]:
    user = make_clinician(h.organisation, f"{name}@st-annes.example")
    participant = services.programme_join(
        actor=user,
        organisation=h.organisation,
        notice=h.notice,
        unit=unit,
        shift_type=shift,
        role_category=role,
        follow_up_contact=False,
        safety_alert=False,
    )
    return user, participant


def build_ward_world(h: Hospital, monkeypatch: pytest.MonkeyPatch) -> WardWorld:
    """Add the ward world to St Anne's: units, twenty people enrolled, each a week's pulse."""
    org = h.organisation
    rotating = org_services.shift_type_create(
        actor=SYSTEM, organisation=org, code="rotating", name="Rotating"
    )
    medicine = h.ward.parent
    root = medicine.parent
    night_team = org_services.unit_create(
        actor=SYSTEM, organisation=org, name="Night team", kind=UnitKind.UNIT, parent=medicine
    )
    surgery = org_services.unit_create(
        actor=SYSTEM, organisation=org, name="Surgery", kind=UnitKind.DIVISION, parent=root
    )
    theatre = org_services.unit_create(
        actor=SYSTEM, organisation=org, name="Theatre", kind=UnitKind.UNIT, parent=surgery
    )
    h.programme.units.add(surgery)
    world = WardWorld(
        h=h,
        rotating=rotating,
        medicine=medicine,
        surgery=surgery,
        theatre=theatre,
        night_team=night_team,
        planted_score=6,
    )
    with on_day(monkeypatch, ANSWER_DAY):
        for i in range(7):
            world.people[f"ward{i}"] = _enrol(h, f"ward{i}", h.ward, h.day, RoleCategory.NURSE)
        for i in range(6):
            world.people[f"icu{i}"] = _enrol(h, f"icu{i}", h.icu, h.day, RoleCategory.NURSE)
        for i in range(6):
            world.people[f"theatre{i}"] = _enrol(
                h, f"theatre{i}", theatre, rotating, RoleCategory.NURSE
            )
        world.people["planted"] = _enrol(h, "planted", night_team, h.night, RoleCategory.RESIDENT)
        for index, (name, (user, participant)) in enumerate(sorted(world.people.items())):
            if name == "planted":
                pulse(user, participant, h, (3, 3))  # PHQ-2 total 6, known only to the test
            else:
                pulse(user, participant, h, (index % 3, (index + 1) % 2))
    return world
