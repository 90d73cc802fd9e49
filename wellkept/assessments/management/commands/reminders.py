"""wellkept reminders send: e-mail participants whose check-in is due, once per period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.assessments.models import today
from wellkept.assessments.reminders import MailServerUnavailable, reminders_send


def _day(value: str | None) -> dt.date:
    if value is None:
        return today()
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            f"--date {value!r} is not a date. Give it as YYYY-MM-DD, for example 2025-03-17."
        ) from None
    if day > today():
        # A reminder recorded for a future period would silence the real one.
        raise CommandError(
            f"--date {value} is in the future; reminders can only be sent for today or a past day."
        )
    return day


# Declared like a view: this command reads participant records (who is
# enrolled, consenting, opted out, done) to decide whom to remind.
@policy(
    action=Action.READ,
    resource=ResourceKind.PARTICIPANT_RECORD,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = "Check-in reminders: e-mail participants whose check-in for this period is due."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        send = sub.add_parser(
            "send", help="Send due reminders; running it again in the same period sends nothing."
        )
        send.add_argument("--dry-run", action="store_true", help="Count, send nothing.")
        send.add_argument(
            "--date", metavar="YYYY-MM-DD", help="The day to send for (default: today, UTC)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day = _day(options["date"])
        try:
            summary = reminders_send(
                actor=SystemActor("reminders send"), day=day, dry_run=options["dry_run"]
            )
        except MailServerUnavailable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(summary))
