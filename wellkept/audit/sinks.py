"""Where checkpoints go: append-only stores outside the audit tables.

A sink stores checkpoint lines (one JSON text per sequence number) and, when
it is readable, gives them back to `wellkept audit verify`. Sinks are named
by URL in WELLKEPT_AUDIT_CHECKPOINT_SINKS:

- ``file:///var/lib/wellkept/audit/checkpoints.jsonl``: JSON lines appended
  with one ``write()`` and an ``fsync`` each, mode 0600.
- ``sqlite:///var/lib/wellkept/audit/anchor.sqlite3`` or
  ``postgres://anchor_writer@anchor-host/wellkept_anchor``: a table in a
  separate database, ``wellkept_checkpoint(seq PRIMARY KEY, line)``, with
  triggers that refuse UPDATE and DELETE; in production the role in the URL
  holds INSERT and SELECT only, on a server the application's database
  administrators do not run (docs/admin-guide.md, "Checkpoint sinks").
- ``syslog://loghost:514`` (UDP), ``syslog+tcp://loghost:601`` or
  ``syslog:///dev/log``: a write-only witness for a log collector or SIEM;
  `verify` cannot read it back.

A sink is never created by the writer: only `wellkept audit init` creates
one, so a deleted sink stays missing (and `verify` says so) instead of being
quietly started afresh.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# A checkpoint line is about 400 bytes; this much of the tail holds the last one.
_TAIL_BYTES = 16384
TABLE = "wellkept_checkpoint"
_APPEND_ONLY = "checkpoints are append-only"


class SinkError(Exception):
    """A sink cannot be read or written; the message names it and says why."""


class SinkMissing(SinkError):
    """The sink does not exist (never initialised, or deleted)."""


class Sink(Protocol):
    """What the checkpoint writer and `verify` need from a store."""

    name: str
    readable: bool
    # True when the sink is on this host (a file, a local database or log).
    local: bool

    def create(self) -> None:
        """Make the empty store (`audit init` only); refuse if it holds anything."""
        ...

    def append(self, seq: int, line: str) -> None:
        """Store one line; raise SinkMissing if the store does not exist."""
        ...

    def lines(self, *, after: int = 0) -> list[str]:
        """Return every line with a sequence number above ``after``, in order written."""
        ...

    def last(self) -> str | None:
        """Return the newest line, or None when the store is empty."""
        ...


class FileSink:
    """JSON lines in a local file, mode 0600 in a 0700 folder."""

    readable = True
    local = True

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.name = f"file {self.path}"

    def create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            if self.path.stat().st_size:
                raise SinkError(f"{self.name} already holds checkpoints.") from None
            return
        os.close(fd)

    def append(self, seq: int, line: str) -> None:
        try:
            # No O_CREAT: a deleted file is evidence, not something to replace.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except FileNotFoundError:
            raise SinkMissing(f"{self.name} does not exist.") from None
        except OSError as exc:
            raise SinkError(f"{self.name} cannot be opened ({exc.strerror}).") from None
        try:
            # One write() per line with O_APPEND: lines from several processes
            # never interleave. fsync, because a checkpoint lost in a crash is
            # a window in which the tail could be cut unnoticed.
            os.write(fd, (line + "\n").encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def _read(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            raise SinkMissing(f"{self.name} does not exist.") from None
        except OSError as exc:
            raise SinkError(f"{self.name} cannot be read ({exc.strerror}).") from None

    def lines(self, *, after: int = 0) -> list[str]:
        raw = self._read()
        found = [line for line in raw.decode("utf-8", errors="replace").splitlines() if line]
        if not after:
            return found
        from wellkept.audit.checkpoints import seq_of

        return [line for line in found if (seq_of(line) or 0) > after]

    def last(self) -> str | None:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            raise SinkMissing(f"{self.name} does not exist.") from None
        except OSError as exc:
            raise SinkError(f"{self.name} cannot be read ({exc.strerror}).") from None
        try:
            size = os.fstat(fd).st_size
            start = max(0, size - _TAIL_BYTES)
            tail = os.pread(fd, size - start, start)
        finally:
            os.close(fd)
        lines = [line for line in tail.decode("utf-8", errors="replace").splitlines() if line]
        return lines[-1] if lines else None


class DatabaseSink:
    """A table in a separate SQLite or PostgreSQL database."""

    readable = True

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url = url
        self.vendor = "sqlite" if parts.scheme == "sqlite" else "postgresql"
        if self.vendor == "sqlite":
            self.path = Path(unquote(parts.path))
            self.name = f"database {self.path}"
            self.local = True
        else:
            host = parts.hostname or "localhost"
            self.name = f"database {host}/{parts.path.lstrip('/')}"
            self.local = host in {"localhost", "127.0.0.1", "::1"} or host.startswith("/")
        self._lock = threading.Lock()
        self._connections: dict[int, Any] = {}

    # -- connections ------------------------------------------------------

    def _connect(self) -> Any:
        if self.vendor == "sqlite":
            if not self.path.exists():
                raise SinkMissing(f"{self.name} does not exist.")
            conn = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA recursive_triggers=ON")
            return conn
        import psycopg

        try:
            return psycopg.connect(
                self.url.replace("postgres://", "postgresql://", 1),
                autocommit=True,
                connect_timeout=5,
            )
        except psycopg.OperationalError as exc:
            raise SinkError(f"{self.name} cannot be reached ({exc}).".strip()) from None

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        # One connection per thread, kept: the checkpointer writes up to
        # twice a second, and a remote connection costs a round trip or more.
        key = threading.get_ident()
        with self._lock:
            conn = self._connections.get(key)
        if conn is None:
            conn = self._connect()
            with self._lock:
                self._connections[key] = conn
        try:
            cursor = conn.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
        except SinkError:
            raise
        except Exception as exc:
            with self._lock:
                self._connections.pop(key, None)
            # Already failing; the first error is the one reported.
            with contextlib.suppress(Exception):
                conn.close()
            if _is_missing_table(exc):
                raise SinkMissing(f"{self.name} holds no checkpoint table.") from None
            raise SinkError(f"{self.name} failed ({type(exc).__name__}: {exc}).") from None

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, {}
        for conn in connections.values():
            with contextlib.suppress(Exception):
                conn.close()

    def _param(self) -> str:
        return "?" if self.vendor == "sqlite" else "%s"

    # -- the sink ---------------------------------------------------------

    def create(self) -> None:
        if self.vendor == "sqlite":
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.close(fd)
        with self._cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {TABLE} (seq BIGINT PRIMARY KEY, line TEXT NOT NULL)"
            )
            for statement in _guard_sql(self.vendor):
                cursor.execute(statement)
            cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")  # noqa: S608 - constant name
            if cursor.fetchone()[0]:
                raise SinkError(f"{self.name} already holds checkpoints.")

    def append(self, seq: int, line: str) -> None:
        p = self._param()
        with self._cursor() as cursor:
            cursor.execute(f"INSERT INTO {TABLE} (seq, line) VALUES ({p}, {p})", [seq, line])  # noqa: S608

    def lines(self, *, after: int = 0) -> list[str]:
        p = self._param()
        with self._cursor() as cursor:
            cursor.execute(f"SELECT line FROM {TABLE} WHERE seq > {p} ORDER BY seq", [after])  # noqa: S608
            return [row[0] for row in cursor.fetchall()]

    def last(self) -> str | None:
        with self._cursor() as cursor:
            cursor.execute(f"SELECT line FROM {TABLE} ORDER BY seq DESC LIMIT 1")  # noqa: S608
            row = cursor.fetchone()
        return row[0] if row else None


def _is_missing_table(exc: Exception) -> bool:
    text = str(exc).lower()
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def _guard_sql(vendor: str) -> list[str]:
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
            f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE} "
            f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END",
        ]
    return [
        "CREATE OR REPLACE FUNCTION wellkept_checkpoint_refuse() RETURNS trigger "
        f"LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '{_APPEND_ONLY} (% refused)', TG_OP; "
        "END; $$",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}",
        f"CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
        "FOR EACH ROW EXECUTE FUNCTION wellkept_checkpoint_refuse()",
        f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
        f"CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE} "
        "FOR EACH STATEMENT EXECUTE FUNCTION wellkept_checkpoint_refuse()",
    ]


class SyslogSink:
    """A write-only witness: each checkpoint as one syslog message (facility local0)."""

    readable = False

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.url = url
        if parts.hostname:
            port = parts.port or (601 if parts.scheme == "syslog+tcp" else 514)
            self.address: Any = (parts.hostname, port)
            self.socktype = (
                socket.SOCK_STREAM if parts.scheme == "syslog+tcp" else socket.SOCK_DGRAM
            )
            self.name = f"syslog {parts.hostname}:{port}"
            self.local = parts.hostname in {"localhost", "127.0.0.1", "::1"}
        else:
            self.address = unquote(parts.path) or "/dev/log"
            self.socktype = socket.SOCK_DGRAM
            self.name = f"syslog {self.address}"
            # journald or rsyslog forwarding decides where it goes from here.
            self.local = True
        self._handler: logging.handlers.SysLogHandler | None = None
        self._lock = threading.Lock()

    def create(self) -> None:
        """Nothing to create; the collector keeps what it receives."""

    def append(self, seq: int, line: str) -> None:
        with self._lock:
            try:
                if self._handler is None:
                    self._handler = logging.handlers.SysLogHandler(
                        address=self.address,
                        facility=logging.handlers.SysLogHandler.LOG_LOCAL0,
                        socktype=self.socktype,
                    )
                    self._handler.ident = "wellkept-checkpoint: "
                record = logging.LogRecord(
                    "wellkept.checkpoint", logging.INFO, "", 0, line, None, None
                )
                self._handler.emit(record)
            except OSError as exc:
                self._handler = None
                raise SinkError(f"{self.name} cannot be written ({exc.strerror}).") from None

    def lines(self, *, after: int = 0) -> list[str]:
        raise SinkError(f"{self.name} is write-only.")

    def last(self) -> str | None:
        raise SinkError(f"{self.name} is write-only.")


_cache: dict[str, Sink] = {}
_cache_lock = threading.Lock()


def sink_for(url: str) -> Sink:
    """Return the sink a URL names (one instance per URL and process)."""
    with _cache_lock:
        found = _cache.get(url)
        if found is not None:
            return found
        sink = _build(url)
        _cache[url] = sink
        return sink


def _build(url: str) -> Sink:
    parts = urlsplit(url)
    scheme = parts.scheme
    if scheme == "file" or (not scheme and url.startswith("/")):
        return FileSink(Path(unquote(parts.path)))
    if scheme == "sqlite":
        return DatabaseSink(url)
    if scheme in {"postgres", "postgresql"}:
        return DatabaseSink(url)
    if scheme in {"syslog", "syslog+tcp"}:
        return SyslogSink(url)
    raise ImproperlyConfigured(
        f"WELLKEPT_AUDIT_CHECKPOINT_SINKS names {_redacted(url)!r}, which is not a sink Wellkept "
        "knows. Use file:///path, sqlite:///path, postgres://role@host/db, "
        "syslog://host:514 or syslog:///dev/log."
    )


def _redacted(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "***")
    return url


def sink_urls() -> list[str]:
    """The configured sink URLs; by default a file and a SQLite database under var/."""
    configured = list(getattr(settings, "WELLKEPT_AUDIT_CHECKPOINT_SINKS", None) or [])
    if configured:
        return configured
    return [
        f"file://{Path(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE)}",
        f"sqlite://{Path(settings.WELLKEPT_AUDIT_ANCHOR_FILE)}",
    ]


def configured_sinks() -> list[Sink]:
    return [sink_for(url) for url in sink_urls()]


def reset_sinks() -> None:
    """Forget cached sinks and close their connections (tests, after settings change)."""
    with _cache_lock:
        sinks = list(_cache.values())
        _cache.clear()
    for sink in sinks:
        close = getattr(sink, "close", None)
        if close is not None:
            close()


def local_paths() -> list[Path]:
    """Files the configured sinks keep on this host (for the file-mode check)."""
    found: list[Path] = []
    for sink in configured_sinks():
        if isinstance(sink, FileSink) or (
            isinstance(sink, DatabaseSink) and sink.vendor == "sqlite"
        ):
            found.append(sink.path)
    return found
