"""wellkept audit: start the trail, verify it, checkpoint its heads, export it for a SIEM."""

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
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.audit.services import audit_record
from wellkept.audit.sinks import SinkError, configured_sinks
from wellkept.audit.verify import chain_verify

EXPORT_FIELDS = ("id", *chain.FIELDS[1:], "mac")
PSEUDONYMOUS_EXPORT_FIELDS = (*chain.PSEUDONYMOUS_FIELDS, "mac")
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
    help = "Audit trail: start it, verify it, checkpoint its heads, export entries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        init = sub.add_parser(
            "init", help="Start the trail on a new installation: create the checkpoint sinks."
        )
        init.add_argument(
            "--if-new",
            action="store_true",
            help="Do nothing (exit 0) when the trail was started already.",
        )
        init.add_argument(
            "--adopt",
            action="store_true",
            help="Upgrade only: start checkpoints for a trail written before they were "
            "chained, after verifying every entry. Refused once any sink holds a checkpoint.",
        )
        verify = sub.add_parser(
            "verify",
            help="Walk both chains and every checkpoint sink; exit 1 if anything is wrong.",
        )
        verify.add_argument(
            "--since-checkpoint",
            action="store_true",
            help="Walk the identified chain from the last checkpoint instead of the first entry.",
        )
        verify.add_argument("--quiet-problems", action="store_true", help="Print the summary only.")
        sub.add_parser(
            "checkpoint", help="Write a checkpoint of both chains now (also catches up a sink)."
        )
        export = sub.add_parser("export", help="Write entries as JSON lines for a SIEM.")
        export.add_argument("--since", required=True, help="YYYY-MM-DD or YYYY-MM-DDTHH:MM.")
        export.add_argument("--format", choices=["jsonl"], default="jsonl")
        export.add_argument("--output", help="File to write (created 0600); default stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor(f"audit {options['action']}")
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except SinkError as exc:
            raise CommandError(str(exc)) from None

    # -- init ------------------------------------------------------------------

    def _init(self, actor: SystemActor, options: dict[str, Any]) -> None:
        evidence = checkpoints.read_evidence()
        if evidence.initialised:
            if options["if_new"]:
                if options["verbosity"]:
                    self.stdout.write("the audit trail was started already; nothing to do.")
                return
            raise CommandError(
                "The audit trail was started already: its checkpoint sinks hold "
                f"{len(evidence.merged)} checkpoints. A trail is started only once; run "
                "`wellkept audit verify` to see its state."
            )
        entries = AuditEntry.objects.count() + PseudonymousEntry.objects.count()
        reason = "new installation"
        if entries and not options["adopt"]:
            raise CommandError(
                f"The audit trail holds {entries} entries but no checkpoint sink holds a "
                "checkpoint. If the sinks were deleted, restore them from a copy: starting "
                "afresh would hide whatever was cut. If this installation is being upgraded "
                "from a version without chained checkpoints, move the old checkpoint file "
                "aside and run `wellkept audit init --adopt`."
            )
        if entries:
            result = chain_verify()
            broken = [p for p in result.problems if p.entry_id or "pseudonymous" in str(p)]
            if broken:
                raise CommandError(
                    f"The existing trail does not verify ({broken[0]}); it cannot be adopted. "
                    "Investigate with `wellkept audit verify` first."
                )
            reason = f"adopted {entries} existing entries after verifying them"
        genesis = checkpoints.checkpoint_initialise()
        with transaction.atomic():
            audit_record(
                actor=actor, event=EventType.AUDIT_INITIALISED, target="audit", reason=reason
            )
        first = checkpoints.checkpoint_write(force=True)
        names = ", ".join(sink.name for sink in configured_sinks())
        if options["verbosity"]:
            self.stdout.write(
                f"started the audit trail ({reason}): checkpoints {genesis.seq}.."
                f"{first.seq if first else genesis.seq} written to {names}."
            )

    # -- verify ----------------------------------------------------------------

    def _verify(self, actor: SystemActor, options: dict[str, Any]) -> None:
        result = chain_verify(since_checkpoint=options["since_checkpoint"])
        if not options["quiet_problems"]:
            for problem in result.problems:
                self.stderr.write(str(problem))
            for notice in result.notices:
                self.stdout.write(f"note: {notice}")
        # Recorded only once the walk is over, so the entry cannot be part of
        # what it vouches for; the next run checks it like any other. Not on
        # a trail never started: its first entry is `audit init`'s.
        if result.started:
            audit_record(
                actor=actor,
                event=EventType.AUDIT_VERIFIED,
                target=f"audit:{result.first_id or 0}-{result.last_id or 0}",
                reason="intact" if result.intact else f"broken: {result.problems[0]}"[:300],
            )
        self.stdout.write(result.summary())
        if not result.intact:
            sys.exit(1)

    # -- checkpoint ------------------------------------------------------------

    def _checkpoint(self, actor: SystemActor, options: dict[str, Any]) -> None:
        written = checkpoints.checkpoint_write(force=True)
        assert written is not None  # noqa: S101 - force always writes
        audit_head = written.heads.get("audit", checkpoints.Head.empty())
        self.stdout.write(
            f"checkpoint {written.seq}: the trail ends at entry {audit_head.position}; written "
            f"to {len(configured_sinks())} sinks."
        )

    # -- export ----------------------------------------------------------------

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
        # By day, then by the random id: the export gives no order of events
        # within a day either (docs/security.md, "No timing link").
        pseudonymous = (
            PseudonymousEntry.objects.filter(day__gte=since.astimezone(dt.UTC).date())
            .order_by("day", "id")
            .values_list(*PSEUDONYMOUS_EXPORT_FIELDS)
        )
        if output:
            try:
                # IP addresses and request ids are personal data: owner-only file.
                fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            except OSError as exc:
                raise CommandError(f"Cannot write {output}: {exc.strerror}.") from None
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                count = self._write_lines(rows, pseudonymous, handle)
            self.stdout.write(f"exported {count} entries since {since.isoformat()} to {output}.")
        else:
            self._write_lines(rows, pseudonymous, self.stdout)

    @staticmethod
    def _write_lines(rows: Any, pseudonymous: Any, handle: IO[str] | Any) -> int:
        count = 0
        for row in rows.iterator(chunk_size=2000):
            record = {"chain": "identified", **dict(zip(EXPORT_FIELDS, row, strict=True))}
            record["created_at"] = chain.format_time(record["created_at"])
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
        for row in pseudonymous.iterator(chunk_size=2000):
            record = {
                "chain": "pseudonymous",
                **dict(zip(PSEUDONYMOUS_EXPORT_FIELDS, row, strict=True)),
            }
            record["day"] = record["day"].isoformat()
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
        return count
