"""Cost of the audit trail, with its baselines measured in the same run.

Append: one event per transaction through audit_record (chain lock, head
read, MAC, insert) against inserting the same row with no lock and no MAC
into a plain table of the same shape, made for the benchmark and dropped
after it: rows without a valid MAC never enter the real trail, so the
database it leaves still verifies (and a backup of it still restores).
Verify: `chain_verify` over the whole chain (database read included) against
a plain hmac chain loop over the same entries already in memory.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

APPENDS = 1000
CHAIN = 20_000


def _plain_table() -> type[Any]:
    """A table with the audit trail's columns and index, and none of its guards."""
    from django.db import models

    from wellkept.audit.models import AuditEntry

    attrs: dict[str, Any] = {"__module__": __name__, "__str__": lambda self: f"row {self.pk}"}
    for original in AuditEntry._meta.concrete_fields:
        column = original.clone()
        column.choices = None
        attrs[original.name] = column

    class Meta:
        app_label = "bench"
        indexes = [models.Index(fields=["created_at"], name="bench_audit_created_at_idx")]

    attrs["Meta"] = Meta
    return type("PlainAuditEntry", (models.Model,), attrs)


def run() -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from wellkept import clock
    from wellkept.actors import SystemActor
    from wellkept.audit import chain, checkpoints
    from wellkept.audit.events import EventType
    from wellkept.audit.models import AuditEntry
    from wellkept.audit.services import audit_record
    from wellkept.audit.verify import chain_verify

    actor = SystemActor("bench")
    # A trail is started before its first entry (`wellkept audit init`).
    call_command("audit", "init", "--if-new", verbosity=0)

    start = time.perf_counter()
    for _ in range(APPENDS):
        audit_record(actor=actor, event=EventType.RECORD_READ, target="participant:bench")
    chained = (time.perf_counter() - start) / APPENDS

    # Fill the chain to CHAIN entries quickly (same MACs, bulk insert).
    head_id, head_mac = AuditEntry.objects.order_by("-id").values_list("id", "mac").first()  # type: ignore[misc]
    key = chain.chain_key()
    rows = []
    now = clock.now()
    for entry_id in range(head_id + 1, CHAIN + 1):
        entry = AuditEntry(
            id=entry_id,
            created_at=now,
            event=EventType.RECORD_READ,
            outcome="allowed",
            actor_label="system:bench",
            target=f"participant:t{entry_id}",
            prev_mac=head_mac,
        )
        entry.mac = head_mac = chain.compute_mac([getattr(entry, f) for f in chain.FIELDS], key=key)
        rows.append(entry)
    AuditEntry.objects.bulk_create(rows, batch_size=2000)
    checkpoints.checkpoint_write()

    start = time.perf_counter()
    result = chain_verify()
    verify_seconds = time.perf_counter() - start
    assert result.intact, result.problems[:3]

    entries = list(AuditEntry.objects.order_by("id").values_list(*chain.FIELDS, "mac"))
    start = time.perf_counter()
    prev = ""
    for row in entries:
        data = repr(row[:-1]).encode() + prev.encode()
        prev = hmac.new(key, data, hashlib.sha256).hexdigest()
    plain_seconds = time.perf_counter() - start

    # Baseline append: the same row, its own transaction, no lock, no head,
    # no MAC, into a table shaped like the trail's.
    plain = _plain_table()
    with connection.schema_editor() as editor:
        editor.create_model(plain)
    try:
        start = time.perf_counter()
        for _ in range(APPENDS):
            with transaction.atomic():
                plain(
                    created_at=clock.now(),
                    event=EventType.RECORD_READ,
                    outcome="allowed",
                    actor_label="system:bench",
                    target="participant:bench",
                    mac="0" * 64,
                ).save(force_insert=True)
        plain_insert = (time.perf_counter() - start) / APPENDS
    finally:
        with connection.schema_editor() as editor:
            editor.delete_model(plain)
    assert chain_verify().intact, "the benchmark left the audit trail broken"

    verify_rate = result.checked / verify_seconds
    plain_rate = len(entries) / plain_seconds
    print(
        f"audit append: {chained * 1e3:.3f} ms/event chained vs {plain_insert * 1e3:.3f} ms "
        f"plain insert (x{chained / plain_insert:.2f}), {APPENDS} events, one commit each"
    )
    print(
        f"audit verify: {verify_rate:,.0f} entries/s over {result.checked} entries vs "
        f"{plain_rate:,.0f} entries/s plain hmac loop in memory "
        f"(x{plain_rate / verify_rate:.2f} slower)"
    )
