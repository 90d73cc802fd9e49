"""One migrated test database per test run, copied for each pytest-xdist worker.

Migrating the test database takes each worker 12 s (SQLite) to 25 s
(PostgreSQL) of CPU, and CI starts four workers at once on two cores. Under
xdist, the first worker to get the lock migrates a template database; every
worker then takes a copy of it (a file copy on SQLite, ``CREATE DATABASE
... TEMPLATE`` on PostgreSQL, Django's own ``clone_test_db``), and the
controller drops the template when every worker has stopped. Without xdist the database is created
as pytest-django creates it.

The template is the same migrations on the same engine, so each worker's
database is what its own ``migrate`` would have made: the audit tables'
triggers, the event catalogue and the roles' grants come with the copy.

A later run may take the same template: with ``WELLKEPT_TEST_TEMPLATE`` set
to a name (letters, digits, ``_``), the template is the run's by that name,
kept when the run ends, and a run without xdist copies it too. The last
run to use it (``WELLKEPT_TEST_TEMPLATE_LAST=1``) drops it. `.ci/run` does
this for its timing step, which would otherwise migrate both engines again,
one after the other, with nothing else to do meanwhile.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

KEEP = "WELLKEPT_TEST_TEMPLATE"
LAST = "WELLKEPT_TEST_TEMPLATE_LAST"


def kept_name() -> str | None:
    """The name a caller gave the template to keep it for a later run, or None."""
    name = os.environ.get(KEEP, "")
    if not name:
        return None
    if not re.fullmatch(r"[A-Za-z0-9_]{1,16}", name):
        raise ValueError(f"{KEEP} must be 1 to 16 letters, digits or _, not {name!r}")
    return name


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if missing) between processes."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def template_name(vendor: str, test_name: str, run: str) -> str:
    """The template's name: beside the workers' SQLite files, or a database of its own."""
    if vendor == "sqlite":
        return str(Path(test_name).with_name(f"test-wellkept-template-{run[:16]}.sqlite3"))
    return f"test_wellkept_template_{run[:16]}"


def shared_folder(run: str) -> Path:
    """Where the workers of one run find the template's name and the lock."""
    return Path(tempfile.gettempdir()) / f"wellkept-test-databases-{run[:16]}"


def _checkpointed_close(connection: Any) -> None:
    if connection.vendor == "sqlite" and connection.connection is not None:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def _create_template(connection: Any, name: str) -> None:
    test = connection.settings_dict["TEST"]
    saved = test.get("NAME")
    test["NAME"] = name
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    finally:
        test["NAME"] = saved
    _checkpointed_close(connection)


def _drop(connection: Any, name: str) -> None:
    if connection.vendor == "sqlite":
        for path in (Path(name), Path(f"{name}-wal"), Path(f"{name}-shm")):
            path.unlink(missing_ok=True)
        return
    connection.close()
    with connection.creation._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)}")


def setup_for_worker(workerinput: dict[str, Any], verbosity: int) -> Callable[[], None]:
    """Give this worker a copy of the run's template database; return its teardown."""
    from django.conf import settings
    from django.db import connection

    run, worker = kept_name() or workerinput["testrunuid"], workerinput["workerid"]
    shared = shared_folder(run)
    shared.mkdir(exist_ok=True)
    lock = shared / "lock"
    old_name = connection.settings_dict["NAME"]
    template = template_name(connection.vendor, connection.creation._get_test_db_name(), run)
    with locked(lock):
        if not (shared / "template").exists():
            _create_template(connection, template)
            (shared / "template").write_text(template)
        connection.settings_dict["NAME"] = template
        connection.creation.clone_test_db(suffix=worker, verbosity=verbosity, keepdb=False)
        clone = connection.creation.get_test_db_clone_settings(worker)["NAME"]
    connection.settings_dict["NAME"] = clone
    settings.DATABASES[connection.alias]["NAME"] = clone
    connection.close()

    def teardown() -> None:
        connection.creation.destroy_test_db(old_name, verbosity=verbosity, keepdb=False)
        if worker == SOLO and os.environ.get(LAST) == "1":
            _drop(connection, template)
            shutil.rmtree(shared, ignore_errors=True)

    return teardown


# The "worker" name of a run without xdist that copies a kept template.
SOLO = "solo"


def drop_template(config: pytest.Config) -> None:
    """In the xdist controller, once every worker has stopped: drop the run's template."""
    from django.db import connection

    from wellkept.audit import dbroles

    dsession = config.pluginmanager.getplugin("dsession")
    run = getattr(getattr(dsession, "nodemanager", None), "testrunuid", None)
    if not run or kept_name() is not None:
        # A kept template outlives the run: a later one uses it, and drops it.
        return
    shared = shared_folder(run)
    marker = shared / "template"
    if marker.exists():
        from pytest_django.plugin import blocking_manager_key

        with config.stash[blocking_manager_key].unblock():
            saved = dbroles.become_owner()
            try:
                _drop(connection, marker.read_text())
            finally:
                dbroles.become_application(saved)
    shutil.rmtree(shared, ignore_errors=True)


def setup(request: pytest.FixtureRequest) -> Callable[[], None]:
    """Create the test database (a copy of the run's template under xdist); return its teardown."""
    from django.test.utils import setup_databases, teardown_databases
    from pytest_django.fixtures import _get_databases_for_setup

    verbosity = request.config.option.verbose
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    if not aliases:
        return lambda: None
    workerinput = getattr(request.config, "workerinput", None)
    if workerinput is not None and aliases == {"default"} and not serialized_aliases:
        return setup_for_worker(workerinput, verbosity)
    kept = kept_name()
    if kept is not None and aliases == {"default"} and not serialized_aliases:
        return setup_for_worker({"testrunuid": kept, "workerid": SOLO}, verbosity)
    created = setup_databases(
        verbosity=verbosity,
        interactive=False,
        aliases=aliases,
        serialized_aliases=serialized_aliases,
    )
    return lambda: teardown_databases(created, verbosity=verbosity)
