"""Fixtures for the insights tests: St Anne's and its layers, built once per module.

The layers (``staffed_hospital``: every staff role; ``ward_world``: twenty
people enrolled across four groups, each with a week's pulse;
``insights_hospital``: last week's answers on Ward 7 and in Intensive care)
cost more than most tests that use them. Each module builds St Anne's once
with the layers that every one of its hospital tests uses, in a transaction
rolled back at the end of the module (tests/once.py); each test gets its own
copy and adds, on top of it, the layers only it uses. A test therefore sees
exactly what it would have seen with everything built for it alone.

A module with a committing test builds everything per test, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests import once
from wellkept.assessments.tests.fixtures import Hospital, build_hospital, hospital_per_test
from wellkept.insights.tests.builders import WardWorld, build_ward_world
from wellkept.insights.tests.fixtures import build_answered, build_staffed

__all__ = [
    "_insights_copy",
    "_insights_once",
    "hospital",
    "hospital_per_test",
    "insights_hospital",
    "staffed_hospital",
    "ward_world",
]

# Each layer's builder, in the order a module applies the ones all its tests share.
LAYERS: dict[str, Callable[[Hospital, pytest.MonkeyPatch], Any]] = {
    "staffed_hospital": build_staffed,
    "ward_world": build_ward_world,
    "insights_hospital": build_answered,
}


@dataclass
class Built:
    hospital: Hospital
    layers: dict[str, Any] = field(default_factory=dict)


def shared_layers(request: pytest.FixtureRequest) -> list[str] | None:
    """The layers every hospital test of the module uses, or None to build per test.

    None when a test of the module commits: a shared world's transaction
    would be open around it.
    """
    common: set[str] | None = None
    items = [
        item for item in request.session.items if getattr(item, "module", None) is request.module
    ]
    if any(once.commits(item) for item in items):
        return None
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if "hospital" not in names:
            continue
        used = names & LAYERS.keys()
        common = used if common is None else common & used
    return [name for name in LAYERS if name in (common or set())]


@pytest.fixture(scope="module")
def _insights_once(request: pytest.FixtureRequest) -> Iterator[Built | None]:
    layers = shared_layers(request)
    if layers is None:
        yield None
        return

    def build(monkeypatch: pytest.MonkeyPatch) -> Built:
        built = Built(build_hospital(monkeypatch))
        for name in layers:
            built.layers[name] = LAYERS[name](built.hospital, monkeypatch)
        return built

    with once.built_once(request, build) as world:
        yield world


@pytest.fixture
def _insights_copy(request: pytest.FixtureRequest, _insights_once: Built | None, db: None) -> Built:
    """This test's own copy of the module's St Anne's, or one built for it alone."""
    if _insights_once is None:
        return Built(build_hospital(request.getfixturevalue("monkeypatch")))
    return once.fresh(request, _insights_once)


def _layer(request: pytest.FixtureRequest, built: Built, name: str) -> Any:
    if name not in built.layers:
        built.layers[name] = LAYERS[name](built.hospital, request.getfixturevalue("monkeypatch"))
    return built.layers[name]


@pytest.fixture
def hospital(_insights_copy: Built) -> Hospital:
    return _insights_copy.hospital


@pytest.fixture
def staffed_hospital(request: pytest.FixtureRequest, _insights_copy: Built) -> Hospital:
    """St Anne's with every staff role (MFA on) and no answers yet."""
    return _layer(request, _insights_copy, "staffed_hospital")


@pytest.fixture
def ward_world(request: pytest.FixtureRequest, _insights_copy: Built) -> WardWorld:
    return _layer(request, _insights_copy, "ward_world")


@pytest.fixture
def insights_hospital(request: pytest.FixtureRequest, _insights_copy: Built) -> Hospital:
    """St Anne's with last week's answers on Ward 7 and in Intensive care, and every staff role."""
    return _layer(request, _insights_copy, "insights_hospital")
