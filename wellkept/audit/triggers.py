"""Database triggers that make the audit tables append-only.

The SQL here is what migrations 0002 (the identified chain) and 0007 (the
pseudonymous chain) install; never change a statement in place (a new
migration must replace it). Tests use ``drop`` and ``create`` to tamper the
way an attacker with the owner's rights would.

SQLite runs with ``PRAGMA recursive_triggers=ON`` (settings), so the
``REPLACE`` conflict resolution, which deletes the old row before inserting
the new one, fires the delete guard too. On PostgreSQL the application role
also lacks the privileges (docs/admin-guide.md, "Database roles"); the
triggers stop the owner's mistakes and make tampering deliberate.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditentry"
PSEUDONYMOUS_TABLE = "audit_pseudonymousentry"
# Every append-only table, in the order their triggers were installed.
TABLES = (TABLE, PSEUDONYMOUS_TABLE)
MESSAGE = "the audit trail is append-only"

# SQLite trigger names are global to the database, so each table has its own.
_SQLITE_NAMES = {TABLE: "audit", PSEUDONYMOUS_TABLE: "audit_pseudonymous"}


def _sqlite_create(table: str) -> list[str]:
    name = _SQLITE_NAMES[table]
    return [
        f"CREATE TRIGGER {name}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
        f"CREATE TRIGGER {name}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    ]


def _sqlite_drop(table: str) -> list[str]:
    name = _SQLITE_NAMES[table]
    return [
        f"DROP TRIGGER IF EXISTS {name}_no_update;",
        f"DROP TRIGGER IF EXISTS {name}_no_delete;",
    ]


_POSTGRES_FUNCTION = (
    "CREATE OR REPLACE FUNCTION wellkept_audit_refuse() RETURNS trigger "
    "LANGUAGE plpgsql AS $$ BEGIN "
    f"RAISE EXCEPTION '{MESSAGE} (% refused)', TG_OP; "
    "END; $$;"
)


def _postgres_create(table: str) -> list[str]:
    return [
        _POSTGRES_FUNCTION,
        f"CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION wellkept_audit_refuse();",
        f"CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION wellkept_audit_refuse();",
    ]


def _postgres_drop(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS audit_no_change ON {table};",
        f"DROP TRIGGER IF EXISTS audit_no_truncate ON {table};",
    ]


def create_sql_for(vendor: str, table: str) -> list[str]:
    """The statements that protect one table (what its migration installs)."""
    if vendor == "sqlite":
        return _sqlite_create(table)
    if vendor == "postgresql":
        return _postgres_create(table)
    return []


def drop_sql_for(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return _sqlite_drop(table)
    if vendor == "postgresql":
        drop = _postgres_drop(table)
        # The shared function goes with the first table's triggers, which
        # migration 0002 installed with it.
        return (
            [*drop, "DROP FUNCTION IF EXISTS wellkept_audit_refuse();"] if table == TABLE else drop
        )
    return []


def create_sql(vendor: str) -> list[str]:
    """Statements that protect every append-only table."""
    return [statement for table in TABLES for statement in create_sql_for(vendor, table)]


def drop_sql(vendor: str) -> list[str]:
    """Statements that lift every guard (tests and tampering only)."""
    return [statement for table in reversed(TABLES) for statement in drop_sql_for(vendor, table)]


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def create(connection: Any) -> None:
    _run(connection, create_sql(connection.vendor))


def drop(connection: Any) -> None:
    _run(connection, drop_sql(connection.vendor))
