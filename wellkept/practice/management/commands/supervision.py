"""wellkept supervision start: record that a clinical supervisor oversees a therapist."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.orgs.selectors import organisations_named
from wellkept.practice.services import supervision_start

ACTOR = SystemActor("supervision")


@policy(
    action=Action.CREATE, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(BaseCommand):
    help = "Record that a clinical supervisor supervises a therapist of the same practice."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        start = sub.add_parser("start", help="Start a supervision.")
        start.add_argument("--organisation", required=True, metavar="SLUG")
        start.add_argument("--supervisor", required=True, metavar="EMAIL")
        start.add_argument("--therapist", required=True, metavar="EMAIL")

    def _user(self, email: str) -> User:
        user = User.objects.get_by_email(email)
        if user is None:
            raise CommandError(f"No account with the address {email}.")
        return user

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            organisation = organisations_named(options["organisation"])[0]
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        supervisor = self._user(options["supervisor"])
        therapist = self._user(options["therapist"])
        try:
            supervision_start(
                actor=ACTOR, organisation=organisation, supervisor=supervisor, supervisee=therapist
            )
        except (PermissionDenied, ValidationError) as exc:
            raise CommandError(" ".join(getattr(exc, "messages", [str(exc)]))) from None
        self.stdout.write(f"Supervision recorded at {organisation.name}.")
