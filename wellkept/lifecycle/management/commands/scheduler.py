"""wellkept scheduler: the embedded default's clock for recurring daily jobs.

Production runs the same jobs from cron or a systemd timer instead (see
docs/retention-and-erasure.md); each job is idempotent, so running one twice
(two schedulers, a manual run on top) deletes nothing twice.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.followup.deadlines import OVERDUE_HOUR_UTC, overdue_tell
from wellkept.insights.services import (
    insights_release_periods,
    insights_release_standard_views,
)
from wellkept.lifecycle.retention import retention_run


@dataclass(frozen=True)
class Job:
    name: str
    hour: int
    run: Callable[[], str]


def _retention() -> str:
    return retention_run().summary()


def _followup_overdue() -> str:
    return overdue_tell(actor=SystemActor("followup-deadlines")).summary()


def _insights_periods() -> str:
    # Noised periods first: an organisation in differential-privacy mode is
    # answered from them, and the standard views leave it to that job.
    periods = insights_release_periods().summary()
    return f"{periods} {insights_release_standard_views().summary()}"


def jobs() -> list[Job]:
    return [
        Job("retention", settings.WELLKEPT_RETENTION_HOUR, _retention),
        # Cases are dated by the day, so once a day is as often as a case
        # can newly pass its deadline.
        Job("followup-overdue", OVERDUE_HOUR_UTC, _followup_overdue),
        # Periods close at midnight on Sunday: noise them (differential-privacy
        # mode), or release their standard views through the auditor (exact
        # mode), before the first viewer of the day asks: a first view
        # against a heavy ledger takes seconds, a repeat view milliseconds.
        Job("insights-periods", 0, _insights_periods),
    ]


def _state_path() -> Path:
    return Path(settings.WELLKEPT_SCHEDULER_STATE_FILE)


def _load_state() -> dict[str, str]:
    try:
        data = json.loads(_state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        # No state yet, or a damaged file: every job is simply due; they
        # are idempotent, so an extra run costs time, not data.
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _save_state(state: dict[str, str]) -> None:
    path = _state_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    scratch = path.with_suffix(".tmp")
    scratch.write_text(json.dumps(state, indent=2), encoding="utf-8")
    scratch.replace(path)


def due(job: Job, state: dict[str, str]) -> bool:
    """A daily job is due once its hour (UTC) has come and it has not run today."""
    now = clock.now()
    return now.hour >= job.hour and state.get(job.name) != now.date().isoformat()


@policy(
    action=Action.DELETE,
    resource=ResourceKind.RETENTION_CONFIG,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = (
        "Run recurring jobs when they are due (retention, follow-up deadlines and the "
        "insights releases, daily); "
        "keeps running until stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run what is due, then exit.")
        parser.add_argument(
            "--poll",
            type=int,
            default=None,
            metavar="SECONDS",
            help="How often to look for due jobs (default WELLKEPT_SCHEDULER_POLL_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        poll = options["poll"] or settings.WELLKEPT_SCHEDULER_POLL_SECONDS
        if poll < 1:
            self.stderr.write("--poll must be at least 1 second; using 1.")
            poll = 1
        stopping = False

        def stop(_signum: int, _frame: Any) -> None:
            nonlocal stopping
            stopping = True

        if not options["once"]:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            names = ", ".join(f"{j.name} daily from {j.hour:02d}:00 UTC" for j in jobs())
            self.stdout.write(f"scheduler: {names}; looking every {poll} s. Ctrl-C stops.")
        while True:
            self._run_due()
            if options["once"] or stopping:
                return
            for _ in range(poll):
                if stopping:
                    return
                time.sleep(1)

    def _run_due(self) -> None:
        state = _load_state()
        for job in jobs():
            if not due(job, state):
                continue
            started = time.monotonic()
            try:
                summary = job.run()
            except Exception as exc:
                # One failed job must not stop the others. The type only is
                # printed: a message could quote data.
                self.stderr.write(
                    f"scheduler: {job.name} failed ({type(exc).__name__}); it is retried at "
                    "the next poll. Run it by hand to see why."
                )
                continue
            state[job.name] = clock.now().date().isoformat()
            _save_state(state)
            self.stdout.write(f"{summary} [{time.monotonic() - started:.1f} s]")
