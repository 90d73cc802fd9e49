"""wellkept seed: a synthetic organisation with participants and weeks of check-ins, fast."""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_slug
from tqdm import tqdm

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.assessments import periods
from wellkept.assessments.models import Frequency, today
from wellkept.demo import bulk as seeding

DEFAULT_PARTICIPANTS = 1000
DEFAULT_WEEKS = 52
DEFAULT_SEED = 20260301


# Declared like a view: this command creates token-level participant records
# (synthetic ones, in a synthetic organisation).
@policy(
    action=Action.CREATE,
    resource=ResourceKind.PARTICIPANT_RECORD,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = (
        "Create a synthetic organisation (or add to one made by this command) with "
        "participants who consented and weeks of submitted check-ins, for development, "
        "dashboards and benchmarks. Refused in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--organisation",
            default=seeding.SYNTHETIC_SLUG,
            metavar="SLUG",
            help=f"slug of the synthetic organisation (default {seeding.SYNTHETIC_SLUG!r})",
        )
        parser.add_argument(
            "--participants",
            type=int,
            default=DEFAULT_PARTICIPANTS,
            metavar="N",
            help=f"synthetic participants to add (default {DEFAULT_PARTICIPANTS}, "
            f"at most {seeding.MAX_PARTICIPANTS:,})",
        )
        parser.add_argument(
            "--weeks",
            type=int,
            default=DEFAULT_WEEKS,
            metavar="W",
            help=f"weeks of check-ins up to today (default {DEFAULT_WEEKS}, "
            f"at most {seeding.MAX_WEEKS})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            metavar="S",
            help="random seed: the same seed draws the same people and answers",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        slug, count, weeks, seed = (
            options["organisation"],
            options["participants"],
            options["weeks"],
            options["seed"],
        )
        try:
            seeding.refuse_in_production()
        except seeding.SeedError as exc:
            raise CommandError(str(exc)) from None
        self._check(slug=slug, count=count, weeks=weeks, seed=seed)
        started = time.perf_counter()
        try:
            organisation, created = seeding.synthetic_organisation(slug=slug)
            # Reproducible, and different for each run into the same
            # organisation: a second run must add new people, not clones.
            already = organisation.participants.count()
            rng = random.Random(f"{seed}/{already}")  # noqa: S311 - synthetic data, not secrets
            programme = seeding.programme_ensure(
                actor=seeding.SEED_ACTOR, organisation=organisation
            )
            notice = seeding.notice_ensure(
                actor=seeding.SEED_ACTOR,
                organisation=organisation,
                contact=seeding.SYNTHETIC_CONTACT,
            )
            end = today()
            first_week = periods.period_start(Frequency.WEEKLY, end)
            ids = seeding.seed_participants(
                organisation=organisation,
                notice=notice,
                count=count,
                enrolled_on=first_week - dt.timedelta(weeks=weeks - 1),
                rng=rng,
            )
            with tqdm(
                total=len(ids),
                unit=" people",
                desc="seeding check-ins",
                disable=options["no_progress"] or options["verbosity"] == 0,
            ) as bar:
                counts = seeding.seed_checkins(
                    organisation=organisation,
                    programme=programme,
                    participants=seeding.participants_by_id(ids),
                    weeks=weeks,
                    end=end,
                    rng=rng,
                    progress=bar.update,
                )
        except seeding.SeedError as exc:
            raise CommandError(str(exc)) from None
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        total = time.perf_counter() - started
        verb = "created" if created else "added to"
        self.stdout.write(
            f"{verb} {organisation.slug}: {count:,} participants, {counts.checkins:,} check-ins, "
            f"{counts.responses:,} responses, {counts.alerts:,} safety alerts in {total:.1f}s "
            f"({counts.responses_per_second:,.0f} responses/s)."
        )

    def _check(self, *, slug: str, count: int, weeks: int, seed: int) -> None:
        try:
            validate_slug(slug)
        except ValidationError:
            raise CommandError(
                f"--organisation {slug!r} is not a slug: use letters, digits, hyphens and "
                "underscores."
            ) from None
        if count < 1:
            raise CommandError(f"--participants must be at least 1 (got {count}).")
        if count > seeding.MAX_PARTICIPANTS:
            raise CommandError(
                f"--participants {count:,} is more than this command seeds in one run "
                f"({seeding.MAX_PARTICIPANTS:,}). Run it several times to go further."
            )
        if weeks < 1:
            raise CommandError(f"--weeks must be at least 1 (got {weeks}).")
        if weeks > seeding.MAX_WEEKS:
            raise CommandError(
                f"--weeks {weeks} is more than {seeding.MAX_WEEKS} (ten years); give fewer weeks."
            )
        if seed < 0:
            raise CommandError(f"--seed must be zero or more (got {seed}).")
