"""Personas for the follow-up tests, on top of the consent tests' hospital.

At St Anne's: Pia takes part with follow-up contact and safety alerts on;
Colin takes part without them. Wendy is the wellbeing officer, Sam and Sid
are specialists, Priya the privacy officer, Petra both a wellbeing officer
and a privacy officer (the person who must never approve her own request).
Lena is a leader, Amira the system administrator. Oscar is the privacy
officer of Elsewhere Clinic, where Farah takes part. Staff have MFA on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from tests import once
from wellkept import clock
from wellkept.accounts.models import User
from wellkept.consent.tests.conftest import SETUP, World, build_world, check_in, staff
from wellkept.consent.tests.conftest import sign_in as _sign_in
from wellkept.followup.models import Case
from wellkept.orgs import services
from wellkept.orgs.models import Role

PIA_NAME = "Pia Canary-Nightingale"

__all__ = ["PIA_NAME", "World", "check_in", "sign_in"]


def sign_in(client: Client, user: User, *, fresh_mfa: bool = False) -> Client:
    """Sign ``user`` in; ``fresh_mfa`` records a second-factor step at the clock's now.

    Stamped through the clock seam, like every check that reads it, so a
    test that moves the clock keeps one notion of "now".
    """
    _sign_in(client, user)
    if fresh_mfa:
        session = client.session
        session["account_authentication_methods"] = [
            {"method": "mfa", "at": clock.now().timestamp()}
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client


@pytest.fixture
def moving_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[..., dt.datetime]:
    """Hold wellkept.clock at one instant; call with timedelta arguments to move it on."""
    state = {"now": clock.now()}
    monkeypatch.setattr(clock, "now", lambda: state["now"])

    def advance(**delta: float) -> dt.datetime:
        state["now"] += dt.timedelta(**delta)
        return state["now"]

    return advance


def name(user: User, display_name: str) -> User:
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user


def build_followup_world() -> World:
    """The consent tests' hospital with the follow-up team and names to search for."""
    w = build_world()
    name(w.people["pia"], PIA_NAME)
    name(w.people["colin"], "Colin Quokka-Fernsby")
    name(staff(w, "wendy", w.st_annes, Role.WELLBEING_OFFICER), "Wendy Welby")
    name(staff(w, "sam", w.st_annes, Role.SPECIALIST), "Dr Sam Specter")
    staff(w, "sid", w.st_annes, Role.SPECIALIST)
    petra = staff(w, "petra", w.st_annes, Role.WELLBEING_OFFICER)
    services.staff_membership_grant(
        actor=SETUP, user=petra, organisation=w.st_annes.organisation, role=Role.PRIVACY_OFFICER
    )
    name(w.people["priya"], "Priya Privett")
    return w


@pytest.fixture(scope="module", autouse=True)
def _followup_world_once(request: pytest.FixtureRequest) -> Iterator[World | None]:
    """The world, built once for a module of this folder before any test's transaction.

    Autouse, so that it is built before the first test's savepoint opens (built
    from inside ``world``, that test's rollback would take it). A module whose
    tests all commit (the concurrency tests) gets none.
    """
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        yield None
        return
    with once.built_once(request, lambda _: build_followup_world()) as built:
        yield built


@pytest.fixture
def world(request: pytest.FixtureRequest, db: None) -> World:
    """The follow-up world: this folder's shared one, else one for this test alone.

    Other folders import this fixture without ``_followup_world_once`` (the
    lifecycle tests, the canaries, some of them committing): they keep a world
    built per test, as before worlds were shared.
    """
    if once.committing(request):
        return build_followup_world()
    try:
        shared: World | None = request.getfixturevalue("_followup_world_once")
    except pytest.FixtureLookupError:
        shared = None
    if shared is None:
        return build_followup_world()
    return once.fresh(request, shared)


@pytest.fixture
def case(world: World) -> Case:
    """Pia's check-in signals risk; she agreed to safety alerts, so a case opens."""
    check_in(world, "pia", world.st_annes)
    return Case.objects.get(participant=world.participants["pia"])


def assigned_to(case: Case, user: Any) -> Case:
    from wellkept.followup.services import case_assign

    return case_assign(actor=user, case=case, assignee=user)


def colin_asks(world: World) -> Case:
    """Colin turns follow-up contact on and asks someone to contact him: a request case."""
    from wellkept.consent.services import consent_record
    from wellkept.followup.services import case_request

    colin = world.participants["colin"]
    consent_record(
        actor=world.people["colin"],
        participant=colin,
        notice=world.st_annes.notice,
        take_part=True,
        follow_up_contact=True,
        safety_alert=False,
    )
    return case_request(actor=world.people["colin"], participant=colin)
