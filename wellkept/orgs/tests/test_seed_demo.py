"""`wellkept seed_demo`: a realistic synthetic hospital, seeded once, in seconds."""

from __future__ import annotations

import io
import time
from collections import Counter
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from wellkept.accounts.backends import EmailBackend
from wellkept.accounts.models import User
from wellkept.orgs import demo
from wellkept.orgs.demo import seeding
from wellkept.orgs.models import (
    Organisation,
    Participant,
    Role,
    RoleCategory,
    StaffMembership,
    Unit,
    UnitKind,
)
from wellkept.orgs.selectors import participant_for_user
from wellkept.vault.services import dek_cache

pytestmark = pytest.mark.django_db


def seed(participants: int | None = None) -> str:
    out = io.StringIO()
    options = {} if participants is None else {"participants": participants}
    call_command("seed_demo", verbosity=0, stdout=out, **options)
    return out.getvalue()


def test_it_seeds_a_hospital_of_300_clinicians_well_within_a_minute() -> None:
    started = time.monotonic()
    seed()
    elapsed = time.monotonic() - started
    assert elapsed < 30, f"seeding took {elapsed:.1f}s"

    org = Organisation.objects.get(is_demo=True)
    kinds = Counter(org.units.values_list("kind", flat=True))
    assert kinds[UnitKind.HOSPITAL] == 1
    assert 3 <= kinds[UnitKind.DIVISION] <= 4
    assert kinds[UnitKind.DEPARTMENT] >= 10
    assert kinds[UnitKind.UNIT] >= 10

    participants = Participant.objects.filter(organisation=org)
    assert participants.count() == demo.DEFAULT_PARTICIPANTS >= 300
    assert len(set(participants.values_list("token", flat=True))) == participants.count()
    # Spread over every department, every shift and every role category,
    # with nurses the largest group as in a real hospital.
    departments = org.units.filter(kind=UnitKind.DEPARTMENT)
    for department in departments:
        assert participants.filter(unit__path__startswith=department.path).exists(), department
    assert set(participants.values_list("shift_type__code", flat=True)) == {
        "day",
        "evening",
        "night",
        "rotating",
    }
    by_role = Counter(participants.values_list("role_category", flat=True))
    assert set(by_role) == set(RoleCategory.values)
    assert by_role.most_common(1)[0][0] == RoleCategory.NURSE
    # Nights are worked in the emergency department, not in radiology.
    radiology = Unit.objects.get(organisation=org, name="Radiology")
    assert not participants.filter(unit=radiology, shift_type__code="night").exists()


def test_it_gives_each_staff_role_an_account_with_mfa() -> None:
    seed(participants=4)
    org = Organisation.objects.get(is_demo=True)
    memberships = StaffMembership.objects.filter(organisation=org).select_related("user")
    assert {m.role for m in memberships} == set(Role.values)
    for membership in memberships:
        types = set(
            Authenticator.objects.filter(user=membership.user).values_list("type", flat=True)
        )
        assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


def test_it_offers_mfa_to_participants_and_turns_it_on_for_one() -> None:
    seed(participants=4)
    with_totp, without = (User.objects.get_by_email(p.email) for p in demo.demo_people(2))
    assert Authenticator.objects.filter(user=with_totp, type="totp").exists()
    assert not Authenticator.objects.filter(user=without).exists()


def test_the_printed_logins_work() -> None:
    output = seed(participants=4)
    backend = EmailBackend()
    leader_email = demo.demo_email("leader")
    participant_email = demo.demo_people(1)[0].email
    assert leader_email in output
    assert participant_email in output
    assert demo.STAFF_PASSWORD in output
    assert demo.demo_totp_secret(leader_email) in output
    assert "wellkept demo_totp" in output
    assert backend.authenticate(None, email=leader_email, password=demo.STAFF_PASSWORD)
    clinician = backend.authenticate(
        None, email=participant_email, password=demo.PARTICIPANT_PASSWORD
    )
    assert clinician is not None
    org = Organisation.objects.get(is_demo=True)
    assert participant_for_user(user=clinician, organisation=org) is not None


def test_it_records_the_password_state_that_set_password_would() -> None:
    seed(participants=2)
    clinician = User.objects.get_by_email(demo.demo_people(1)[0].email)
    assert clinician is not None
    assert clinician.password_meets_single_factor is True
    assert clinician.check_password(demo.PARTICIPANT_PASSWORD)


def test_the_demo_passwords_pass_the_password_rules() -> None:
    seed(participants=2)
    for email, password in (
        (demo.demo_email("sysadmin"), demo.STAFF_PASSWORD),
        (demo.demo_people(1)[0].email, demo.PARTICIPANT_PASSWORD),
    ):
        validate_password(password, user=User.objects.get_by_email(email))


def test_it_leaves_an_existing_demo_alone_and_prints_the_logins_again() -> None:
    seed(participants=5)
    users, participants = User.objects.count(), Participant.objects.count()
    again = seed(participants=50)
    assert "Already seeded" in again
    assert demo.demo_totp_secret(demo.demo_email("privacy.officer")) in again
    assert (User.objects.count(), Participant.objects.count()) == (users, participants)
    assert Organisation.objects.filter(is_demo=True).count() == 1


def test_it_builds_the_same_people_every_time() -> None:
    assert demo.demo_people(40) == demo.demo_people(40)
    assert demo.demo_people(40)[:5] == demo.demo_people(5)
    emails = [p.email for p in demo.demo_people(demo.DEFAULT_PARTICIPANTS)]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@demo.wellkept.invalid") for e in emails)


def test_it_leaves_nothing_behind_when_seeding_fails_halfway() -> None:
    real_enrol = seeding.services.participant_enrol
    calls = 0

    def failing_enrol(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return real_enrol(**kwargs)  # type: ignore[arg-type]

    with (
        mock.patch.object(seeding.services, "participant_enrol", failing_enrol),
        pytest.raises(RuntimeError),
    ):
        seed(participants=5)
    assert not Organisation.objects.exists()
    assert not User.objects.exists()
    # The vault's in-process key cache still holds keys created by the
    # rolled-back transaction, and SQLite reuses their row ids; a fresh
    # process (which is what re-running the command gives) starts empty.
    dek_cache.clear()
    seed(participants=5)
    assert Participant.objects.count() == 5


def test_it_refuses_to_run_in_production(settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="refused when WELLKEPT_ENV=production"):
        seed(participants=2)
    assert not Organisation.objects.exists()


def test_it_refuses_fewer_than_two_participants() -> None:
    with pytest.raises(CommandError, match="at least 2 participants"):
        seed(participants=1)
