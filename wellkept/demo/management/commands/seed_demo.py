"""`wellkept seed_demo`: build the demo hospital and print how to log in."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.demo.hospital import (
    DEFAULT_PARTICIPANTS,
    EMAIL_DOMAIN,
    PARTICIPANT_PASSWORD,
    DemoError,
    DemoSummary,
    demo_seed,
)
from wellkept.demo.practice import DEFAULT_SIZE, PracticeSize


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
        parser.add_argument(
            "--practice-clients",
            type=int,
            default=DEFAULT_SIZE.clients,
            help=f"invented clients the practice takes in (default {DEFAULT_SIZE.clients})",
        )
        parser.add_argument(
            "--practice-weeks",
            type=int,
            default=DEFAULT_SIZE.weeks,
            help=f"weeks of the practice's history before today (default {DEFAULT_SIZE.weeks})",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        # A bar only on a terminal: in a log file it is a line of carriage returns.
        show = not options["no_progress"] and options["verbosity"] > 0 and sys.stderr.isatty()
        started = time.perf_counter()
        with _Bar(enabled=show) as bar:
            try:
                summary = demo_seed(
                    participants=options["participants"],
                    practice=PracticeSize(
                        clients=options["practice_clients"], weeks=options["practice_weeks"]
                    ),
                    progress=bar,
                )
            except DemoError as exc:
                raise CommandError(str(exc)) from None
        self._print_summary(summary, seconds=time.perf_counter() - started)

    def _print_summary(self, summary: DemoSummary, *, seconds: float) -> None:
        self.stdout.write(self.style.SUCCESS(one_line(summary, seconds=seconds)))
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
            "The staff-support practice's clients are at "
            f"{base_url}/practice/clients/ (therapists, clinical supervisor, front desk, "
            "billing).\n"
            "All names are invented. Never use these credentials outside the demo."
        )


def one_line(summary: DemoSummary, *, seconds: float) -> str:
    """Say in one line what the run made (or found), like `wellkept seed` does."""
    org = summary.organisation
    history = (
        f", {summary.checkins:,} check-ins and {summary.responses:,} responses"
        if summary.checkins
        else ""
    )
    cases = f", {summary.cases} follow-up cases" if summary.cases else ""
    clients = f", {summary.clients} practice clients" if summary.clients else ""
    if summary.created:
        return (
            f"Created {org.name} (demo): {summary.departments} departments, "
            f"{summary.clinicians:,} clinicians ({summary.participants:,} taking part)"
            f"{history}{cases}{clients} in {seconds:.1f}s."
        )
    finished = f"; finished its history: {history.lstrip(', ')}" if history else ""
    return (
        f"Already seeded: {org.name} (demo), {summary.departments} departments, "
        f"{summary.participants:,} taking part{finished}{cases}; left as it was otherwise."
    )


class _Bar:
    """One progress bar for the whole run, on standard error, as `wellkept seed` shows it."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: tqdm[Any] | None = None

    def __enter__(self) -> _Bar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.close()

    def begin(self, total: int) -> None:
        if self.enabled and self.bar is None:
            self.bar = tqdm(total=total, unit=" steps", desc="seeding the demo", leave=False)

    def stage(self, label: str) -> None:
        if self.bar is not None:
            self.bar.set_description(label)

    def advance(self, steps: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(steps)
