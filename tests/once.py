"""Expensive test data built once per module, as Django's ``setUpTestData`` does for a class.

A fixture that builds a world of organisations, people and records costs
more than most tests that use it (a practice with nine staff and four
clients takes a tenth of a second, a hospital with a week of check-ins a
second). Built once per test module inside a transaction, every test of
the module runs in a savepoint within it (pytest-django's ``db``), so what
one test writes is rolled back before the next, and the whole world is
rolled back when the module ends. Each test gets its own deep copy of the
Python objects, so one test changing an attribute cannot leak into the next.

The world is built as every test runs: with its own copy of the session's
key file, checkpoint sinks, tombstone journal and backup folder (the same
settings ``conftest._isolated_keyring`` gives each test) and empty key
caches, so its data keys unwrap in every test of the module.

Only for tests in a transaction that is rolled back (the default): a test
marked ``django_db(transaction=True)`` or using ``live_server`` commits and
flushes the database, which would take the world with it; such a test
asking for a shared world is an error.
"""

from __future__ import annotations

import contextlib
import copy
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.db import transaction

T = TypeVar("T")

# Worlds whose transaction is open now, in this process: a committing test
# run while one is open would commit nothing and flush inside it.
_open: list[str] = []


def isolated_settings(folder: Path) -> dict[str, Any]:
    """The per-test files outside the database, all in ``folder``."""
    return {
        "WELLKEPT_KEYRING_FILE": folder / "keyring.json",
        "WELLKEPT_KEYRING_CREATE": True,
        "WELLKEPT_AUDIT_CHECKPOINT_FILE": folder / "checkpoints.jsonl",
        "WELLKEPT_AUDIT_ANCHOR_FILE": folder / "anchor.sqlite3",
        "WELLKEPT_AUDIT_CHECKPOINT_SINKS": [],
        # Tests write checkpoints explicitly; the ones about the writer turn it on.
        "WELLKEPT_AUDIT_CHECKPOINT_SECONDS": 0,
        # After-response work (reset mails) in the test's own thread and
        # transaction; the timing test switches the real worker back on.
        "WELLKEPT_DEFERRED_INLINE": True,
        # Files outside the database that erasure, backups and the scheduler
        # write: per test too, never the developer's var/ folder.
        "WELLKEPT_TOMBSTONE_FILE": folder / "tombstones.jsonl",
        "WELLKEPT_SCHEDULER_STATE_FILE": folder / "scheduler.json",
        "WELLKEPT_BACKUP_KEY_FILE": folder / "backup.key",
        "WELLKEPT_BACKUP_DIR": folder / "backups",
    }


def write_key_file(folder: Path, key_file: bytes) -> Path:
    """Write the session's key file into ``folder``, readable by this user only."""
    path = folder / "keyring.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key_file)
    return path


def empty_caches() -> None:
    from django.core.cache import cache

    from wellkept.vault.keyring import reset_keyring
    from wellkept.vault.services import dek_cache

    reset_keyring()
    dek_cache.clear()
    cache.clear()


@contextlib.contextmanager
def built_once(
    request: pytest.FixtureRequest, build: Callable[[pytest.MonkeyPatch], T]
) -> Iterator[T]:
    """Build a world in a transaction that stays open, and roll it back at the end.

    For a module-scoped fixture: ``build`` gets a MonkeyPatch that is undone
    once the world is built (for the clock the builders move).
    """
    from django.test import override_settings

    blocker = request.getfixturevalue("django_db_blocker")
    request.getfixturevalue("django_db_setup")
    key_file: bytes = request.getfixturevalue("_template_keyring")
    folder = request.getfixturevalue("tmp_path_factory").mktemp("world")
    write_key_file(folder, key_file)
    atomic = transaction.atomic()
    with blocker.unblock(), override_settings(**isolated_settings(folder)):
        if transaction.get_connection().in_atomic_block:
            # Built inside a test's transaction, the world would be rolled
            # back with that test, and every later test would miss it.
            raise pytest.UsageError(
                f"the world for {request.node.nodeid} is being built inside a test's transaction: "
                "the module fixture must be an argument of the per-test fixture, set up before "
                "db, not looked up with request.getfixturevalue."
            )
        empty_caches()
        atomic.__enter__()
        try:
            with pytest.MonkeyPatch.context() as monkeypatch:
                world = build(monkeypatch)
        except BaseException:
            transaction.set_rollback(True)
            atomic.__exit__(*sys.exc_info())
            raise
        finally:
            empty_caches()
    _open.append(request.node.nodeid)
    try:
        yield world
    finally:
        _open.remove(request.node.nodeid)
        with blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def commits(item: pytest.Item) -> bool:
    """True for a test that commits: transaction=True, ``transactional_db`` or a live server."""
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    return (
        "live_server" in names
        or "transactional_db" in names
        or (marker is not None and bool(marker.kwargs.get("transaction")))
    )


def committing(request: pytest.FixtureRequest) -> bool:
    """True when the requesting test commits."""
    return commits(request.node)  # type: ignore[arg-type]


def refuse_committing_inside_a_world(request: pytest.FixtureRequest) -> None:
    """Fail a committing test run while a shared world's transaction is open."""
    if _open and committing(request):
        raise pytest.UsageError(
            f"{request.node.nodeid} commits, but the world built once for {_open[-1]} is still "
            "open (its transaction lasts to the end of its module): move the test to a module "
            "of its own, or build that world per test there."
        )


def fresh(request: pytest.FixtureRequest, world: T) -> T:
    """A test's own copy of a shared world, in the test's savepoint.

    The fixture that calls it must ask for ``db`` by name: pytest-django sets
    up the test database, and the PostgreSQL suite selects the test
    (tests/selection.py), only for tests whose fixtures name it.
    """
    if committing(request):
        raise pytest.UsageError(
            f"{request.node.nodeid} commits (transaction=True or a live server) and so cannot "
            "use a world built once per module: build it in the test instead."
        )
    if "db" not in request.fixturenames:
        raise pytest.UsageError(
            f"the fixture giving {request.node.nodeid} a shared world must ask for db by name"
        )
    return copy.deepcopy(world)
