"""A world built once per module: shared by the module's tests, never changed by one of them.

The tests run in file order, so the later ones see what the earlier ones
left: nothing in the database, nothing in their copy of the Python objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest

from tests import once
from wellkept.actors import SystemActor
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Organisation
from wellkept.vault.services import Binding, decrypt_text, dek_cache, encrypt_text

SETUP = SystemActor("test setup")
BUILDS: list[int] = []


BINDING = Binding(label="tests.once", row="1", field="secret", subject="once-subject")


@dataclass
class World:
    organisation: Organisation
    sealed: str
    notes: list[str] = field(default_factory=list)


def build(_: pytest.MonkeyPatch) -> World:
    BUILDS.append(1)
    organisation = orgs.organisation_create(actor=SETUP, name="Once Hospital", slug="once")
    return World(organisation, encrypt_text("sealed once", binding=BINDING))


@pytest.fixture(scope="module")
def _world_once(request: pytest.FixtureRequest) -> Iterator[World]:
    with once.built_once(request, build) as world:
        yield world


@pytest.fixture
def world(request: pytest.FixtureRequest, _world_once: World, db: None) -> World:
    return once.fresh(request, _world_once)


def test_a_test_changes_the_world_in_the_database_and_in_its_copy(world: World) -> None:
    world.organisation.name = "Renamed"
    world.organisation.save(update_fields=["name"])
    world.notes.append("written by the first test")
    orgs.organisation_create(actor=SETUP, name="Extra", slug="extra")
    assert Organisation.objects.count() == 2


def test_the_next_test_sees_the_world_as_it_was_built(world: World) -> None:
    assert BUILDS == [1], "built once for the module"
    assert world.notes == []
    assert world.organisation.name == "Once Hospital"
    assert Organisation.objects.get().name == "Once Hospital"


def test_its_data_keys_unwrap_with_the_test_s_own_key_file(world: World, settings) -> None:  # type: ignore[no-untyped-def]
    # Built under a copy of the session's key file in a folder of its own,
    # the world's data key unwraps under the test's copy.
    assert "world" not in str(settings.WELLKEPT_KEYRING_FILE)
    dek_cache.clear()
    assert decrypt_text(world.sealed, binding=BINDING) == "sealed once"


def _request(marker_kwargs: dict | None, fixtures: tuple[str, ...]) -> pytest.FixtureRequest:
    marker = None if marker_kwargs is None else SimpleNamespace(kwargs=marker_kwargs)
    node = SimpleNamespace(
        nodeid="t::x", get_closest_marker=lambda _name: marker, fixturenames=fixtures
    )
    return SimpleNamespace(node=node, fixturenames=fixtures)  # type: ignore[return-value]


@pytest.mark.parametrize(
    ("marker", "fixtures", "expected"),
    [
        (None, ("db",), False),
        ({}, (), False),
        ({"transaction": True}, (), True),
        (None, ("transactional_db",), True),
        (None, ("live_server",), True),
    ],
)
def test_it_knows_a_committing_test(marker, fixtures, expected) -> None:  # type: ignore[no-untyped-def]
    assert once.committing(_request(marker, fixtures)) is expected


def test_a_committing_test_inside_an_open_world_is_refused(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(once, "_open", ["tests/test_a.py::test_world"])
    with pytest.raises(pytest.UsageError, match="still open"):
        once.refuse_committing_inside_a_world(_request({"transaction": True}, ()))
    once.refuse_committing_inside_a_world(_request(None, ("db",)))
    monkeypatch.setattr(once, "_open", [])
    once.refuse_committing_inside_a_world(_request({"transaction": True}, ()))


def test_fresh_refuses_a_committing_test() -> None:
    with pytest.raises(pytest.UsageError, match="cannot use a world built once"):
        once.fresh(_request(None, ("live_server", "db")), object())


def test_fresh_needs_db_named_so_the_database_and_the_postgresql_suite_know() -> None:
    with pytest.raises(pytest.UsageError, match="must ask for db by name"):
        once.fresh(_request(None, ("practice",)), object())
    assert once.fresh(_request(None, ("db",)), [1]) == [1]


def test_a_world_built_inside_a_test_s_transaction_is_refused(
    request: pytest.FixtureRequest, db: None
) -> None:
    # As when the per-test fixture looks the module fixture up after db.
    builds = len(BUILDS)
    with (
        pytest.raises(pytest.UsageError, match="inside a test's transaction"),
        once.built_once(request, build),
    ):
        pass
    assert len(BUILDS) == builds, "refused before building"
