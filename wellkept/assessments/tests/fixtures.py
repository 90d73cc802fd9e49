"""A small hospital with an open programme, for the clinician's side.

Nadia is a night nurse invited as a clinician who has not joined yet; Joe is
a day nurse who takes part (follow-up contact yes, safety alerts no); Sara
takes part with safety alerts on. Lena is a leader; Amira the system
administrator; Priya the privacy officer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import once
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.assessments.models import (
    Frequency,
    Programme,
    ProgrammeStatus,
    Schedule,
    SupportKind,
    SupportResource,
)
from wellkept.assessments.services import programme_join
from wellkept.consent.models import Notice
from wellkept.consent.services import notice_publish
from wellkept.orgs import services as org_services
from wellkept.orgs.models import (
    Clinician,
    Organisation,
    Participant,
    Role,
    RoleCategory,
    ShiftType,
    Unit,
    UnitKind,
)

SYSTEM = SystemActor("assessment-tests")


@dataclass
class Hospital:
    organisation: Organisation
    icu: Unit
    ward: Unit
    day: ShiftType
    night: ShiftType
    programme: Programme
    pulse: Schedule
    monthly: Schedule
    notice: Notice
    people: dict[str, Any] = field(default_factory=dict)
    participants: dict[str, Participant] = field(default_factory=dict)


def make_clinician(org: Organisation, email: str) -> User:
    user = User.objects.create_user(email, None)
    Clinician.objects.create(user=user, organisation=org)
    return user


def join(h: Hospital, user: User, *, follow_up: bool = False, safety: bool = False) -> Participant:
    return programme_join(
        actor=user,
        organisation=h.organisation,
        notice=h.notice,
        unit=h.ward,
        shift_type=h.day,
        role_category=RoleCategory.NURSE,
        follow_up_contact=follow_up,
        safety_alert=safety,
    )


def build_hospital(monkeypatch: pytest.MonkeyPatch) -> Hospital:
    """Build St Anne's; ``monkeypatch`` is for builders on top of it that move the clock."""
    org = org_services.organisation_create(actor=SYSTEM, name="St Anne's Hospital", slug="st-annes")
    root = org_services.unit_create(
        actor=SYSTEM, organisation=org, name="St Anne's", kind=UnitKind.HOSPITAL
    )
    medicine = org_services.unit_create(
        actor=SYSTEM, organisation=org, name="Medicine", kind=UnitKind.DIVISION, parent=root
    )
    icu = org_services.unit_create(
        actor=SYSTEM, organisation=org, name="Intensive care", kind=UnitKind.UNIT, parent=medicine
    )
    ward = org_services.unit_create(
        actor=SYSTEM, organisation=org, name="Ward 7", kind=UnitKind.UNIT, parent=medicine
    )
    day = org_services.shift_type_create(actor=SYSTEM, organisation=org, code="day", name="Day")
    night = org_services.shift_type_create(
        actor=SYSTEM, organisation=org, code="night", name="Night"
    )
    programme = Programme.objects.create(
        organisation=org, name="Staff wellbeing check-in", status=ProgrammeStatus.OPEN
    )
    programme.units.add(medicine)
    pulse = Schedule.objects.create(
        programme=programme,
        slug="pulse",
        name="Weekly pulse",
        frequency=Frequency.WEEKLY,
        instruments=["phq2", "burnout1"],
        position=0,
    )
    monthly = Schedule.objects.create(
        programme=programme,
        slug="monthly",
        name="Monthly check-in",
        frequency=Frequency.MONTHLY,
        instruments=["phq9", "gad7", "who5"],
        position=1,
    )
    SupportResource.objects.create(
        programme=programme, kind=SupportKind.CRISIS, name="Crisis line", contact="0800 111 222"
    )
    SupportResource.objects.create(
        programme=programme, kind=SupportKind.SUPPORT, name="Staff support", contact="x4455"
    )
    notice = notice_publish(
        actor=SYSTEM, organisation=org, privacy_contact="privacy@st-annes.example"
    )
    h = Hospital(org, icu, ward, day, night, programme, pulse, monthly, notice)
    for name in ("nadia", "joe", "sara"):
        h.people[name] = make_clinician(org, f"{name}@st-annes.example")
    h.participants["joe"] = join(h, h.people["joe"], follow_up=True)
    h.participants["sara"] = join(h, h.people["sara"], follow_up=True, safety=True)
    for name, role in (
        ("lena", Role.LEADER),
        ("amira", Role.SYSTEM_ADMIN),
        ("priya", Role.PRIVACY_OFFICER),
        ("wendy", Role.WELLBEING_OFFICER),
    ):
        user = User.objects.create_user(f"{name}@st-annes.example", None)
        org_services.staff_membership_grant(actor=SYSTEM, user=user, organisation=org, role=role)
        h.people[name] = user
    return h


def module_fixturenames(request: pytest.FixtureRequest) -> tuple[set[str], bool]:
    """The fixtures the requesting module's tests use, and whether any of them commits."""
    names: set[str] = set()
    commits = False
    for item in request.session.items:
        if getattr(item, "module", None) is not request.module:
            continue
        names |= set(getattr(item, "fixturenames", ()))
        commits = commits or once.commits(item)
    return names, commits


# Other worlds that also found St Anne's: a module using one of them beside
# ``hospital`` builds its hospital per test, as the two cannot both be open.
OTHER_WORLDS = frozenset({"world", "case"})


@pytest.fixture(scope="module")
def _hospital_once(request: pytest.FixtureRequest) -> Iterator[Hospital | None]:
    """St Anne's built once for the module, or None where it must be built per test.

    A committing test fails while a world is open for its module, so a
    module with one builds per test.
    """
    names, commits = module_fixturenames(request)
    if commits or names & OTHER_WORLDS:
        yield None
        return
    with once.built_once(request, build_hospital) as world:
        yield world


@pytest.fixture
def hospital(db: None, monkeypatch: pytest.MonkeyPatch) -> Hospital:
    """St Anne's built for this test alone.

    For modules that import only this name (the canaries and browser tests
    commit); the apps' conftests give their tests ``shared_hospital`` under
    the name ``hospital``.
    """
    return build_hospital(monkeypatch)


@pytest.fixture
def hospital_per_test(db: None, monkeypatch: pytest.MonkeyPatch) -> Hospital:
    """St Anne's built for this test alone, by name, for a test that commits."""
    return build_hospital(monkeypatch)


@pytest.fixture(name="hospital")
def shared_hospital(
    request: pytest.FixtureRequest, _hospital_once: Hospital | None, db: None
) -> Hospital:
    """St Anne's built once per module; each test gets its own copy in its savepoint."""
    if _hospital_once is None:
        return build_hospital(request.getfixturevalue("monkeypatch"))
    return once.fresh(request, _hospital_once)


PHQ2_LOW = {"phq2_1": 0, "phq2_2": 1}
BURNOUT_OK = {"burnout1_1": 2}
