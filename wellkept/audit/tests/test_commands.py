"""`wellkept audit init`, `checkpoint` and `export`."""

from __future__ import annotations

import json
import os
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wellkept.actors import PseudonymousActor, SystemActor
from wellkept.audit import checkpoints
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.audit.tests.tamper import AUDIT_ONLY, owner_cursor
from wellkept.audit.tests.trail import LINKING_FIELDS
from wellkept.audit.verify import chain_verify

pytestmark = pytest.mark.django_db

JOB = SystemActor("test")


def init(*args: str) -> str:
    out = StringIO()
    call_command("audit", "init", *args, stdout=out)
    return out.getvalue()


# -- init ------------------------------------------------------------------------------


def test_it_starts_a_trail_on_a_new_installation_and_records_it(settings) -> None:
    out = init()
    assert "started the audit trail (new installation)" in out
    entry = AuditEntry.objects.get()
    assert (entry.event, entry.actor_label) == (EventType.AUDIT_INITIALISED, "system:audit init")
    for path in (settings.WELLKEPT_AUDIT_CHECKPOINT_FILE, settings.WELLKEPT_AUDIT_ANCHOR_FILE):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    evidence = checkpoints.read_evidence()
    assert [c.kind for c in evidence.merged] == ["genesis", "checkpoint"]
    assert evidence.merged[-1].heads["audit"].position == entry.id
    assert chain_verify().intact


def test_it_starts_a_trail_only_once() -> None:
    init()
    with pytest.raises(CommandError, match="started already"):
        init()
    assert "nothing to do" in init("--if-new")
    assert AuditEntry.objects.count() == 1


def test_it_refuses_to_start_afresh_under_existing_entries() -> None:
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    with pytest.raises(CommandError, match="restore them from a copy"):
        init()
    with pytest.raises(CommandError, match="restore them from a copy"):
        init("--if-new")
    assert AuditEntry.objects.count() == 1


def test_it_adopts_a_trail_from_before_chained_checkpoints() -> None:
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    audit_record(actor=PseudonymousActor("tok"), event=EventType.RECORD_READ)
    assert "adopted 2 existing entries" in init("--adopt")
    adopted = AuditEntry.objects.order_by("-id").first()
    assert adopted is not None
    assert adopted.event == EventType.AUDIT_INITIALISED
    assert chain_verify().intact


@pytest.mark.django_db(transaction=True, available_apps=AUDIT_ONLY)
def test_it_refuses_to_adopt_a_broken_trail() -> None:
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    with owner_cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET reason = 'x' WHERE id = 1")
    with pytest.raises(CommandError, match="does not verify"):
        init("--adopt")


# -- checkpoint ------------------------------------------------------------------------


def test_it_checkpoints_both_chains_to_owner_only_sinks(settings) -> None:
    init()
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    head = audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out)
    assert f"checkpoint 3: the trail ends at entry {head.id}; written to 2 sinks." in out.getvalue()
    path: Path = settings.WELLKEPT_AUDIT_CHECKPOINT_FILE
    line = json.loads(path.read_text().splitlines()[-1])
    assert line["heads"]["audit"][:2] == [head.id, head.mac]
    # The pseudonymous head is there, but sealed.
    assert set(line["sealed"]) == {"audit-pseudonymous"}


def test_it_refuses_to_checkpoint_a_trail_never_started() -> None:
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    with pytest.raises(CommandError, match="audit init"):
        call_command("audit", "checkpoint", stdout=StringIO())


# -- export ----------------------------------------------------------------------------


def test_it_exports_both_chains_as_jsonl_and_audits_the_export(tmp_path: Path) -> None:
    audit_record(actor=JOB, event=EventType.RECORD_READ, target="participant:tok")
    for _ in range(5):
        audit_record(actor=PseudonymousActor("tok"), event=EventType.RECORD_READ)
    output = tmp_path / "audit.jsonl"
    call_command("audit", "export", "--since", "2000-01-01", "--output", str(output))
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    identified = [line for line in lines if line["chain"] == "identified"]
    pseudonymous = [line for line in lines if line["chain"] == "pseudonymous"]
    assert [line["event"] for line in identified] == ["record.read", "audit.exported"]
    assert set(identified[0]) >= {"id", "created_at", "actor_label", "target", "mac", "prev_mac"}
    assert len(pseudonymous) == 5
    # A day and no time, no request; ordered by day, then by the random id.
    assert "day" in pseudonymous[0]
    assert not set(pseudonymous[0]) & LINKING_FIELDS
    assert [p["id"] for p in pseudonymous] == sorted(p["id"] for p in pseudonymous)
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o600


def test_it_exports_nothing_older_than_since() -> None:
    audit_record(actor=JOB, event=EventType.RECORD_READ)
    audit_record(actor=PseudonymousActor("tok"), event=EventType.RECORD_READ)
    out = StringIO()
    call_command("audit", "export", "--since", "2999-01-01T00:00", stdout=out)
    assert out.getvalue() == ""
    assert AuditEntry.objects.filter(event=EventType.AUDIT_EXPORTED).count() == 1


@pytest.mark.parametrize("since", ["yesterday", "2025-13-01", "2025-01-01 08:00"])
def test_it_refuses_a_bad_since(since: str) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit", "export", "--since", since)
    assert not AuditEntry.objects.exists()
