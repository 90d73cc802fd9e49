"""Checkpoints: a chain of their own in every sink, and a small interface for other chains."""

from __future__ import annotations

import itertools
import socket
import sqlite3
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from wellkept.actors import PseudonymousActor, SystemActor
from wellkept.audit import checkpoints
from wellkept.audit.checkpoints import Head
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.audit.sinks import DatabaseSink, SinkError, SinkMissing, SyslogSink, reset_sinks
from wellkept.audit.tests.tamper import AUDIT_ONLY, owner_cursor
from wellkept.audit.verify import chain_verify

pytestmark = pytest.mark.django_db

JOB = SystemActor("test")


@pytest.fixture
def started() -> None:
    call_command("audit", "init", stdout=StringIO())


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines()


def test_each_checkpoint_follows_the_one_before(started, settings) -> None:
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    written = checkpoints.checkpoint_write()
    assert written is not None
    merged = checkpoints.read_evidence().merged
    assert [c.seq for c in merged] == [1, 2, 3]
    assert all(b.prev == a.mac for a, b in itertools.pairwise(merged))
    assert all(c.is_authentic() for c in merged)


def test_it_writes_nothing_when_no_identified_entry_was_added(started, settings) -> None:
    before = lines(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE)
    # A participant's entry alone never decides that a checkpoint is written.
    audit_record(actor=PseudonymousActor("tok"), event=EventType.RECORD_READ)
    assert checkpoints.checkpoint_write() is None
    assert lines(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE) == before


def test_a_heartbeat_reseals_the_pseudonymous_head_whether_it_moved_or_not(started) -> None:
    first = checkpoints.checkpoint_write(heartbeat_seconds=0)
    second = checkpoints.checkpoint_write(heartbeat_seconds=0)
    assert first is not None
    assert second is not None
    assert first.sealed["audit-pseudonymous"] != second.sealed["audit-pseudonymous"]
    assert first.head("audit-pseudonymous") == second.head("audit-pseudonymous") == Head.empty()
    audit_record(actor=PseudonymousActor("tok"), event=EventType.RECORD_READ)
    third = checkpoints.checkpoint_write(heartbeat_seconds=0)
    assert third is not None
    assert third.head("audit-pseudonymous").position == 1  # type: ignore[union-attr]
    # All three are the same size: nothing to tell them apart but the key.
    assert len({len(c.sealed["audit-pseudonymous"]) for c in (first, second, third)}) == 1


def test_it_catches_up_a_sink_that_missed_a_write(started, settings) -> None:
    """A crash between the two sinks' writes: the next write copies what one lacks."""
    path = Path(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE)
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    checkpoints.checkpoint_write()
    path.write_text("\n".join(lines(path)[:2]) + "\n")
    assert checkpoints.read_evidence().problems
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    checkpoints.checkpoint_write()
    evidence = checkpoints.read_evidence()
    assert evidence.problems == []
    assert [c.seq for c in evidence.merged] == [1, 2, 3, 4]


def test_it_never_recreates_a_deleted_sink(started, settings) -> None:
    path = Path(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE)
    path.unlink()
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    assert checkpoints.checkpoint_write() is not None
    assert not path.exists()


