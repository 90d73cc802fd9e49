"""wellkept practice-room add|list: set up the rooms a practice books appointments into."""

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
from wellkept.practice.selectors import rooms
from wellkept.practice.services import room_create

ACTOR = SystemActor("practice-room")


@policy(
    action=Action.CREATE,
    resource=ResourceKind.ORG_CONFIG,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = "Set up a practice's rooms: add one, or list them."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        add = sub.add_parser("add", help="Add a room.")
        add.add_argument("name", metavar="NAME", help='The room\'s name, like "Room 2".')
        add.add_argument("--organisation", required=True, metavar="SLUG")
        add.add_argument("--note", default="", help='A capacity note, like "four chairs".')
        listing = sub.add_parser("list", help="List the practice's rooms.")
        listing.add_argument("--organisation", required=True, metavar="SLUG")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = organisations_named(options["organisation"])[0]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if options["action"] == "list":
            found = rooms(organisation)
            for room in found:
                note = f" ({room.capacity_note})" if room.capacity_note else ""
                self.stdout.write(f"{room.name}{note}")
            self.stdout.write(f"{len(found)} room(s) at {organisation.name}.")
            return
        try:
            room = room_create(
                actor=ACTOR,
                organisation=organisation,
                name=options["name"],
                capacity_note=options["note"],
            )
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(f"Added {room.name} to {organisation.name}.")
