"""The messaging tests' world: Harbour practice (see practice's conftest), Ada in her portal.

Built once per module: Ada (Tess's client, supervised by Sue) has a portal
login and four threads: a care thread Tess started, a scheduling thread
Fran started, a billing thread Bill started and a consultation Tess
started about her.
Ben (Theo's client) has one care thread Ada must never reach.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests import once
from wellkept.accounts.models import User
from wellkept.messaging import services
from wellkept.messaging.models import Thread, ThreadKind
from wellkept.portal.tests.conftest import portal_user
from wellkept.practice.tests.conftest import (  # noqa: F401 (fixtures)
    SETUP,
    Practice,
    build_practice,
    signed_in,
)

# A Wednesday at 11:00 and at 23:00 UTC: inside and outside "Mon-Fri 09:00-17:00".
OPEN = dt.datetime(2026, 12, 2, 11, 0, tzinfo=dt.UTC)
CLOSED = dt.datetime(2026, 12, 2, 23, 0, tzinfo=dt.UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
PDF = b"%PDF-1.4\n%canary pdf\n"


@dataclass
class World:
    practice: Practice
    ada_login: User
    care: Thread
    scheduling: Thread
    consultation: Thread
    billing: Thread
    ben_care: Thread

    def person(self, name: str) -> User:
        return self.ada_login if name == "ada" else self.practice.people[name]


def build_world() -> World:
    p = build_practice()
    ada, ben = p.clients["ada"], p.clients["ben"]
    ada_login = portal_user(ada)
    tess, fran, theo = p.people["tess"], p.people["fran"], p.people["theo"]
    care = services.thread_start(
        actor=tess, client=ada, kind=ThreadKind.CARE, subject="Between sessions", body="Hello Ada."
    )
    scheduling = services.thread_start(
        actor=fran, client=ada, kind=ThreadKind.SCHEDULING, subject="Your time", body="Tuesday?"
    )
    consultation = services.thread_start(
        actor=tess,
        client=ada,
        kind=ThreadKind.CONSULTATION,
        subject="Consultation subject",
        body="Staff only thoughts.",
    )
    billing = services.thread_start(
        actor=p.people["bill"], client=ada, kind=ThreadKind.BILLING, subject="Invoice", body="Paid?"
    )
    ben_care = services.thread_start(
        actor=theo, client=ben, kind=ThreadKind.CARE, subject="Ben's thread", body="Hello Ben."
    )
    return World(p, ada_login, care, scheduling, consultation, billing, ben_care)


@pytest.fixture(scope="module")
def _world_once(request: pytest.FixtureRequest) -> Iterator[World]:
    with once.built_once(request, lambda _: build_world()) as world:
        yield world


@pytest.fixture
def world(request: pytest.FixtureRequest, _world_once: World, db: None) -> World:
    """The messaging world, built once per module; each test gets its own copy."""
    return once.fresh(request, _world_once)


@pytest.fixture
def at(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Move the clock seam to a given moment."""

    def move(moment: dt.datetime) -> None:
        monkeypatch.setattr("wellkept.clock.now", lambda: moment)

    return move
