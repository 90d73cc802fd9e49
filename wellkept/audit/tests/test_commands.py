"""`wellkept audit checkpoint` and `wellkept audit export`."""

from __future__ import annotations

import json
import os
import stat
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from wellkept.actors import SystemActor
from wellkept.audit import checkpoints
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record

pytestmark = pytest.mark.django_db

JOB = SystemActor("test")


def test_it_checkpoints_the_head_to_an_owner_only_file(settings) -> None:
    audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    head = audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    out = StringIO()
    call_command("audit", "checkpoint", stdout=out)
    path: Path = settings.WELLKEPT_AUDIT_CHECKPOINT_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    line = json.loads(path.read_text().splitlines()[-1])
    assert (line["id"], line["mac"]) == (head.id, head.mac)
    assert f"checkpointed entry {head.id}" in out.getvalue()


def test_it_checkpoints_every_n_entries_after_commit_only(
    settings, django_capture_on_commit_callbacks
) -> None:
    settings.WELLKEPT_AUDIT_CHECKPOINT_EVERY = 2

    def rolled_back() -> None:
        with transaction.atomic():
            audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
            audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
            raise RuntimeError("undo")

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError, match="undo"):
            rolled_back()
        audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
        audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    marks = list(checkpoints.FileSink().read())
    head = AuditEntry.objects.order_by("-id").values_list("id", "mac").first()
    assert [(m.entry_id, m.mac) for m in marks if m] == [head]


def test_it_exports_jsonl_since_a_date_and_audits_the_export(tmp_path: Path) -> None:
    audit_record(actor=JOB, event=EventType.RECORD_READ, target="participant:tok")
    output = tmp_path / "audit.jsonl"
    call_command("audit", "export", "--since", "2000-01-01", "--output", str(output))
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["event"] for line in lines] == ["record.read", "audit.exported"]
    assert set(lines[0]) >= {"id", "created_at", "actor_label", "target", "mac", "prev_mac"}
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o600


def test_it_exports_nothing_older_than_since() -> None:
    audit_record(actor=JOB, event=EventType.RECORD_READ)
    out = StringIO()
    call_command("audit", "export", "--since", "2999-01-01T00:00", stdout=out)
    assert out.getvalue() == ""
    assert AuditEntry.objects.filter(event=EventType.AUDIT_EXPORTED).count() == 1


@pytest.mark.parametrize("since", ["yesterday", "2025-13-01", "2025-01-01 08:00"])
def test_it_refuses_a_bad_since(since: str) -> None:
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit", "export", "--since", since)
    assert not AuditEntry.objects.exists()
