"""`wellkept audit verify` finds every kind of tampering, on SQLite and PostgreSQL, and says why.

The tamper suite: edits, inserts, deletes and reorders of either chain; a
tail cut after the last checkpoint; a whole-table wipe; a checkpoint sink
rolled back, emptied, deleted, edited or spliced; a history cut and grown
again. Each is done the way the database's owner could (triggers lifted,
raw SQL) and each is reported with a sentence. What the database refuses
outright (UPDATE, DELETE, REPLACE, TRUNCATE, session_replication_role) is
in test_append_only.py.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellkept.actors import PseudonymousActor, SystemActor
from wellkept.audit import checkpoints, heads
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.audit.services import audit_record
from wellkept.audit.sinks import reset_sinks
from wellkept.audit.tests.tamper import AUDIT_ONLY, ids, owner_cursor, wipe_trail
from wellkept.audit.verify import chain_verify

# Transactional: on PostgreSQL the owner tampers through a connection of its
# own, which sees only what was committed.
pytestmark = pytest.mark.django_db(transaction=True, available_apps=AUDIT_ONLY)

JOB = SystemActor("test")
NINA = PseudonymousActor("tok-nina")
EVENTS = list(EventType)
TEXT_FIELDS = [
    "event",
    "actor_id",
    "actor_label",
    "role",
    "purpose",
    "target",
    "reason",
    "ip",
    "user_agent",
    "request_id",
    "prev_mac",
    "mac",
]


def start() -> None:
    call_command("audit", "init", stdout=StringIO())


def build_chain(events: list[EventType], *, pseudonymous: int = 0) -> None:
    for number, event in enumerate(events):
        audit_record(actor=JOB, event=event, target=f"participant:t{number}", reason="r")
    for number in range(pseudonymous):
        audit_record(
            actor=NINA, event=EventType.RECORD_READ, target=f"participant:tok-nina/{number}"
        )
    # What the background writer does within a second of these commits.
    checkpoints.checkpoint_write()


def run_verify() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def problems() -> str:
    return "\n".join(str(p) for p in chain_verify().problems)


def file_sink(settings) -> Path:  # type: ignore[no-untyped-def]
    return Path(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE)


def anchor_lines(settings) -> list[str]:  # type: ignore[no-untyped-def]
    db = sqlite3.connect(settings.WELLKEPT_AUDIT_ANCHOR_FILE)
    try:
        return [row[0] for row in db.execute("SELECT line FROM wellkept_checkpoint ORDER BY seq")]
    finally:
        db.close()


# -- a healthy trail -----------------------------------------------------------------


def test_it_reports_an_intact_trail() -> None:
    start()
    build_chain([EventType.AUTH_LOGIN] * 4, pseudonymous=3)
    code, out, err = run_verify()
    assert code == 0, err
    assert out.strip() == (
        "verified 5 entries up to id 5 and 3 pseudonymous entries, last checkpoint 3: intact"
    )
    # The verification itself is audited, after the walk.
    assert AuditEntry.objects.order_by("-id").first().event == EventType.AUDIT_VERIFIED  # type: ignore[union-attr]


def test_it_does_not_call_a_trail_that_was_never_started_intact() -> None:
    code, out, _ = run_verify()
    assert code == 1
    assert "never started here: run `wellkept audit init`" in out
    # Nothing recorded: the first entry of a trail is `audit init`'s.
    assert not AuditEntry.objects.exists()


# -- the identified chain ------------------------------------------------------------


def test_it_detects_an_edited_reason_and_names_the_entry() -> None:
    start()
    build_chain([EventType.RECORD_READ] * 4)
    with owner_cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET reason = 'nothing to see' WHERE id = 3")
    code, out, err = run_verify()
    assert code == 1
    assert "entry 3: MAC does not match" in err
    assert "first at entry 3" in out


def test_it_detects_a_tail_cut_after_the_last_checkpoint() -> None:
    start()
    build_chain([EventType.RECORD_READ] * 6)
    with owner_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id > 3")
    assert "vouches for entry 7, but the chain ends at 3: entries were removed" in problems()


def test_it_detects_a_whole_table_wipe() -> None:
    start()
    build_chain([EventType.RECORD_READ] * 3, pseudonymous=2)
    wipe_trail()
    found = problems()
    assert "audit: checkpoint 3 vouches for entry 4, but the chain is empty" in found
    assert "audit-pseudonymous: checkpoint 3 vouches for entry 2, but the chain is empty" in found


def test_it_detects_a_history_cut_and_grown_again_past_its_checkpoints() -> None:
    start()
    build_chain([EventType.RECORD_READ] * 6)
    with owner_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id > 2")
    for _ in range(9):
        audit_record(actor=JOB, event=EventType.AUTH_LOGIN_FAILED)
    checkpoints.checkpoint_write()
    assert (
        "entry 7 differs from what checkpoint 3 vouched for: the chain was cut and rewritten"
        in (problems())
    )


def test_it_verifies_the_identified_chain_from_the_last_checkpoint() -> None:
    start()
    build_chain([EventType.RECORD_READ] * 3)
    audit_record(actor=JOB, event=EventType.RECORD_READ)
    with owner_cursor() as cursor:
        # Before the checkpoint: not looked at with --since-checkpoint.
        cursor.execute("UPDATE audit_auditentry SET reason = 'x' WHERE id = 1")
    result = chain_verify(since_checkpoint=True)
    assert result.intact, result.problems
    assert (result.checked, result.first_id) == (2, 4)
    assert not chain_verify().intact


# -- the checkpoint sinks ------------------------------------------------------------


def test_it_detects_a_rolled_back_checkpoint_sink(settings) -> None:
    start()
    build_chain([EventType.RECORD_READ] * 2)
    build_chain([EventType.RECORD_READ] * 2)
    path = file_sink(settings)
    path.write_text("\n".join(path.read_text().splitlines()[:2]) + "\n")
    assert (
        f"checkpoint sink file {path} ends at checkpoint 2, another reaches 4: it was rolled back"
        in problems()
    )


def test_it_detects_a_sink_rolled_back_together_with_the_tail(settings) -> None:
    """The attacker cuts the table and the local file alike; the other sink still knows."""
    start()
    build_chain([EventType.RECORD_READ] * 2)
    build_chain([EventType.RECORD_READ] * 3)
    path = file_sink(settings)
    path.write_text("\n".join(path.read_text().splitlines()[:2]) + "\n")
    with owner_cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id > 3")
    found = problems()
    assert "ends at checkpoint 2, another reaches 4" in found
    assert "checkpoint 4 vouches for entry 6, but the chain ends at 3" in found


def test_it_detects_a_deleted_checkpoint_sink(settings) -> None:
    start()
    build_chain([EventType.RECORD_READ] * 2)
    file_sink(settings).unlink()
    assert "is missing, while another holds the trail's checkpoints: it was deleted" in problems()


def test_it_detects_an_emptied_checkpoint_sink(settings) -> None:
    start()
    build_chain([EventType.RECORD_READ] * 2)
    file_sink(settings).write_text("")
    assert "is empty, while another holds the trail's checkpoints" in problems()


def test_it_detects_every_sink_deleted_under_a_trail(settings) -> None:
    start()
    build_chain([EventType.RECORD_READ] * 2)
    file_sink(settings).unlink()
    Path(settings.WELLKEPT_AUDIT_ANCHOR_FILE).unlink()
    reset_sinks()
    assert "no checkpoint sink holds a checkpoint, but the trail holds entries" in problems()
    # And the trail cannot simply be started again over it.
    with pytest.raises(Exception, match="restore them from a copy"):
        call_command("audit", "init", stdout=StringIO())


def test_it_detects_a_checkpoint_removed_from_the_middle(settings) -> None:
    start()
    for _ in range(3):
        build_chain([EventType.RECORD_READ])
    path = file_sink(settings)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:1] + lines[2:]) + "\n")
    assert f"checkpoint sink file {path} lacks checkpoints 2: lines were removed" in problems()


def test_it_detects_a_forged_checkpoint_line(settings) -> None:
    start()
    build_chain([EventType.RECORD_READ] * 2)
    path = file_sink(settings)
    line = json.loads(path.read_text().splitlines()[-1])
    line["heads"]["audit"][0] = 1
    with path.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    assert "its MAC does not match (forged or edited)" in problems()


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: {**d, "extra": 1},
        lambda d: {k: v for k, v in d.items() if k != "note"},
        lambda d: {**d, "kind": "whatever"},
        lambda d: {**d, "seq": "two"},
    ],
    ids=["unknown key", "missing key", "bad kind", "bad seq"],
)
def test_it_reads_checkpoint_lines_strictly(damage, settings) -> None:  # type: ignore[no-untyped-def]
    start()
    path = file_sink(settings)
    line = json.loads(path.read_text().splitlines()[-1])
    with path.open("a") as handle:
        handle.write(json.dumps(damage(line)) + "\n")
    assert "line 3: " in problems()


def test_it_says_when_sinks_hold_different_checkpoints_of_one_number(settings) -> None:
    start()
    build_chain([EventType.RECORD_READ])
    original = anchor_lines(settings)
    # A second, authentic history written to the file alone (a fork).
    path = file_sink(settings)
    path.write_text(path.read_text().splitlines()[0] + "\n")
    settings.WELLKEPT_AUDIT_CHECKPOINT_SINKS = [f"file://{path}"]
    reset_sinks()
    audit_record(actor=JOB, event=EventType.AUTH_LOGIN_FAILED)
    checkpoints.checkpoint_write()
    settings.WELLKEPT_AUDIT_CHECKPOINT_SINKS = []
    reset_sinks()
    assert len(original) == 3
    assert "checkpoint sinks disagree about checkpoint 2: one of them was rewritten" in problems()


# -- the pseudonymous chain ----------------------------------------------------------


def pseudonymous_ids() -> list[int]:
    return list(PseudonymousEntry.objects.values_list("id", flat=True))


def test_it_detects_an_edited_pseudonymous_entry() -> None:
    start()
    build_chain([EventType.AUTH_LOGIN], pseudonymous=3)
    victim = pseudonymous_ids()[1]
    with owner_cursor() as cursor:
        cursor.execute(
            "UPDATE audit_pseudonymousentry SET outcome = 'denied' WHERE id = %s", [victim]
        )
    assert f"pseudonymous entry {victim}: MAC does not match" in problems()


def test_it_detects_a_deleted_pseudonymous_entry() -> None:
    start()
    build_chain([EventType.AUTH_LOGIN], pseudonymous=4)
    positions = heads.pseudonymous_macs_at({1, 2, 3, 4})
    victim = PseudonymousEntry.objects.get(mac=positions[2]).pk
    with owner_cursor() as cursor:
        cursor.execute("DELETE FROM audit_pseudonymousentry WHERE id = %s", [victim])
    assert "pseudonymous chain: positions 2 of 4 are absent (deleted)" in problems()


def test_it_detects_swapped_pseudonymous_links() -> None:
    start()
    build_chain([EventType.AUTH_LOGIN], pseudonymous=2)
    first, second = PseudonymousEntry.objects.values_list("id", "link")[:2]
    with owner_cursor() as cursor:
        cursor.execute(
            "UPDATE audit_pseudonymousentry SET link = %s WHERE id = %s", [second[1], first[0]]
        )
    assert f"pseudonymous entry {first[0]}: its sealed link does not open" in problems()


def test_it_detects_a_forged_pseudonymous_entry() -> None:
    start()
    build_chain([EventType.AUTH_LOGIN], pseudonymous=1)
    link = PseudonymousEntry.objects.values_list("link", flat=True).get()
    with owner_cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_pseudonymousentry (id, day, event, outcome, actor_label, role, "
            "purpose, target, reason, link, mac) VALUES (7, %s, 'record.read', 'allowed', "
            "'participant:x', '', '', 'participant:x', '', %s, %s)",
            [dt.date(2026, 1, 1), link, "0" * 64],
        )
    assert "pseudonymous entry 7: its sealed link does not open" in problems()


def test_it_detects_a_pseudonymous_tail_cut_with_the_head_put_back() -> None:
    start()
    build_chain([EventType.AUTH_LOGIN], pseudonymous=2)
    with owner_cursor() as cursor:
        cursor.execute("SELECT sealed FROM audit_pseudonymoushead")
        early_head = cursor.fetchone()[0]
    build_chain([EventType.AUTH_LOGIN], pseudonymous=2)
    newest = heads.pseudonymous_macs_at({3, 4})
    with owner_cursor() as cursor:
        cursor.execute(
            "DELETE FROM audit_pseudonymousentry WHERE mac IN (%s, %s)", [newest[3], newest[4]]
        )
        cursor.execute("UPDATE audit_pseudonymoushead SET sealed = %s", [early_head])
    assert "audit-pseudonymous: checkpoint 4 vouches for entry 4, but the chain ends at 2" in (
        problems()
    )


# -- property-based: one random tampering, always detected --------------------------


def _edit(entry_id: int, field: str, cursor) -> None:  # type: ignore[no-untyped-def]
    if field == "outcome":
        cursor.execute(
            "UPDATE audit_auditentry SET outcome = CASE outcome WHEN %s THEN %s ELSE %s END "
            "WHERE id = %s",
            [Outcome.ALLOWED, Outcome.DENIED, Outcome.ALLOWED, entry_id],
        )
    elif field == "created_at":
        moved = dt.datetime(2001, 2, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
        cursor.execute(
            "UPDATE audit_auditentry SET created_at = %s WHERE id = %s",
            [connection.ops.adapt_datetimefield_value(moved), entry_id],
        )
    elif field in {"mac", "prev_mac"}:
        # Same length (the columns hold exactly 64): change the first digit.
        cursor.execute(
            f"UPDATE audit_auditentry SET {field} = "  # noqa: S608 - field from a fixed list
            f"CASE WHEN substr({field}, 1, 1) = '0' THEN '1' ELSE '0' END || substr({field}, 2) "
            "WHERE id = %s",
            [entry_id],
        )
    elif field == "id":
        cursor.execute("UPDATE audit_auditentry SET id = id + 1000 WHERE id = %s", [entry_id])
    else:
        cursor.execute(
            f"UPDATE audit_auditentry SET {field} = {field} || 'x' WHERE id = %s",  # noqa: S608 - field from a fixed list
            [entry_id],
        )


def _swap(a: int, b: int, cursor) -> None:  # type: ignore[no-untyped-def]
    # Exchange everything but the ids, through a parking id.
    cursor.execute("UPDATE audit_auditentry SET id = -1 WHERE id = %s", [a])
    cursor.execute("UPDATE audit_auditentry SET id = %s WHERE id = %s", [a, b])
    cursor.execute("UPDATE audit_auditentry SET id = %s WHERE id = -1", [b])


def _insert_forged(position: int, cursor) -> None:  # type: ignore[no-untyped-def]
    # Shift later entries up by one (through negative ids: unique checks are
    # per row), then put a forged entry in the hole, chained to its neighbour.
    cursor.execute("UPDATE audit_auditentry SET id = -(id + 1) WHERE id >= %s", [position])
    cursor.execute("UPDATE audit_auditentry SET id = -id WHERE id < 0")
    cursor.execute("SELECT mac FROM audit_auditentry WHERE id = %s", [position - 1])
    row = cursor.fetchone()
    prev = row[0] if row else ""
    cursor.execute(
        "INSERT INTO audit_auditentry (id, created_at, event, outcome, actor_id, actor_label, "
        "role, purpose, target, reason, ip, user_agent, request_id, prev_mac, mac) "
        "VALUES (%s, %s, 'record.read', 'allowed', '', 'user', '', '', 'participant:x', '', "
        "'', '', '', %s, %s)",
        [
            position,
            connection.ops.adapt_datetimefield_value(dt.datetime.now(tz=dt.UTC)),
            prev,
            "0" * 64,
        ],
    )


def _tamper_pseudonymous(kind: str, victim: int, other: int, cursor) -> None:  # type: ignore[no-untyped-def]
    if kind == "edit":
        cursor.execute(
            "UPDATE audit_pseudonymousentry SET reason = reason || 'x' WHERE id = %s", [victim]
        )
    elif kind == "delete":
        cursor.execute("DELETE FROM audit_pseudonymousentry WHERE id = %s", [victim])
    elif kind == "day":
        cursor.execute(
            "UPDATE audit_pseudonymousentry SET day = %s WHERE id = %s",
            [dt.date(2001, 1, 1), victim],
        )
    else:  # swap the contents of two rows, links included
        cursor.execute("SELECT target, reason FROM audit_pseudonymousentry WHERE id = %s", [other])
        target, reason = cursor.fetchone()
        cursor.execute(
            "UPDATE audit_pseudonymousentry SET target = %s, reason = %s WHERE id = %s",
            [target, reason + "!", victim],
        )


tamperings = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from([*TEXT_FIELDS, "outcome", "created_at", "id"])),
    st.tuples(st.just("delete")),
    st.tuples(st.just("swap")),
    st.tuples(st.just("insert")),
    st.tuples(st.just("cut")),
    st.tuples(st.just("pseudonymous"), st.sampled_from(["edit", "delete", "day", "copy"])),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(st.sampled_from(EVENTS), min_size=2, max_size=10),
    tampering=tamperings,
    data=st.data(),
)
def test_it_detects_any_single_tampering(events, tampering, data, settings) -> None:  # type: ignore[no-untyped-def]
    # One database for every example: start each from nothing.
    wipe_trail()
    Path(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE).unlink(missing_ok=True)
    Path(settings.WELLKEPT_AUDIT_ANCHOR_FILE).unlink(missing_ok=True)
    reset_sinks()
    start()
    build_chain(events, pseudonymous=3)
    present = ids()
    kind = tampering[0]
    with owner_cursor() as cursor:
        if kind == "edit":
            _edit(data.draw(st.sampled_from(present)), tampering[1], cursor)
        elif kind == "delete":
            cursor.execute(
                "DELETE FROM audit_auditentry WHERE id = %s", [data.draw(st.sampled_from(present))]
            )
        elif kind == "swap":
            pair = data.draw(
                st.lists(st.sampled_from(present), min_size=2, max_size=2, unique=True)
            )
            _swap(pair[0], pair[1], cursor)
        elif kind == "insert":
            _insert_forged(data.draw(st.sampled_from([*present, present[-1] + 1])), cursor)
        elif kind == "cut":
            keep = data.draw(st.integers(min_value=0, max_value=len(present) - 1))
            cursor.execute("DELETE FROM audit_auditentry WHERE id > %s", [keep])
        else:
            rows = pseudonymous_ids()
            pair = data.draw(st.lists(st.sampled_from(rows), min_size=2, max_size=2, unique=True))
            _tamper_pseudonymous(tampering[1], pair[0], pair[1], cursor)
    result = chain_verify()
    assert not result.intact, (tampering, events)
