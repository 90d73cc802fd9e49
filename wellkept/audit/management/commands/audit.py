"""wellkept audit: verify the chain, checkpoint its head, export for a SIEM."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import IO, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.audit import chain, checkpoints
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.audit.verify import chain_verify

EXPORT_FIELDS = ("id", *chain.FIELDS[1:], "mac")
SINCE_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M")


def parse_since(text: str) -> dt.datetime:
    """Read YYYY-MM-DD or YYYY-MM-DDTHH:MM in the configured time zone."""
    for fmt in SINCE_FORMATS:
        try:
            naive = dt.datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware below
        except ValueError:
            continue
        return timezone.make_aware(naive, timezone.get_default_timezone())
    raise CommandError(
        f"--since {text!r} is not a date. Use YYYY-MM-DD or YYYY-MM-DDTHH:MM, "
        "for example --since 2025-01-31 or --since 2025-01-31T08:00."
    )


# Declared like a view: this command reads, verifies and exports the audit trail.
@policy(action=Action.EXPORT, resource=ResourceKind.AUDIT_TRAIL, purpose=Purpose.AUDIT_OVERSIGHT)
class Command(BaseCommand):
    help = "Audit trail: verify the chain, checkpoint its head, export entries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = sub.add_parser("verify", help="Walk the chain and checkpoints; exit 1 if broken.")
        verify.add_argument(
            "--since-checkpoint",
            action="store_true",
            help="Start at the last checkpoint instead of the first entry.",
        )
        verify.add_argument("--quiet-problems", action="store_true", help="Print the summary only.")
        sub.add_parser("checkpoint", help="Copy the chain head to the checkpoint sinks.")
        export = sub.add_parser("export", help="Write entries as JSON lines for a SIEM.")
        export.add_argument("--since", required=True, help="YYYY-MM-DD or YYYY-MM-DDTHH:MM.")
        export.add_argument("--format", choices=["jsonl"], default="jsonl")
        export.add_argument("--output", help="File to write (created 0600); default stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor(f"audit {options['action']}")
        getattr(self, f"_{options['action']}")(actor, options)

    def _verify(self, actor: SystemActor, options: dict[str, Any]) -> None:
        result = chain_verify(since_checkpoint=options["since_checkpoint"])
        if not options["quiet_problems"]:
            for problem in result.problems:
                self.stderr.write(str(problem))
        # Recorded only once the walk is over, so the entry cannot be part of
        # what it vouches for; the next run checks it like any other.
        audit_record(
            actor=actor,
            event=EventType.AUDIT_VERIFIED,
            target=f"audit:{result.first_id or 0}-{result.last_id or 0}",
            reason="intact" if result.intact else f"broken: {result.problems[0]}"[:300],
        )
        self.stdout.write(result.summary())
        if not result.intact:
            sys.exit(1)

    def _checkpoint(self, actor: SystemActor, options: dict[str, Any]) -> None:
        head = AuditEntry.objects.order_by("-id").values_list("id", "mac").first()
        if head is None:
            self.stdout.write("the audit trail is empty; nothing to checkpoint.")
            return
        checkpoint = checkpoints.checkpoint_write(entry_id=head[0], mac=head[1])
        self.stdout.write(f"checkpointed entry {checkpoint.entry_id} at {checkpoint.at}.")

    def _export(self, actor: SystemActor, options: dict[str, Any]) -> None:
        since = parse_since(options["since"])
        output = options.get("output")
        with transaction.atomic():
            # Recorded first: an export that fails half-way was still an export.
            event = audit_record(
                actor=actor,
                event=EventType.AUDIT_EXPORTED,
                outcome=Outcome.ALLOWED,
                target=f"audit:since={since.isoformat()}",
                reason=f"jsonl to {'file' if output else 'stdout'}",
            )
        rows = (
            AuditEntry.objects.filter(created_at__gte=since, id__lte=event.id)
            .order_by("id")
            .values_list(*EXPORT_FIELDS)
        )
        if output:
            try:
                # IP addresses and request ids are personal data: owner-only file.
                fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                count = self._write_lines(rows, handle)
            self.stdout.write(f"exported {count} entries since {since.isoformat()} to {output}.")
        else:
            self._write_lines(rows, self.stdout)

    @staticmethod
    def _write_lines(rows: Any, handle: IO[str] | Any) -> int:
        count = 0
        for row in rows.iterator(chunk_size=2000):
            record = dict(zip(EXPORT_FIELDS, row, strict=True))
            record["created_at"] = chain.format_time(record["created_at"])
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
        return count
