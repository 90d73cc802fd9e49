"""A consistent copy of the database, and putting one back, per vendor.

SQLite: the online backup API copies every page of a consistent state while
the application keeps running (WAL readers are never blocked). PostgreSQL:
``pg_dump`` in custom format, run against a snapshot exported by our own
REPEATABLE READ transaction, so the row counts and audit head written to the
manifest describe exactly the rows the dump holds.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from django.db import connection, connections, transaction

AUDIT_TABLE = "audit_auditentry"
TOMBSTONE_HEAD_TABLE = "lifecycle_tombstonehead"


class SnapshotError(Exception):
    """A snapshot or a restore could not be made (tool missing, database refused)."""


@dataclass(frozen=True)
class SnapshotFacts:
    """What the manifest records about the copied state."""

    schema: dict[str, str]
    row_counts: dict[str, int]
    audit_head: dict[str, Any]
    # How far the tombstone journal reached by the database's own record.
    tombstone_head: dict[str, Any] = field(default_factory=dict)


def vendor() -> str:
    if connection.vendor not in ("sqlite", "postgresql"):
        raise SnapshotError(
            f"Backups support SQLite and PostgreSQL; this installation uses {connection.vendor}."
        )
    return connection.vendor


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def facts_from_cursor(cursor: Any, tables: list[str]) -> SnapshotFacts:
    """Read schema versions, row counts and the audit head through a DB-API cursor."""
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - names from the catalogue
        counts[table] = int(cursor.fetchone()[0])
    schema: dict[str, str] = {}
    if "django_migrations" in tables:
        cursor.execute("SELECT app, MAX(name) FROM django_migrations GROUP BY app")
        schema = {str(app): str(name) for app, name in cursor.fetchall()}
    head: dict[str, Any] = {"id": 0, "mac": ""}
    if AUDIT_TABLE in tables:
        cursor.execute(f"SELECT id, mac FROM {AUDIT_TABLE} ORDER BY id DESC LIMIT 1")  # noqa: S608
        row = cursor.fetchone()
        if row is not None:
            head = {"id": int(row[0]), "mac": str(row[1])}
    tombstone_head: dict[str, Any] = {"lines": 0, "mac": ""}
    if TOMBSTONE_HEAD_TABLE in tables:
        cursor.execute(f"SELECT lines, mac FROM {TOMBSTONE_HEAD_TABLE} WHERE id = 1")  # noqa: S608
        row = cursor.fetchone()
        if row is not None:
            tombstone_head = {"lines": int(row[0]), "mac": str(row[1])}
    return SnapshotFacts(schema, counts, head, tombstone_head)


# -- SQLite ------------------------------------------------------------------


def sqlite_path(alias: str = "default") -> Path:
    return Path(connections[alias].settings_dict["NAME"])


def sqlite_tables(db: sqlite3.Connection) -> list[str]:
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    ).fetchall()
    return [str(name) for (name,) in rows]


def sqlite_snapshot(
    target: Path, *, progress: Callable[[int, int], object] | None = None
) -> SnapshotFacts:
    """Copy the live database into ``target`` with the online backup API."""
    source_path = sqlite_path()
    if not source_path.exists():
        raise SnapshotError(f"The database file {source_path} does not exist; nothing to back up.")
    # Our own read-only connection: the backup never runs inside a Django
    # transaction, and cannot write to the live database by mistake.
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    copy = sqlite3.connect(target)
    try:

        def report(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)

        # A few hundred pages per step: writers get the lock between steps,
        # and a write in between restarts nothing (same-process writes are
        # copied through; others make SQLite restart the copy consistently).
        source.backup(copy, pages=1024, progress=report)
        # A rollback journal in the copy: it is a single file, never a WAL pair.
        copy.execute("PRAGMA journal_mode=DELETE")
        return facts_from_cursor(copy.cursor(), sqlite_tables(copy))
    finally:
        copy.close()
        source.close()


def sqlite_facts(path: Path) -> SnapshotFacts:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return facts_from_cursor(db.cursor(), sqlite_tables(db))
    finally:
        db.close()


def sqlite_restore(plain: Path, *, alias: str = "default") -> None:
    """Replace the database behind ``alias`` with the SQLite file ``plain``, page by page."""
    conn = connections[alias]
    conn.close()
    conn.ensure_connection()
    source = sqlite3.connect(f"file:{plain}?mode=ro", uri=True)
    try:
        # Through SQLite, not a file copy: the live file's WAL and locks stay
        # consistent, and other connections see the new state on their next
        # transaction.
        source.backup(conn.connection)
    finally:
        source.close()
        conn.close()


# -- PostgreSQL ----------------------------------------------------------------


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise SnapshotError(
            f"`{name}` was not found on PATH. Install the PostgreSQL client tools of your "
            f"server's major version (Debian: apt-get install postgresql-client) and try again."
        )
    return found


def pg_environment(alias: str = "default", *, database: str | None = None) -> dict[str, str]:
    """Connection settings for the client tools, as environment variables (never argv)."""
    settings_dict = connections[alias].settings_dict
    env = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST") or "",
        "PGPORT": str(settings_dict.get("PORT") or ""),
        "PGUSER": settings_dict.get("USER") or "",
        # In the environment, not the command line, where `ps` would show it.
        "PGPASSWORD": settings_dict.get("PASSWORD") or "",
        "PGDATABASE": database or settings_dict["NAME"],
    }
    env.update({name: value for name, value in values.items() if value})
    return env


@contextlib.contextmanager
def pg_snapshot() -> Iterator[tuple[IO[bytes], SnapshotFacts, subprocess.Popen[bytes]]]:
    """Yield pg_dump's output stream and the facts of the very snapshot it dumps."""
    pg_dump = _tool("pg_dump")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = str(cursor.fetchone()[0])
        facts = facts_from_cursor(cursor, connection.introspection.table_names(cursor))
        process = subprocess.Popen(  # noqa: S603 - fixed arguments, tool found on PATH
            [
                pg_dump,
                "--format=custom",
                "--no-owner",
                "--no-privileges",
                f"--snapshot={snapshot_id}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=pg_environment(),
        )
        if process.stdout is None:  # pragma: no cover - stdout=PIPE always gives one
            raise SnapshotError("pg_dump gave no output stream.")
        try:
            yield process.stdout, facts, process
        finally:
            process.stdout.close()
            stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
            code = process.wait()
            if process.stderr:
                process.stderr.close()
        if code != 0:
            raise SnapshotError(f"pg_dump failed (exit {code}): {stderr.strip()[:500]}")


def pg_restore(chunks: Iterator[bytes], *, database: str | None = None) -> None:
    """Feed a custom-format dump to pg_restore in one transaction."""
    tool = _tool("pg_restore")
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, tool found on PATH
        [
            tool,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--dbname",
            pg_environment(database=database)["PGDATABASE"],
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=pg_environment(database=database),
    )
    if process.stdin is None:  # pragma: no cover - stdin=PIPE always gives one
        raise SnapshotError("pg_restore gave no input stream.")
    failure: BaseException | None = None
    try:
        for chunk in chunks:
            process.stdin.write(chunk)
    except BrokenPipeError:
        pass
    except BaseException as exc:
        # The stream failed authentication half-way: kill pg_restore so its
        # single transaction rolls back and nothing of it stays.
        failure = exc
        process.kill()
    finally:
        with contextlib.suppress(BrokenPipeError):
            process.stdin.close()
    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
    code = process.wait()
    if failure is not None:
        raise failure
    if code != 0:
        raise SnapshotError(f"pg_restore failed (exit {code}): {stderr.strip()[:500]}")


def live_facts(alias: str = "default") -> SnapshotFacts:
    conn = connections[alias]
    with conn.cursor() as cursor:
        return facts_from_cursor(cursor, conn.introspection.table_names(cursor))
