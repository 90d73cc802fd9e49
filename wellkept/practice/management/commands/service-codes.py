"""wellkept service-codes load FILE.csv: make a practice's service (CPT) codes those of a file.

CPT descriptors are licensed by the AMA, so Wellkept ships none: a practice
loads the codes it bills with its own short descriptions. The file has two
columns, code and description (a header line "code,description" is
allowed). Codes missing from the file are deactivated, never deleted, so
notes that carry them still read.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.orgs.selectors import organisations_named
from wellkept.practice.services import parse_service_codes, service_codes_load

ACTOR = SystemActor("service-codes")
# Far more than any practice bills with; a bigger file is not a code list.
MAX_BYTES = 256 * 1024


@policy(
    action=Action.UPDATE, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(BaseCommand):
    help = "Load a practice's service (CPT) codes from a CSV file of code,description lines."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        load = sub.add_parser("load", help="Make the practice's codes those of the file.")
        load.add_argument("file", metavar="FILE.csv", type=Path)
        load.add_argument("--organisation", required=True, metavar="SLUG")
        load.add_argument("--dry-run", action="store_true", help="Say what would change only.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = organisations_named(options["organisation"])[0]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        path: Path = options["file"]
        try:
            if path.stat().st_size > MAX_BYTES:
                raise CommandError(f"{path.name} is larger than {MAX_BYTES // 1024} KiB.")
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise CommandError(f"Cannot read {path.name}: {exc}") from None
        try:
            given = parse_service_codes(rows)
            result = service_codes_load(
                actor=ACTOR,
                organisation=organisation,
                codes_given=given,
                dry_run=options["dry_run"],
            )
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        would = "Would load" if options["dry_run"] else "Loaded"
        self.stdout.write(
            f"{would} {len(given)} service codes at {organisation.name}: {result.added} added, "
            f"{result.changed} changed, {result.deactivated} deactivated"
            + (" (dry run)." if options["dry_run"] else ".")
        )
