"""`wellkept seed_demo`: build the demo hospital and print how to log in."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.orgs.demo import (
    DEFAULT_PARTICIPANTS,
    EMAIL_DOMAIN,
    PARTICIPANT_PASSWORD,
    DemoError,
    DemoSummary,
    demo_seed,
)


# Declared like a view: this command creates the synthetic demo organisation.
@policy(
    action=Action.CREATE, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(BaseCommand):
    help = (
        "Create the synthetic demo hospital (development only) and print one login per "
        "role. Safe to run again: an existing demo is left as it is and its logins are "
        "printed again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--participants",
            type=int,
            default=DEFAULT_PARTICIPANTS,
            help=f"how many synthetic clinicians to enrol (default {DEFAULT_PARTICIPANTS})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        quiet = options["verbosity"] == 0

        def progress(items: list[Any], label: str) -> Iterable[Any]:
            # A bar only on a terminal: in a log file it is a line of carriage returns.
            show = not quiet and sys.stderr.isatty()
            return tqdm(items, desc=label, unit=" people", disable=not show, leave=False)

        try:
            summary = demo_seed(participants=options["participants"], progress=progress)
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        self._print_summary(summary)

    def _print_summary(self, summary: DemoSummary) -> None:
        org = summary.organisation
        verb = "Created" if summary.created else "Already seeded:"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {org.name} (demo) with {summary.departments} departments and "
                f"{summary.participants} enrolled clinicians."
            )
        )
        headers = ("ROLE", "E-MAIL", "PASSWORD", "MFA: TOTP SECRET FOR AN AUTHENTICATOR APP")
        rows = [
            (row.role, row.email, row.password, row.totp_secret or "none (offered after login)")
            for row in summary.logins
        ]
        widths = [max(len(str(r[i])) for r in (headers, *rows)) for i in range(len(headers))]
        line = "  ".join("{:<%d}" % w for w in widths)  # noqa: UP031 - builds a format string
        self.stdout.write("")
        self.stdout.write(line.format(*headers).rstrip())
        for row_values in rows:
            self.stdout.write(line.format(*row_values).rstrip())
        self.stdout.write("")
        base_url = settings.WELLKEPT_BASE_URL
        self.stdout.write(
            f"Sign in at {base_url}/ with an e-mail and password above. Staff must pass MFA:\n"
            "  - add the TOTP secret to an authenticator app (Aegis, FreeOTP, ...), or\n"
            "  - print the current 6-digit code:   .venv/bin/wellkept demo_totp EMAIL\n"
            "  - list unused recovery codes:       "
            ".venv/bin/wellkept demo_totp EMAIL --recovery-codes\n"
            f"Every clinician login is firstname.lastname@{EMAIL_DOMAIN} with the password "
            f"{PARTICIPANT_PASSWORD}.\n"
            "All names are invented. Never use these credentials outside the demo."
        )
