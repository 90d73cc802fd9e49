"""wellkept retention run|show|set: delete what outlived its retention period; see, set periods."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.lifecycle.models import DataCategory
from wellkept.lifecycle.retention import retention_run
from wellkept.lifecycle.selectors import retention_settings
from wellkept.lifecycle.services import retention_set
from wellkept.orgs.models import Organisation
from wellkept.orgs.selectors import organisations_named


@policy(
    action=Action.DELETE,
    resource=ResourceKind.RETENTION_CONFIG,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = "Delete what has outlived its retention period (idempotent), or show and set periods."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        run = sub.add_parser("run", help="Delete expired data; --dry-run only counts it.")
        run.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        run.add_argument("--organisation", metavar="SLUG", help="Only this organisation.")
        run.add_argument("--no-progress", action="store_true", help="No progress bar.")
        show = sub.add_parser("show", help="Print the retention periods.")
        show.add_argument("--organisation", metavar="SLUG", help="Only this organisation.")
        change = sub.add_parser(
            "set", help="Change one period (the privacy officer's page does too)."
        )
        change.add_argument("--organisation", metavar="SLUG", required=True)
        change.add_argument(
            "--category",
            required=True,
            choices=DataCategory.values,
            metavar="CATEGORY",
            help="One of: " + ", ".join(DataCategory.values),
        )
        change.add_argument("--months", type=int, required=True, metavar="N")

    def _organisations(self, slug: str | None) -> list[Organisation]:
        try:
            return organisations_named(slug)
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _run(self, options: dict[str, Any]) -> None:
        organisation = (
            self._organisations(options["organisation"])[0] if options["organisation"] else None
        )
        quiet = options["no_progress"]

        def progress(items: Iterable[Any], label: str, total: int) -> Iterable[Any]:
            return tqdm(
                items, desc=label, total=total, unit="batch", disable=quiet, file=self.stderr
            )

        report = retention_run(
            dry_run=options["dry_run"], organisation=organisation, progress=progress
        )
        self.stdout.write(report.summary())

    def _show(self, options: dict[str, Any]) -> None:
        for organisation in self._organisations(options["organisation"]):
            periods = ", ".join(
                f"{s.category.value} {s.months}" for s in retention_settings(organisation)
            )
            self.stdout.write(f"{organisation.slug}: {periods} (months)")

    def _set(self, options: dict[str, Any]) -> None:
        (organisation,) = self._organisations(options["organisation"])
        try:
            row = retention_set(
                actor=SystemActor("retention set"),
                organisation=organisation,
                category=options["category"],
                months=options["months"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{organisation.slug}: {row.category} now kept {row.months} months.")
