"""wellkept followup overdue|deadlines: tell wellbeing officers of waiting cases; set deadlines."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.followup.deadlines import deadlines_for, deadlines_set, overdue_tell
from wellkept.orgs.models import Organisation
from wellkept.orgs.selectors import organisations_named

ACTOR = SystemActor("followup-deadlines")


# Reads the state and day of cases nobody has taken; no message, note or result.
@policy(
    action=Action.READ,
    resource=ResourceKind.FOLLOW_UP_CASE,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = (
        "Tell each organisation's wellbeing officers (once a day) that follow-up cases wait "
        "past their deadline, or show and set the deadlines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        overdue = sub.add_parser(
            "overdue", help="E-mail the wellbeing officers where cases wait past the deadline."
        )
        overdue.add_argument("--dry-run", action="store_true", help="Count, send nothing.")
        overdue.add_argument("--organisation", metavar="SLUG", help="Only this organisation.")
        show = sub.add_parser("deadlines", help="Print, or with --alert-days/--request-days set.")
        show.add_argument("--organisation", metavar="SLUG", help="Only this organisation.")
        show.add_argument("--alert-days", type=int, metavar="N")
        show.add_argument("--request-days", type=int, metavar="N")

    def _organisations(self, slug: str | None) -> list[Organisation]:
        try:
            return organisations_named(slug)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "overdue":
            organisations = self._organisations(options["organisation"])
            if options["organisation"] is None:
                report = overdue_tell(actor=ACTOR, dry_run=options["dry_run"])
            else:
                report = overdue_tell(
                    actor=ACTOR, dry_run=options["dry_run"], organisation=organisations[0]
                )
            self.stdout.write(report.summary())
            return
        alert, request = options["alert_days"], options["request_days"]
        if alert is not None or request is not None:
            if options["organisation"] is None:
                raise CommandError("Name the organisation to change: --organisation SLUG.")
            organisation = self._organisations(options["organisation"])[0]
            current = deadlines_for(organisation)
            try:
                deadlines_set(
                    actor=ACTOR,
                    organisation=organisation,
                    alert_wait_days=current.alert_days if alert is None else alert,
                    request_wait_days=current.request_days if request is None else request,
                )
            except (ValidationError, PermissionDenied) as exc:
                raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        for organisation in self._organisations(options["organisation"]):
            found = deadlines_for(organisation)
            self.stdout.write(
                f"{organisation.slug}: safety alerts {found.alert_days} day(s), requests "
                f"{found.request_days} day(s)"
            )
