"""Break-glass and approvals at the same moment, each caller on its own connection.

A specialist double-clicking, two tabs, or two emergencies at once must not
get two unreviewed openings; one allowance must not open two names; two
privacy officers must not both decide one request; and a grant approved at
the moment its case closes must not outlive the case. Runs on PostgreSQL
(DATABASE_URL), where transactions really overlap; SQLite serialises every
writer with BEGIN IMMEDIATE, and runs the same tests as a check that the
rules hold when callers queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.followup import reidentification, services
from wellkept.followup.models import (
    BreakGlassAllowance,
    Case,
    GrantKind,
    GrantStatus,
    IdentityGrant,
)
from wellkept.followup.scopes import identity_resource
from wellkept.followup.tests.conftest import assigned_to, world
from wellkept.followup.tests.test_reidentification import _fresh_request
from wellkept.followup.tests.test_rules_in_services import REASON, _second_alert_case

__all__ = ["world"]

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 6


def at_once(calls: list[Callable[[], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run every call on its own thread and connection, released together."""
    start = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(call: Callable[[], Any]) -> None:
        try:
            start.wait()
            results.append(call())
        except BaseException as exc:  # reported to the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors


def _emergencies(world: Any) -> tuple[Case, Case]:
    pia_case = Case.objects.get(participant=world.participants["pia"])
    return assigned_to(pia_case, world.people["sam"]), _second_alert_case(world)


SITUATIONS = [
    "She wrote that she has a plan for tonight and does not answer the phone.",
    "His colleague found a goodbye letter in the locker room an hour ago.",
    "Three missed welfare calls after a message about ending it tonight.",
    "The ward sister reports he left the unit saying he would not come back.",
    "A text to the team chat describes the means and the time she chose.",
    "Security saw him on the roof car park; he asked us not to call anyone.",
    "Her partner phoned the service: she took tablets and locked the door.",
]


def _opening(world: Any, case: Case, n: int) -> Callable[[], Any]:
    reason = SITUATIONS[n % len(SITUATIONS)]

    def call() -> Any:
        return reidentification.breakglass_open(
            actor=world.people["sam"], case=case, reason=reason, request=_fresh_request(world)
        )

    return call


def test_one_unreviewed_break_glass_however_many_at_once(world, case):
    cases = _emergencies(world)
    calls = [_opening(world, cases[n % 2], n) for n in range(THREADS)]
    opened, errors = at_once(calls)
    assert len(opened) == 1
    assert len(errors) == THREADS - 1
    assert all(isinstance(e, reidentification.BreakGlassLimit) for e in errors), errors
    assert IdentityGrant.objects.filter(kind=GrantKind.BREAK_GLASS).count() == 1


def test_one_allowance_opens_one_more_name(world, case):
    cases = _emergencies(world)
    first, _ = _opening(world, cases[0], 0)()
    reidentification.breakglass_allowance_grant(
        actor=world.people["priya"],
        grant=first,
        reason="A second emergency, confirmed with the on-call psychiatrist by phone.",
        request=_fresh_request(world, "priya"),
    )
    opened, errors = at_once([_opening(world, cases[1], n) for n in range(1, THREADS + 1)])
    assert len(opened) == 1, errors
    assert all(isinstance(e, reidentification.BreakGlassLimit) for e in errors), errors
    assert IdentityGrant.objects.filter(kind=GrantKind.BREAK_GLASS).count() == 2
    assert BreakGlassAllowance.objects.get().used_by_id == opened[0][0].pk


def test_two_privacy_officers_deciding_at_once_decide_once(world, case):
    case = assigned_to(case, world.people["sid"])
    grant = reidentification.reidentification_request(
        actor=world.people["sid"], case=case, purpose="safety_emergency", reason=REASON
    )

    def decide(who: str, approve: bool) -> Callable[[], Any]:
        return lambda: reidentification.reidentification_decide(
            actor=world.people[who],
            grant=grant,
            approve=approve,
            request=_fresh_request(world, who),
        )

    decided, errors = at_once([decide("priya", True), decide("petra", False)] * 3)
    assert len(decided) == 1
    assert all("decided already" in str(e) for e in errors), errors
    grant.refresh_from_db()
    assert grant.status in (GrantStatus.APPROVED, GrantStatus.REFUSED)
    assert grant.decided_by_id in (world.people["priya"].pk, world.people["petra"].pk)


def test_an_approval_racing_the_case_closing_never_outlives_the_case(world, case):
    case = assigned_to(case, world.people["sam"])
    grant = reidentification.reidentification_request(
        actor=world.people["sam"], case=case, purpose="safety_emergency", reason=REASON
    )
    _, errors = at_once(
        [
            lambda: reidentification.reidentification_decide(
                actor=world.people["priya"],
                grant=grant,
                approve=True,
                request=_fresh_request(world, "priya"),
            ),
            lambda: services.case_close(actor=world.people["sam"], case=case, reason="resolved"),
        ]
    )
    # The approval may lose the race (refused: the case is closed) or win it
    # (then the closing ends the grant): either way no name is readable.
    assert all("cannot be approved" in str(e) for e in errors), errors
    pia = world.participants["pia"]
    assert not can(
        world.people["sam"], Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY
    )
