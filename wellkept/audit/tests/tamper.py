"""Tampering the way someone with the database owner's rights would: triggers off, raw SQL.

On SQLite there are no roles: the test's own connection tampers. On
PostgreSQL run as the application role (WELLKEPT_DATABASE_OWNER_URL set, as
in `.ci/run`), that role may not drop triggers, so tampering opens a
connection of its own as the owner; the tests that use it are transactional,
so what they wrote is committed and visible to that connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection

from wellkept.audit import triggers

# For transactional tamper tests: only the audit tables are emptied after
# each test, not every table (a flush of everything takes seconds on
# PostgreSQL, and these tests write nothing else).
AUDIT_ONLY = ["wellkept.audit"]


def runs_as_application_role() -> bool:
    """True on PostgreSQL when the tests connect as the least-privileged role."""
    return connection.vendor == "postgresql" and bool(settings.WELLKEPT_DATABASE_OWNER)


def _owner_connection() -> Any:
    import psycopg

    owner = settings.WELLKEPT_DATABASE_OWNER or {}
    return psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        user=owner.get("USER") or None,
        password=owner.get("PASSWORD") or None,
        host=owner.get("HOST") or None,
        port=owner.get("PORT") or None,
        autocommit=True,
    )


@contextmanager
def owner_cursor() -> Iterator[Any]:
    """A cursor with the owner's rights and the append-only triggers lifted."""
    if not runs_as_application_role():
        triggers.drop(connection)
        try:
            with connection.cursor() as cursor:
                yield cursor
        finally:
            triggers.create(connection)
        return
    conn = _owner_connection()
    try:
        with conn.cursor() as cursor:
            for statement in triggers.drop_sql("postgresql"):
                cursor.execute(statement)
            try:
                yield cursor
            finally:
                for statement in triggers.create_sql("postgresql"):
                    cursor.execute(statement)
    finally:
        conn.close()


# The name the older tests use.
triggers_dropped = owner_cursor


def wipe_trail() -> None:
    """Empty both chains (between hypothesis examples, which share one test's database)."""
    with owner_cursor() as cursor:
        for table in (*triggers.TABLES, "audit_pseudonymoushead"):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names


def ids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM audit_auditentry ORDER BY id")
        return [row[0] for row in cursor.fetchall()]
