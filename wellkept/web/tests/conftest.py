"""Personas and a movable clock shared by the web tests.

Pat is a participant (a clinician with a login and no staff role); Lee is a
leader at St Anne's with an authenticator app set up, as every staff member
must have. Time moves through ``wellkept.clock``, never by sleeping.
"""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.orgs import services
from wellkept.orgs.models import Role

SYSTEM = SystemActor("web-tests")
PAT_EMAIL = "pat.participant@example.org"
PAT_PASSWORD = "correct horse battery staple on ward 7"


class MovableClock:
    def __init__(self, start: dt.datetime) -> None:
        self.current = start

    def now(self) -> dt.datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> MovableClock:
    moving = MovableClock(dt.datetime(2025, 3, 3, 7, 0, tzinfo=dt.UTC))
    monkeypatch.setattr("wellkept.clock.now", moving.now)
    return moving


@pytest.fixture
def pat(db: None) -> User:
    """A participant: a login with no staff role."""
    return User.objects.create_user(PAT_EMAIL, PAT_PASSWORD)


def staff_member(email: str, role: Role) -> User:
    """A staff member at St Anne's, with an authenticator app enrolled, as staff must have."""
    user = User.objects.create_user(email, None)
    org = services.organisation_create(actor=SYSTEM, name="St Anne's Hospital", slug="st-annes")
    services.staff_membership_grant(actor=SYSTEM, user=user, organisation=org, role=role)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
    return user


@pytest.fixture
def lee(db: None) -> User:
    """A leader at St Anne's."""
    return staff_member("lee.leader@example.org", Role.LEADER)


@pytest.fixture
def kim(db: None) -> User:
    """Kim runs the front desk of a practice that does not exist in Wellkept yet."""
    return staff_member("kim.frontdesk@example.org", Role.FRONT_DESK)


# Each persona gets its own browser, separate from the anonymous `client`.
@pytest.fixture
def pat_client(pat: User) -> Client:
    browser = Client()
    browser.force_login(pat)
    return browser


@pytest.fixture
def lee_client(lee: User) -> Client:
    browser = Client()
    browser.force_login(lee)
    return browser
