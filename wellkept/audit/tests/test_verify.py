"""`wellkept audit verify` finds every kind of tampering, and names the entry."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellkept.actors import SystemActor
from wellkept.audit import checkpoints
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.audit.tests.tamper import ids, triggers_dropped
from wellkept.audit.verify import chain_verify

pytestmark = pytest.mark.django_db

JOB = SystemActor("test")
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


def build_chain(events: list[EventType]) -> None:
    for number, event in enumerate(events):
        audit_record(actor=JOB, event=event, target=f"participant:t{number}", reason="r")
    head = AuditEntry.objects.order_by("-id").values_list("id", "mac").first()
    assert head is not None
    # What the scheduled `wellkept audit checkpoint` would have written.
    checkpoints.checkpoint_write(entry_id=head[0], mac=head[1])


def run_verify() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_it_reports_an_intact_chain() -> None:
    build_chain([EventType.AUTH_LOGIN] * 5)
    code, out, err = run_verify()
    assert code == 0, err
    assert out.strip() == "verified 5 entries up to id 5, last checkpoint id 5: intact"
    # The verification itself is audited, after the walk.
    assert AuditEntry.objects.order_by("-id").first().event == EventType.AUDIT_VERIFIED  # type: ignore[union-attr]


def test_it_reports_an_empty_trail_as_intact() -> None:
    assert chain_verify().intact


def test_it_detects_an_edited_reason_and_names_the_entry() -> None:
    build_chain([EventType.RECORD_READ] * 4)
    with triggers_dropped() as cursor:
        cursor.execute("UPDATE audit_auditentry SET reason = 'nothing to see' WHERE id = 3")
    code, out, err = run_verify()
    assert code == 1
    assert "entry 3: MAC does not match" in err
    assert "1 problem(s), first at entry 3" in out


def test_it_detects_a_cut_tail_through_the_checkpoint() -> None:
    build_chain([EventType.RECORD_READ] * 6)
    with triggers_dropped() as cursor:
        cursor.execute("DELETE FROM audit_auditentry WHERE id > 3")
    result = chain_verify()
    assert [p.entry_id for p in result.problems] == [6]
    assert "truncated" in result.problems[0].message


@pytest.mark.parametrize("cut_after", [0, 3], ids=["whole-table", "tail"])
def test_it_detects_a_history_cut_and_grown_again_past_its_checkpoints(cut_after: int) -> None:
    """Cutting the chain and letting the app re-append past the old head is caught.

    Automatic checkpoints land on the same ids again (every N entries); the
    new, genuine checkpoint for an id contradicts the one written before.
    """
    build_chain([EventType.RECORD_READ] * 6)
    with triggers_dropped() as cursor:
        cursor.execute(f"DELETE FROM audit_auditentry WHERE id > {cut_after}")  # noqa: S608
    for _ in range(9 - cut_after):
        audit_record(actor=JOB, event=EventType.AUTH_LOGIN_FAILED)
    # The automatic checkpoint for id 6 is written again, genuinely, for the new entry.
    new_six = AuditEntry.objects.values_list("mac", flat=True).get(id=6)
    checkpoints.checkpoint_write(entry_id=6, mac=new_six)
    result = chain_verify()
    assert not result.intact
    assert any("cut and rewritten" in p.message and p.entry_id == 6 for p in result.problems)


def test_it_detects_a_forged_checkpoint_line(settings) -> None:
    build_chain([EventType.RECORD_READ] * 2)
    path = settings.WELLKEPT_AUDIT_CHECKPOINT_FILE
    line = json.loads(path.read_text().splitlines()[-1])
    line["id"] = 1
    with path.open("a") as handle:
        handle.write(json.dumps(line) + "\n")
    assert "forged" in chain_verify().problems[0].message


def test_it_verifies_from_the_last_checkpoint() -> None:
    build_chain([EventType.RECORD_READ] * 3)
    audit_record(actor=JOB, event=EventType.RECORD_READ)
    with triggers_dropped() as cursor:
        # Before the checkpoint: not looked at with --since-checkpoint.
        cursor.execute("UPDATE audit_auditentry SET reason = 'x' WHERE id = 1")
    result = chain_verify(since_checkpoint=True)
    assert result.intact
    assert (result.checked, result.first_id) == (2, 3)
    assert not chain_verify().intact


# -- property-based: one random tampering, always detected --------------------


def _edit(entry_id: int, field: str, cursor) -> None:
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


def _swap(a: int, b: int, cursor) -> None:
    # Exchange everything but the ids, through a parking id.
    cursor.execute("UPDATE audit_auditentry SET id = -1 WHERE id = %s", [a])
    cursor.execute("UPDATE audit_auditentry SET id = %s WHERE id = %s", [a, b])
    cursor.execute("UPDATE audit_auditentry SET id = %s WHERE id = -1", [b])


def _insert_forged(position: int, cursor) -> None:
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


tamperings = st.one_of(
    st.tuples(st.just("edit"), st.sampled_from([*TEXT_FIELDS, "outcome", "created_at", "id"])),
    st.tuples(st.just("delete")),
    st.tuples(st.just("swap")),
    st.tuples(st.just("insert")),
    st.tuples(st.just("cut")),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    events=st.lists(st.sampled_from(EVENTS), min_size=2, max_size=12),
    tampering=tamperings,
    data=st.data(),
)
def test_it_detects_any_single_tampering(events, tampering, data, settings) -> None:
    settings.WELLKEPT_AUDIT_CHECKPOINT_FILE.unlink(missing_ok=True)
    with transaction.atomic():
        build_chain(events)
        present = ids()
        kind = tampering[0]
        with triggers_dropped() as cursor:
            if kind == "edit":
                target = data.draw(st.sampled_from(present))
                _edit(target, tampering[1], cursor)
            elif kind == "delete":
                target = data.draw(st.sampled_from(present))
                cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [target])
            elif kind == "swap":
                pair = data.draw(
                    st.lists(st.sampled_from(present), min_size=2, max_size=2, unique=True)
                )
                _swap(pair[0], pair[1], cursor)
            elif kind == "insert":
                _insert_forged(data.draw(st.sampled_from([*present, present[-1] + 1])), cursor)
            else:
                keep = data.draw(st.integers(min_value=0, max_value=len(present) - 1))
                cursor.execute("DELETE FROM audit_auditentry WHERE id > %s", [keep])
        result = chain_verify()
        transaction.set_rollback(True)
    assert not result.intact, (tampering, events)
    assert all(problem.entry_id > 0 for problem in result.problems)
