"""Checkpoints: the chain head written outside the database.

Truncating the audit table's tail leaves a shorter chain that is still
internally consistent; only a copy of the head kept elsewhere shows it. Each
checkpoint (entry id, entry MAC, time) carries its own HMAC so it cannot be
forged without the audit key.

Sinks are pluggable (setting WELLKEPT_AUDIT_CHECKPOINT_SINKS, dotted paths):
a sink has ``write(checkpoint)``; a sink that can also give its checkpoints
back implements ``read()`` and is what `wellkept audit verify` reads. The
default FileSink appends JSON lines to a 0600 file; a syslog or object-store
sink (ideally on another host, write-only for us) implements ``write`` only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

from django.conf import settings
from django.utils.module_loading import import_string

from wellkept import clock
from wellkept.audit import chain


@dataclass(frozen=True)
class Checkpoint:
    entry_id: int
    mac: str
    at: str
    hmac: str = ""

    def payload(self) -> bytes:
        row = ["wk-audit-checkpoint-v1", self.entry_id, self.mac, self.at]
        return json.dumps(row, separators=(",", ":")).encode("ascii")

    def signed(self) -> Checkpoint:
        digest = hmac.new(chain.checkpoint_key(), self.payload(), hashlib.sha256).hexdigest()
        return Checkpoint(self.entry_id, self.mac, self.at, digest)

    def is_authentic(self) -> bool:
        expected = self.signed().hmac
        return hmac.compare_digest(expected.encode(), self.hmac.encode())

    def to_line(self) -> str:
        return json.dumps(
            {"id": self.entry_id, "mac": self.mac, "at": self.at, "hmac": self.hmac},
            separators=(",", ":"),
        )


class CheckpointSink(Protocol):
    def write(self, checkpoint: Checkpoint) -> None: ...


@runtime_checkable
class ReadableSink(Protocol):
    def write(self, checkpoint: Checkpoint) -> None: ...

    def read(self) -> Iterator[Checkpoint | None]:
        """Yield every checkpoint in the order written; None for an unreadable line."""
        ...


class FileSink:
    """Append-only JSON lines in WELLKEPT_AUDIT_CHECKPOINT_FILE (mode 0600)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path or settings.WELLKEPT_AUDIT_CHECKPOINT_FILE)

    def write(self, checkpoint: Checkpoint) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # O_APPEND with one write() per line: lines from several processes
        # never interleave. fsync, because a checkpoint lost in a crash is a
        # window in which the tail could be cut unnoticed.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (checkpoint.to_line() + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> Iterator[Checkpoint | None]:
        if not self.path.exists():
            return
        with self.path.open(encoding="utf-8") as handle:
            for line in handle:
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    yield Checkpoint(
                        int(data["id"]), str(data["mac"]), str(data["at"]), str(data["hmac"])
                    )
                except (ValueError, KeyError, TypeError):
                    yield None


def sinks() -> list[CheckpointSink]:
    paths = getattr(settings, "WELLKEPT_AUDIT_CHECKPOINT_SINKS", None) or [
        "wellkept.audit.checkpoints.FileSink"
    ]
    return [import_string(path)() for path in paths]


def readable_sink() -> ReadableSink | None:
    for sink in sinks():
        if isinstance(sink, ReadableSink):
            return sink
    return None


def checkpoint_write(*, entry_id: int, mac: str) -> Checkpoint:
    """Sign a checkpoint for the given chain head and hand it to every sink."""
    now = clock.now().astimezone(dt.UTC)
    checkpoint = Checkpoint(entry_id, mac, now.strftime("%Y-%m-%dT%H:%M:%SZ")).signed()
    for sink in sinks():
        sink.write(checkpoint)
    return checkpoint