def test_the_database_sink_refuses_to_change_a_checkpoint(started, settings) -> None:
    db = sqlite3.connect(settings.WELLKEPT_AUDIT_ANCHOR_FILE)
    try:
        db.execute("PRAGMA recursive_triggers=ON")
        for statement in (
            "UPDATE wellkept_checkpoint SET line = 'x'",
            "DELETE FROM wellkept_checkpoint",
            "REPLACE INTO wellkept_checkpoint (seq, line) VALUES (1, 'x')",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                db.execute(statement)
    finally:
        db.close()


def test_a_missing_database_sink_says_so(tmp_path: Path) -> None:
    sink = DatabaseSink(f"sqlite://{tmp_path / 'absent.sqlite3'}")
    with pytest.raises(SinkMissing):
        sink.last()
    assert not (tmp_path / "absent.sqlite3").exists()


def test_a_postgresql_sink_keeps_checkpoints(tmp_path: Path, settings) -> None:
    """The off-host kind, against the test server (a database of its own in production)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL")
    import psycopg

    # The anchor's owner creates the schema; here the test database's owner.
    creds = settings.WELLKEPT_DATABASE_OWNER or connection.settings_dict
    host, port = creds.get("HOST") or "localhost", creds.get("PORT") or 5432
    database = connection.settings_dict["NAME"]
    url = f"postgresql://{creds['USER']}:{creds.get('PASSWORD') or ''}@{host}:{port}/{database}"
    name = f"wk_anchor_{abs(hash(tmp_path)) % 10**8}"
    owner = psycopg.connect(url, autocommit=True)
    try:
        owner.execute(f"CREATE SCHEMA {name}")
        sink = DatabaseSink(f"{url}?options=-csearch_path%3D{name}")
        sink.create()
        sink.append(1, '{"seq":1}')
        sink.append(2, '{"seq":2}')
        assert sink.last() == '{"seq":2}'
        assert sink.lines(after=1) == ['{"seq":2}']
        with pytest.raises(SinkError, match="append-only"), sink._cursor() as cursor:
            cursor.execute("DELETE FROM wellkept_checkpoint")
        sink.close()
    finally:
        owner.execute(f"DROP SCHEMA {name} CASCADE")
        owner.close()


def test_a_syslog_sink_sends_each_checkpoint_as_one_message(started, settings) -> None:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    port = receiver.getsockname()[1]
    try:
        settings.WELLKEPT_AUDIT_CHECKPOINT_SINKS = [
            f"file://{settings.WELLKEPT_AUDIT_CHECKPOINT_FILE}",
            f"sqlite://{settings.WELLKEPT_AUDIT_ANCHOR_FILE}",
            f"syslog://127.0.0.1:{port}",
        ]
        reset_sinks()
        audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
        written = checkpoints.checkpoint_write()
        assert written is not None
        message = receiver.recv(8192).decode()
        assert message.startswith("<134>wellkept-checkpoint: ")
        assert written.to_line() in message
        # Write-only: verify reads the other two and is satisfied.
        assert checkpoints.read_evidence().problems == []
        with pytest.raises(SinkError, match="write-only"):
            SyslogSink(f"syslog://127.0.0.1:{port}").last()
    finally:
        receiver.close()


def test_another_chain_can_be_checkpointed_through_register_head(started, settings) -> None:
    """What the tombstone journal will do: register a head, and verify checks it."""
    journal = {1: "a" * 64, 2: "b" * 64}
    checkpoints.register_head(
        "example-journal",
        current=lambda: Head(
            max(journal, default=0), journal.get(max(journal, default=0), ""), len(journal)
        ),
        macs_at=lambda positions: {p: journal[p] for p in positions if p in journal},
    )
    try:
        written = checkpoints.checkpoint_write()
        assert written is not None
        assert written.heads["example-journal"] == Head(2, "b" * 64, 2)
        evidence = checkpoints.read_evidence()
        checkpoints.compare_heads(evidence)
        assert evidence.problems == []
        del journal[2]  # the journal is cut back
        evidence = checkpoints.read_evidence()
        checkpoints.compare_heads(evidence)
        assert evidence.problems == [
            f"example-journal: checkpoint {written.seq} vouches for entry 2, but the chain ends "
            "at 1: entries were removed after the checkpoint was written"
        ]
    finally:
        checkpoints._sources.pop("example-journal")


@pytest.mark.django_db(transaction=True, available_apps=AUDIT_ONLY)
def test_a_rewind_is_recorded_and_what_it_gave_up_is_counted(started) -> None:
    for _ in range(4):
        audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    checkpoints.checkpoint_write()
    with owner_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id > 2")
    assert not chain_verify().intact
    rewind = checkpoints.checkpoint_rewind(note="restored backup b1")
    assert (rewind.kind, rewind.note, rewind.heads["audit"].position) == (
        "rewind",
        "restored backup b1",
        2,
    )
    for _ in range(5):
        audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    checkpoints.checkpoint_write()
    result = chain_verify()
    assert result.intact, result.problems
    assert any(
        "entries up to 5 were vouched for before a recorded restore" in n for n in result.notices
    )
