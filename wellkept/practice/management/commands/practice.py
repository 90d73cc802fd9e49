"""wellkept practice JOB: the practice's daily jobs.

- ``reminders send``: e-mail tomorrow's appointment reminders, once each.
- ``plan-reviews``: e-mail therapists whose clients' plan reviews are due, once per review date.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.practice.reminders import MailServerUnavailable, reminders_send
from wellkept.practice.services import plan_reviews_remind
from wellkept.practice.services.plans import MailServerUnavailable as PlanMailUnavailable


# Declared like a view: the job reads the coming day's appointments (and
# the clients' contact choices) and marks each one reminded. The plan-review
# job reads clients administratively too (their code) and of each plan only
# its state and review date, never its content.
@policy(
    action=Action.READ,
    resource=ResourceKind.APPOINTMENT,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = "The practice's jobs: appointment reminders, plan review reminders."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="job", required=True, metavar="JOB")
        reminders = sub.add_parser("reminders", help="Appointment reminders.")
        actions = reminders.add_subparsers(dest="action", required=True, metavar="ACTION")
        send = actions.add_parser(
            "send",
            help="E-mail reminders of appointments in the next 24 hours; once per appointment.",
        )
        send.add_argument("--dry-run", action="store_true", help="Count, send nothing.")
        reviews = sub.add_parser(
            "plan-reviews",
            help="E-mail therapists whose clients' plan reviews are due within a week; "
            "once per plan and review date.",
        )
        reviews.add_argument("--dry-run", action="store_true", help="Count, send nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["job"] == "plan-reviews":
            try:
                reviews = plan_reviews_remind(
                    actor=SystemActor("practice plan-reviews"), dry_run=options["dry_run"]
                )
            except PlanMailUnavailable as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(str(reviews))
            return
        try:
            summary = reminders_send(
                actor=SystemActor("practice reminders send"), dry_run=options["dry_run"]
            )
        except MailServerUnavailable as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(summary))
