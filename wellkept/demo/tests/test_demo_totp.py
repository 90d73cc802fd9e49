"""`wellkept demo_totp EMAIL`: the current TOTP code of a demo account, and nothing else."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import CommandError, call_command

from tests import once
from wellkept.accounts.models import User
from wellkept.demo import hospital as demo
from wellkept.orgs.tests.conftest import make_user

# One engine: the command reads back the second factors the demo seeded
# (the demo runs on SQLite, `make demo`); verifying a code and auditing the
# printing are the accounts' and audit's own, tested on both engines there.
pytestmark = [pytest.mark.django_db, pytest.mark.one_engine]

LEADER = demo.demo_email("leader")


def seed() -> None:
    call_command(
        "seed_demo",
        participants=3,
        practice_clients=12,
        practice_weeks=4,
        verbosity=0,
        stdout=io.StringIO(),
    )


# Seeding costs a second; no test here commits, so the demo is seeded once
# for the module and each test runs in a savepoint within it. The test that
# needs no demo at all lives in test_demo_totp_without_demo.py.
@pytest.fixture(scope="module")
def _seeded_once(request: pytest.FixtureRequest) -> Iterator[None]:
    with once.built_once(request, lambda _: seed()) as built:
        yield built


@pytest.fixture
def seeded(request: pytest.FixtureRequest, _seeded_once: None, db: None) -> None:
    once.fresh(request, _seeded_once)


def demo_totp(*args: str) -> str:
    out = io.StringIO()
    call_command("demo_totp", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def test_it_prints_a_code_that_the_login_accepts(seeded: None) -> None:
    code = demo_totp(LEADER)
    assert len(code) == 6
    assert code.isdigit()
    user = User.objects.get_by_email(LEADER)
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert TOTP(authenticator).validate_code(code)


def test_it_reads_the_time_through_the_clock_seam(seeded: None) -> None:
    start = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    codes = []
    for seconds in (0, 29, 30):
        with mock.patch("wellkept.clock.now", return_value=start + dt.timedelta(seconds=seconds)):
            codes.append(demo_totp(LEADER))
    assert codes[0] == codes[1] != codes[2]


def test_it_works_for_the_demo_participant_with_mfa(seeded: None) -> None:
    assert demo_totp(demo.demo_people(1)[0].email).isdigit()


def test_it_lists_the_unused_recovery_codes(seeded: None) -> None:
    codes = demo_totp(LEADER, "--recovery-codes").splitlines()
    assert len(codes) == 10
    assert len(set(codes)) == 10


def test_it_says_when_the_account_has_no_totp(seeded: None) -> None:
    without_mfa = demo.demo_people(2)[1].email
    with pytest.raises(CommandError, match="has no TOTP Authenticator set up"):
        demo_totp(without_mfa)


def test_it_refuses_an_account_outside_the_demo(seeded: None) -> None:
    make_user("real.person@example.org")
    with pytest.raises(CommandError, match="no demo account with the e-mail") as real:
        demo_totp("real.person@example.org")
    with pytest.raises(CommandError, match="no demo account with the e-mail") as unknown:
        demo_totp("nobody@example.org")
    # Same answer whether the address exists or not.
    assert str(real.value).replace("real.person", "X") == str(unknown.value).replace("nobody", "X")


def test_it_refuses_to_run_in_production(seeded: None, settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="refused when WELLKEPT_ENV=production"):
        demo_totp(LEADER)


def invite_someone_real_into_the_demo() -> User:
    """A real person invited as privacy officer enrols their own authenticator."""
    from allauth.mfa.totp.internal.auth import generate_totp_secret

    from wellkept.orgs.models import Role, StaffMembership
    from wellkept.orgs.selectors import demo_organisation

    user = make_user("new.it.person@demo.wellkept.invalid")
    StaffMembership.objects.create(
        user=user, organisation=demo_organisation(), role=Role.PRIVACY_OFFICER
    )
    TOTP.activate(user, generate_totp_secret())
    return user


def test_it_never_prints_codes_of_someone_invited_into_the_demo(seeded: None) -> None:
    invite_someone_real_into_the_demo()
    with pytest.raises(CommandError, match="no demo account"):
        demo_totp("new.it.person@demo.wellkept.invalid")
    with pytest.raises(CommandError, match="no demo account"):
        demo_totp("new.it.person@demo.wellkept.invalid", "--recovery-codes")


def test_a_rerun_of_the_seed_lists_only_the_seeded_accounts(seeded: None) -> None:
    invite_someone_real_into_the_demo()
    out = io.StringIO()
    call_command(
        "seed_demo",
        participants=3,
        practice_clients=12,
        practice_weeks=4,
        stdout=out,
        stderr=io.StringIO(),
    )
    printed = out.getvalue()
    assert "new.it.person" not in printed
    assert demo.demo_email("privacy.officer") in printed


def test_it_never_prints_recovery_codes_of_a_passkey_only_member(seeded: None) -> None:
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    from wellkept.orgs.models import Role, StaffMembership
    from wellkept.orgs.selectors import demo_organisation

    user = make_user("passkey.person@demo.wellkept.invalid")
    StaffMembership.objects.create(user=user, organisation=demo_organisation(), role=Role.LEADER)
    Authenticator.objects.create(user=user, type=Authenticator.Type.WEBAUTHN, data={})
    RecoveryCodes.activate(user)
    with pytest.raises(CommandError, match="no demo account"):
        demo_totp("passkey.person@demo.wellkept.invalid", "--recovery-codes")


def test_it_records_every_printed_second_factor(seeded: None) -> None:
    from wellkept.audit.models import AuditEntry

    user = User.objects.get_by_email(LEADER)
    demo_totp(LEADER)
    entry = AuditEntry.objects.latest("id")
    assert (entry.event, entry.target, entry.actor_label) == (
        "record.read",
        f"user:{user.pk}",
        "system:demo_totp",
    )
