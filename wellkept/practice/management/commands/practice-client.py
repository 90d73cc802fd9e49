"""wellkept practice-client erase: erase one client of a practice, by code."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.orgs.selectors import organisations_named
from wellkept.practice.models import Client
from wellkept.practice.services import client_erase

ACTOR = SystemActor("practice-client")


@policy(
    action=Action.DELETE,
    resource=ResourceKind.CLIENT_RECORD,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = (
        "Erase a client of a practice: shred their data key, then delete their rows. "
        "The client is named by code, never by name."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        erase = sub.add_parser("erase", help="Erase one client for good.")
        erase.add_argument("code", metavar="CODE", help="The client's code, like C-7K3Q9.")
        erase.add_argument("--organisation", required=True, metavar="SLUG")
        erase.add_argument(
            "--dry-run", action="store_true", help="Say what would go; erase nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = organisations_named(options["organisation"])[0]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        code = options["code"].strip().upper()
        client = Client.objects.filter(organisation=organisation, code=code).first()
        if client is None:
            raise CommandError(f"No client {code} at {organisation.name}.")
        if options["dry_run"]:
            self.stdout.write(f"Would erase client {code} at {organisation.name} (dry run).")
            return
        try:
            client_erase(actor=ACTOR, client=client)
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(
            f"Erased client {code} at {organisation.name}: key shredded, rows deleted."
        )
