"""Project-wide test fixtures.

Every test gets its own key file (and tombstone journal, backup key,
scheduler state and audit checkpoint sinks) in a temporary folder, so tests
never read or write the developer's demo keys or var/ files, and the
in-process key cache is emptied.

Passwords are hashed with Argon2id at its lowest cost
(wellkept.accounts.tests.hashers): the same code and format as production at
a thousandth of the price. Tests about hashing, its cost or its timing carry
the ``argon2`` marker and get the production hasher.

On PostgreSQL with WELLKEPT_DATABASE_OWNER_URL (as `.ci/run` runs it), the
test database is created, migrated and flushed as the owner, and every test
runs as the application role, which may only append to the audit trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache

from tests import databases, once, selection
from wellkept import settings as wellkept_settings
from wellkept.audit import dbroles
from wellkept.audit.checkpointer import checkpointer
from wellkept.audit.sinks import reset_sinks
from wellkept.vault.keyring import LocalFileKeyring, reset_keyring
from wellkept.vault.services import dek_cache

# The longest tests, started first and longest first: with the suite spread
# over workers, a two-minute test that is picked up last makes every other
# worker wait for it at the end. (pytest-django has grouped the tests by
# database use before this runs; xdist's work stealing mixes those groups
# anyway.) In the order of their durations in CI's `--durations` list.
SLOW_FIRST = (
    # Not long, but first: they scan the whole SQLite file, which the
    # committing tests below leave grown with free pages (one scan took
    # 13.4 s after them, 0.5 s on a fresh file).
    "tests/test_canary",
    "tests/crash/",
    "tests/browser/test_every_page.py",
    "tests/browser/test_insights.py",
    "tests/browser/",
    "wellkept/demo/tests/test_seed_demo.py",
    "tests/test_bench_runner.py",
    "wellkept/access/tests/test_matrix.py",
    "wellkept/lifecycle/tests/test_backup",
    "wellkept/demo/tests/test_seeding.py",
)


def slow_rank(nodeid: str) -> int:
    """Where a test starts: the longest first, then everything else in collection order."""
    return next(
        (i for i, prefix in enumerate(SLOW_FIRST) if nodeid.startswith(prefix)), len(SLOW_FIRST)
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    kept, left_out = selection.split(items)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept
    items.sort(key=lambda item: slow_rank(item.nodeid))


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Live-server threads would otherwise keep persistent PostgreSQL
    # connections open after the test, and dropping the test database fails.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    # PostgreSQL's tests commit without waiting for the disk: no test there
    # is about durability (the crash test runs SQLite, with the production
    # settings), and visibility to other sessions is the same.
    if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        options = settings.DATABASES["default"].setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c synchronous_commit=off").strip()
    settings.PASSWORD_HASHERS = [CHEAP_HASHER]
    _allow_flushing_the_audit_table()


CHEAP_HASHER = "wellkept.accounts.tests.hashers.CheapArgon2PasswordHasher"


@pytest.fixture(autouse=True)
def _password_hasher(request: pytest.FixtureRequest, settings) -> None:  # type: ignore[no-untyped-def]
    """Give tests marked ``argon2`` the production hashers, set before any fixture hashes."""
    if request.node.get_closest_marker("argon2"):
        settings.PASSWORD_HASHERS = list(wellkept_settings.PASSWORD_HASHERS)


def _allow_flushing_the_audit_table() -> None:
    """Let transactional tests empty the append-only audit tables between tests.

    Django's flush (TRUNCATE on PostgreSQL, DELETE on SQLite) would hit the
    triggers; the test run lifts them around the flush and puts them back.
    On PostgreSQL the application role may do neither, so the flush runs as
    the owner.
    """
    from django.core.management.commands import flush

    from wellkept.audit import triggers

    original = flush.sql_flush

    def sql_flush(style, connection, *args, **kwargs):  # type: ignore[no-untyped-def]
        statements = original(style, connection, *args, **kwargs)
        if not any(triggers.TABLE in statement for statement in statements):
            return statements
        vendor = connection.vendor
        return [*triggers.drop_sql(vendor), *statements, *triggers.create_sql(vendor)]

    flush.sql_flush = sql_flush
    handle = flush.Command.handle

    def handle_as_owner(self, *args, **options):  # type: ignore[no-untyped-def]
        with dbroles.as_owner(options.get("database", "default")):
            return handle(self, *args, **options)

    flush.Command.handle = handle_as_owner


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Create and migrate the test database as the owner (PostgreSQL with an owner URL)."""
    saved = dbroles.become_owner()
    pytest.wellkept_application_credentials = saved  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def django_db_setup(  # type: ignore[no-untyped-def]
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker,
    django_db_modify_db_settings: None,
) -> Iterator[None]:
    """Create the test database (tests/databases.py), then run every test as the application role.

    Drop it as the owner at the end.
    """
    saved = getattr(pytest, "wellkept_application_credentials", None)
    with django_db_blocker.unblock():
        teardown = databases.setup(request)
        dbroles.become_application(saved)
    yield
    with django_db_blocker.unblock():
        dbroles.become_owner()
        teardown()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if session.config.pluginmanager.hasplugin("dsession"):
        databases.drop_template(session.config)


@pytest.fixture(scope="session")
def _template_keyring(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """One key file's bytes for the session, copied into every test's own folder.

    Every test starts with a key file, as every installation with data does:
    the process keyring creates one only while the database holds no data
    keys, and asking that needs the database, which most tests do not use.
    """
    template = tmp_path_factory.mktemp("keyring-template") / "keyring.json"
    LocalFileKeyring(template, create=True).current_kek_id()
    return template.read_bytes()


@pytest.fixture(autouse=True)
def _isolated_keyring(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    settings,
    _template_keyring: bytes,
) -> Iterator[Path]:
    once.refuse_committing_inside_a_world(request)
    path = once.write_key_file(tmp_path_factory.mktemp("keys"), _template_keyring)
    for name, value in once.isolated_settings(path.parent).items():
        setattr(settings, name, value)
    reset_keyring()
    dek_cache.clear()
    cache.clear()
    yield path
    checkpointer.stop(flush=False)
    reset_sinks()
    reset_keyring()
    dek_cache.clear()
