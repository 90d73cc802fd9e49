"""Personas and helpers shared by the accounts tests.

Amira administers St Anne's (system administrator, authenticator app on);
Lena is a leader there who has not set up MFA yet; Nina is a nurse who takes
part in the wellbeing programme (a participant: no staff role); Oscar
administers another organisation and must reach nothing at St Anne's.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client

from wellkept.accounts.models import User
from wellkept.orgs.models import Organisation, Role, StaffMembership

STRONG_PASSWORD = "violet kettle harbour sings"
SHORT_MFA_PASSWORD = "tq9#Lm2vX"


def make_user(email: str, password: str | None = STRONG_PASSWORD) -> User:
    return User.objects.create_user(email, password)


def give_role(user: User, organisation: Organisation, role: Role) -> None:
    StaffMembership.objects.create(user=user, organisation=organisation, role=role)


def enrol_totp(user: User) -> str:
    """Give ``user`` an authenticator app and return its secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str, at: float | None = None) -> str:
    counter = int(time.time() if at is None else at) // 30
    return format_hotp_value(hotp_value(secret, counter))


def record_authentication(client: Client, user: User, method: str, at: float, **extra) -> None:
    """Write one of allauth's authentication records into the client's session."""
    session = client.session
    records = list(session.get("account_authentication_methods", []))
    records.append({"method": method, "at": at, **extra})
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def st_annes(db) -> Organisation:
    return Organisation.objects.create(name="St Anne's Hospital", slug="st-annes")


@pytest.fixture
def elsewhere(db) -> Organisation:
    return Organisation.objects.create(name="Riverside Clinic", slug="riverside")


@pytest.fixture
def amira(st_annes) -> User:
    user = make_user("amira.admin@stannes.example")
    give_role(user, st_annes, Role.SYSTEM_ADMIN)
    user.totp_secret = enrol_totp(user)  # type: ignore[attr-defined]
    return user


@pytest.fixture
def lena(st_annes) -> User:
    user = make_user("lena.leader@stannes.example")
    give_role(user, st_annes, Role.LEADER)
    return user


@pytest.fixture
def nina(db) -> User:
    return make_user("nina.nurse@stannes.example")


@pytest.fixture
def oscar(elsewhere) -> User:
    user = make_user("oscar.admin@riverside.example")
    give_role(user, elsewhere, Role.SYSTEM_ADMIN)
    enrol_totp(user)
    return user


@pytest.fixture
def frozen_clock(monkeypatch) -> Callable[[float], None]:
    """Stop wellkept.clock at a fixed instant; call the fixture to move it on."""
    state = {"now": dt.datetime.now(tz=dt.UTC)}
    monkeypatch.setattr("wellkept.clock.now", lambda: state["now"])

    def advance(seconds: float) -> None:
        state["now"] += dt.timedelta(seconds=seconds)

    return advance


def has_authenticator(user: User, kind: str) -> bool:
    return Authenticator.objects.filter(user=user, type=kind).exists()
