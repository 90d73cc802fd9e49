"""Parallel writers, each on its own connection, still build one unbroken chain."""

from __future__ import annotations

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections

from wellkept.actors import SystemActor
from wellkept.audit import checkpoints
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.audit.tests.tamper import AUDIT_ONLY
from wellkept.audit.verify import chain_verify

THREADS = 8
EVENTS_EACH = 50


@pytest.mark.django_db(transaction=True, available_apps=AUDIT_ONLY)
def test_it_chains_parallel_writers_on_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers with BEGIN IMMEDIATE")
    call_command("audit", "init", stdout=StringIO())
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            start.wait()
            for _ in range(EVENTS_EACH):
                audit_record(actor=SystemActor(f"writer-{number}"), event=EventType.RECORD_READ)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert AuditEntry.objects.count() == THREADS * EVENTS_EACH + 1
    checkpoints.checkpoint_write()
    result = chain_verify()
    assert result.intact, result.problems[:3]
    assert result.last_id == THREADS * EVENTS_EACH + 1
