"""Personas for the consent tests: a hospital with a published notice and an open programme.

At St Anne's: Pia takes part with every choice on; Colin takes part without
the optional choices; Priya is the privacy officer (authenticator app on);
Lena is a leader and Amira the system administrator, both with MFA. Oscar is
the privacy officer of Elsewhere Clinic and must see nothing of St Anne's.
Farah takes part at Elsewhere.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from tests import once
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.assessments.models import CheckIn, Frequency, Programme, ProgrammeStatus, Schedule
from wellkept.assessments.services import checkin_save_answers, checkin_start, checkin_submit
from wellkept.consent.models import Notice
from wellkept.consent.services import consent_record, notice_publish
from wellkept.orgs import services
from wellkept.orgs.models import Clinician, Organisation, Participant, Role, RoleCategory, UnitKind

SETUP = SystemActor("consent-tests")
CONTACT = "privacy@stannes.example, 01234 567890"

# PHQ-9 with item 9 above 0 (a safety signal) and the single burnout item.
PHQ9_ANSWERS = {f"phq9_{n}": 1 for n in range(1, 10)} | {"phq9_2": 2, "phq9_9": 1}
BURNOUT_ANSWERS = {"burnout1_1": 3}


@dataclass
class Place:
    organisation: Organisation
    unit: Any
    shift: Any
    notice: Notice
    schedule: Schedule


@dataclass
class World:
    st_annes: Place
    elsewhere: Place
    people: dict[str, User] = field(default_factory=dict)
    participants: dict[str, Participant] = field(default_factory=dict)


def _place(slug: str, name: str) -> Place:
    org = services.organisation_create(actor=SETUP, name=name, slug=slug)
    unit = services.unit_create(actor=SETUP, organisation=org, name=name, kind=UnitKind.HOSPITAL)
    shift = services.shift_type_create(actor=SETUP, organisation=org, code="night", name="Nights")
    notice = notice_publish(actor=SETUP, organisation=org, privacy_contact=CONTACT)
    programme = Programme.objects.create(
        organisation=org, name="Wellbeing check-ins", status=ProgrammeStatus.OPEN
    )
    programme.units.add(unit)
    schedule = Schedule.objects.create(
        programme=programme,
        slug="monthly",
        name="Monthly check-in",
        frequency=Frequency.MONTHLY,
        instruments=["phq9", "burnout1"],
    )
    return Place(org, unit, shift, notice, schedule)


def with_mfa(user: User) -> User:
    TOTP.activate(user, generate_totp_secret())
    return user


def enrol(
    world: World, name: str, place: Place, *, follow_up: bool = True, safety: bool = True
) -> Participant:
    user = User.objects.create_user(f"{name}@{place.organisation.slug}.example", None)
    Clinician.objects.create(user=user, organisation=place.organisation)
    participant = services.participant_enrol(
        actor=user,
        user=user,
        organisation=place.organisation,
        unit=place.unit,
        shift_type=place.shift,
        role_category=RoleCategory.NURSE,
    )
    consent_record(
        actor=user,
        participant=participant,
        notice=place.notice,
        take_part=True,
        follow_up_contact=follow_up,
        safety_alert=safety,
    )
    world.people[name] = user
    world.participants[name] = participant
    return participant


def check_in(world: World, name: str, place: Place) -> CheckIn:
    """Have a participant answer and submit this period's check-in through the services."""
    user, participant = world.people[name], world.participants[name]
    checkin = checkin_start(actor=user, participant=participant, schedule=place.schedule)
    checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="phq9", answers=dict(PHQ9_ANSWERS)
    )
    checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="burnout1", answers=dict(BURNOUT_ANSWERS)
    )
    return checkin_submit(actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key)


def staff(world: World, name: str, place: Place, role: Role) -> User:
    user = with_mfa(User.objects.create_user(f"{name}@{place.organisation.slug}.example", None))
    services.staff_membership_grant(
        actor=SETUP, user=user, organisation=place.organisation, role=role
    )
    world.people[name] = user
    return user


def build_world() -> World:
    """Create the personas; the lifecycle tests build the same world."""
    w = World(
        st_annes=_place("st-annes", "St Anne's Hospital"),
        elsewhere=_place("elsewhere", "Elsewhere Clinic"),
    )
    enrol(w, "pia", w.st_annes)
    enrol(w, "colin", w.st_annes, follow_up=False, safety=False)
    enrol(w, "farah", w.elsewhere)
    staff(w, "priya", w.st_annes, Role.PRIVACY_OFFICER)
    staff(w, "lena", w.st_annes, Role.LEADER)
    staff(w, "amira", w.st_annes, Role.SYSTEM_ADMIN)
    staff(w, "oscar", w.elsewhere, Role.PRIVACY_OFFICER)
    return w


@pytest.fixture(scope="module")
def _consent_world_once(request: pytest.FixtureRequest) -> Iterator[World]:
    with once.built_once(request, lambda _: build_world()) as built:
        yield built


@pytest.fixture
def world(request: pytest.FixtureRequest, _consent_world_once: World, db: None) -> World:
    return once.fresh(request, _consent_world_once)


def sign_in(client: Client, user: User, *, fresh_mfa: bool = False) -> Client:
    """Sign ``user`` in; ``fresh_mfa`` also records a second-factor step just now."""
    client.force_login(user)
    if fresh_mfa:
        session = client.session
        session["account_authentication_methods"] = [{"method": "mfa", "at": time.time()}]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client
