"""The database refuses to change the trail: triggers on both engines, privileges on PostgreSQL.

SQLite: UPDATE, DELETE and REPLACE (a delete in disguise, caught because
recursive triggers are on). PostgreSQL as the application role: no UPDATE,
DELETE, TRUNCATE or upsert on either chain, and no way to switch the
triggers off with session_replication_role or to drop them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from wellkept.actors import PseudonymousActor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.audit.services import audit_record
from wellkept.audit.tests.tamper import runs_as_application_role

pytestmark = pytest.mark.django_db

JOB = SystemActor("nightly")
TABLES = ["audit_auditentry", "audit_pseudonymousentry"]


def refused(statement: str, params: list[object] | None = None) -> str:
    with pytest.raises(Exception) as caught, transaction.atomic(), connection.cursor() as cursor:  # noqa: PT011 - the engines raise different types
        cursor.execute(statement, params)
    return str(caught.value)


@pytest.fixture
def both_chains() -> None:
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    audit_record(
        actor=PseudonymousActor("tok"), event=EventType.RECORD_READ, target="participant:tok"
    )


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("change", ["UPDATE {t} SET reason = 'x'", "DELETE FROM {t}"])
def test_it_refuses_update_and_delete(both_chains, table: str, change: str) -> None:
    message = refused(change.format(t=table))
    assert "append-only" in message or "permission denied" in message
    assert AuditEntry.objects.count() == PseudonymousEntry.objects.count() == 1


def test_it_refuses_replace_on_sqlite(both_chains) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("REPLACE is SQLite's; PostgreSQL's upsert is the next test")
    entry = AuditEntry.objects.get()
    message = refused(
        "INSERT OR REPLACE INTO audit_auditentry (id, created_at, event, outcome, actor_id, "
        "actor_label, role, purpose, target, reason, ip, user_agent, request_id, prev_mac, mac) "
        "VALUES (%s, %s, 'record.read', 'allowed', '', 'user', '', '', '', 'rewritten', '', '', "
        "'', '', %s)",
        [entry.id, connection.ops.adapt_datetimefield_value(entry.created_at), entry.mac],
    )
    assert "append-only" in message
    assert AuditEntry.objects.get().reason == ""
    row = PseudonymousEntry.objects.get()
    message = refused(
        "REPLACE INTO audit_pseudonymousentry (id, day, event, outcome, actor_label, role, "
        "purpose, target, reason, link, mac) VALUES (%s, %s, 'record.read', 'allowed', "
        "'participant:tok', '', '', '', 'rewritten', %s, %s)",
        [row.id, dt.date(2026, 1, 1), row.link, row.mac],
    )
    assert "append-only" in message


def test_it_refuses_an_upsert_on_postgresql(both_chains) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's ON CONFLICT DO UPDATE")
    entry = AuditEntry.objects.get()
    message = refused(
        "INSERT INTO audit_auditentry (id, created_at, event, outcome, actor_id, actor_label, "
        "role, purpose, target, reason, ip, user_agent, request_id, prev_mac, mac) VALUES "
        "(%s, now(), 'record.read', 'allowed', '', 'user', '', '', '', '', '', '', '', '', %s) "
        "ON CONFLICT (id) DO UPDATE SET reason = 'rewritten'",
        [entry.id, entry.mac],
    )
    assert "append-only" in message or "permission denied" in message


@pytest.mark.parametrize("table", TABLES)
def test_it_refuses_truncate_on_postgresql(both_chains, table: str) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    message = refused(f"TRUNCATE {table}")
    assert "append-only" in message or "permission denied" in message


def application_role_only() -> None:
    if not runs_as_application_role():
        pytest.skip(
            "needs PostgreSQL as the application role: DATABASE_URL for it and "
            "WELLKEPT_DATABASE_OWNER_URL for the owner (as .ci/run sets them)"
        )


def test_the_application_role_cannot_switch_the_triggers_off(both_chains) -> None:
    application_role_only()
    message = refused("SET session_replication_role = replica")
    assert "permission denied" in message
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize("table", TABLES)
def test_the_application_role_cannot_drop_the_triggers(both_chains, table: str) -> None:
    application_role_only()
    assert "must be owner" in refused(f"DROP TRIGGER audit_no_change ON {table}")
    assert "must be owner" in refused(f"ALTER TABLE {table} DISABLE TRIGGER ALL")


@pytest.mark.parametrize("table", TABLES)
@pytest.mark.parametrize("privilege", ["UPDATE", "DELETE", "TRUNCATE"])
def test_the_application_role_holds_no_privilege_to_change_the_trail(
    table: str, privilege: str
) -> None:
    application_role_only()
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s)", [table, privilege])
        assert cursor.fetchone()[0] is False
        cursor.execute("SELECT has_table_privilege(%s, 'INSERT')", [table])
        assert cursor.fetchone()[0] is True
