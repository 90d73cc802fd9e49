"""wellkept insights rebuild|release-periods|release-views|settings: maintain the aggregates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.assessments.models import Response
from wellkept.insights.services import (
    insights_rebuild,
    insights_release_periods,
    insights_release_standard_views,
    insights_settings_update,
)
from wellkept.orgs.models import Organisation


def _on_off(value: str) -> bool:
    if value not in {"on", "off"}:
        raise CommandError(f"--dp takes 'on' or 'off', not {value!r}.")
    return value == "on"


@policy(
    action=Action.UPDATE,
    resource=ResourceKind.AGGREGATE,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = (
        "Rebuild the aggregate store from the encrypted responses, or change disclosure settings."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        rebuild = sub.add_parser(
            "rebuild", help="Recompute every cell from the responses (idempotent)."
        )
        rebuild.add_argument("--organisation", metavar="SLUG", help="Only this organisation.")
        rebuild.add_argument("--no-progress", action="store_true", help="No progress bar.")
        sub.add_parser(
            "release-periods",
            help="Differential privacy: noise each closed period once, ahead of viewers "
            "(idempotent; the scheduler runs it daily).",
        )
        views = sub.add_parser(
            "release-views",
            help="Release each closed period's standard dashboard views ahead of viewers, "
            "so a leader rarely waits for a first view (idempotent; the scheduler runs it daily).",
        )
        views.add_argument(
            "--dry-run", action="store_true", help="Say what would be released; release nothing."
        )
        views.add_argument(
            "--no-units",
            action="store_true",
            help="Only the organisation-wide views, not each top-level unit's.",
        )
        views.add_argument("--no-progress", action="store_true", help="No progress bar.")
        settings = sub.add_parser("settings", help="Show or change disclosure control.")
        settings.add_argument("--organisation", metavar="SLUG", required=True)
        settings.add_argument("--min-group-size", type=int, metavar="K")
        settings.add_argument("--dp", metavar="on|off")
        settings.add_argument("--epsilon-per-quarter", type=float, metavar="EPS")
        settings.add_argument("--epsilon-per-release", type=float, metavar="EPS")
        settings.add_argument(
            "--narrowing-share",
            type=float,
            metavar="SHARE",
            help="keep each person's score uncertain over at least this share of the range",
        )

    def _organisations(self, slug: str | None) -> list[Organisation]:
        if slug is None:
            return list(Organisation.objects.order_by("slug"))
        found = Organisation.objects.filter(slug=slug).first()
        if found is None:
            known = ", ".join(Organisation.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"No organisation {slug!r}. Known organisations: {known or 'none yet'}."
            )
        return [found]

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rebuild":
            self._rebuild(options)
        elif options["action"] == "release-periods":
            self.stdout.write(insights_release_periods().summary())
        elif options["action"] == "release-views":
            self._release_views(options)
        else:
            self._settings(options)

    def _rebuild(self, options: dict[str, Any]) -> None:
        actor = SystemActor("insights rebuild")
        cells = responses = 0
        drifted = []
        for organisation in self._organisations(options["organisation"]):
            total = Response.objects.filter(participant__organisation=organisation).count()
            with tqdm(
                total=total,
                unit="responses",
                desc=organisation.slug,
                disable=options["no_progress"],
                file=self.stderr,
            ) as bar:
                result = insights_rebuild(
                    actor=actor, organisation=organisation, progress=bar.update
                )
            cells += result.cells
            responses += result.responses
            if result.changed:
                drifted.append(organisation.slug)
        summary = f"Rebuilt {cells} cells from {responses} responses."
        if drifted:
            summary += (
                " The incremental cells of " + ", ".join(drifted) + " differed and are now "
                "corrected; please report this as a bug."
            )
        self.stdout.write(summary)

    def _release_views(self, options: dict[str, Any]) -> None:
        with tqdm(
            unit=" views", desc="standard views", disable=options["no_progress"], file=self.stderr
        ) as bar:
            try:
                result = insights_release_standard_views(
                    units=not options["no_units"],
                    dry_run=options["dry_run"],
                    progress=bar.update,
                )
            except PermissionDenied as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(result.summary())

    def _settings(self, options: dict[str, Any]) -> None:
        (organisation,) = self._organisations(options["organisation"])
        try:
            current = insights_settings_update(
                actor=SystemActor("insights settings"),
                organisation=organisation,
                min_group_size=options["min_group_size"],
                dp_enabled=_on_off(options["dp"]) if options["dp"] is not None else None,
                epsilon_per_quarter=options["epsilon_per_quarter"],
                epsilon_per_release=options["epsilon_per_release"],
                narrowing_share=options["narrowing_share"],
            )
        except ValidationError as exc:
            raise CommandError(" ".join(_messages(exc))) from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"{organisation.slug}: minimum group size {current.min_group_size}; "
            f"differential privacy {'on' if current.dp_enabled else 'off'} "
            f"(epsilon {current.epsilon_per_release} per release, "
            f"{current.epsilon_per_quarter} per quarter); scores kept uncertain over "
            f"{current.narrowing_share:g} of the range."
        )


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "message_dict"):
        return [f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()]
    return list(exc.messages)
