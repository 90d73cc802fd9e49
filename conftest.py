"""Project-wide test fixtures.

Every test gets its own key file (and tombstone journal, backup key and
scheduler state) in a temporary folder, so tests never read or write the
developer's demo keys or var/ files, and the in-process key cache is emptied.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import cache

from wellkept.vault.keyring import reset_keyring
from wellkept.vault.services import dek_cache


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Live-server threads would otherwise keep persistent PostgreSQL
    # connections open after the test, and dropping the test database fails.
    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
    _allow_flushing_the_audit_table()


def _allow_flushing_the_audit_table() -> None:
    """Let transactional tests empty the append-only audit table between tests.

    Django's flush (TRUNCATE on PostgreSQL, DELETE on SQLite) would hit the
    triggers; the test run lifts them around the flush and puts them back.
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


@pytest.fixture(autouse=True)
def _isolated_keyring(tmp_path_factory: pytest.TempPathFactory, settings) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("keys") / "keyring.json"
    settings.WELLKEPT_KEYRING_FILE = path
    settings.WELLKEPT_KEYRING_CREATE = True
    settings.WELLKEPT_AUDIT_CHECKPOINT_FILE = path.parent / "checkpoints.jsonl"
    # Files outside the database that erasure, backups and the scheduler
    # write: per test too, never the developer's var/ folder.
    settings.WELLKEPT_TOMBSTONE_FILE = path.parent / "tombstones.jsonl"
    settings.WELLKEPT_SCHEDULER_STATE_FILE = path.parent / "scheduler.json"
    settings.WELLKEPT_BACKUP_KEY_FILE = path.parent / "backup.key"
    settings.WELLKEPT_BACKUP_DIR = path.parent / "backups"
    reset_keyring()
    dek_cache.clear()
    cache.clear()
    yield path
    reset_keyring()
    dek_cache.clear()
