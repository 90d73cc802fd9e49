"""wellkept checkins purge-drafts: delete unfinished check-ins the notice says are not kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.assessments.services import DRAFT_DAYS, drafts_purge


@policy(
    action=Action.DELETE,
    resource=ResourceKind.PARTICIPANT_RECORD,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = (
        f"Delete unfinished check-ins older than {DRAFT_DAYS} days or from a period that "
        "has ended. Run it daily (see the administrator guide)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        purge = sub.add_parser("purge-drafts", help="Delete stale unfinished check-ins.")
        purge.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        purge.add_argument("--date", help="Act as if today were YYYY-MM-DD (for testing).")

    def handle(self, *args: Any, **options: Any) -> None:
        day = None
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(
                    f"--date {options['date']!r} is not a date; write it as YYYY-MM-DD."
                ) from None
        count = drafts_purge(
            actor=SystemActor("checkins purge-drafts"), day=day, dry_run=options["dry_run"]
        )
        verb = "Would delete" if options["dry_run"] else "Deleted"
        self.stdout.write(f"{verb} {count} unfinished check-in{'s' if count != 1 else ''}.")
