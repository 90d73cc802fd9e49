"""``wellkept invite EMAIL --org SLUG --role ROLE``: invite a staff member from the shell."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts.services import InvitationError, invitation_create
from wellkept.actors import SystemActor
from wellkept.orgs.models import InviteeRole, Organisation


# Declared like a view: this command invites staff.
@policy(
    action=Action.CREATE, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(BaseCommand):
    help = (
        "Invite someone to an organisation with a staff role. Sends the invitation "
        "e-mail and prints the link (for a first administrator, or when mail is not set up)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="the invitee's e-mail address")
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument(
            "--role", required=True, help=f"one of: {', '.join(InviteeRole.values)}", metavar="ROLE"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            slugs = ", ".join(Organisation.objects.values_list("slug", flat=True)[:20])
            raise CommandError(
                f"No organisation has the slug '{options['org']}'. "
                + (f"Known slugs: {slugs}." if slugs else "Create an organisation first.")
            )
        try:
            issued = invitation_create(
                actor=SystemActor("invite-command"),
                organisation=organisation,
                email=options["email"],
                role=options["role"],
            )
        except InvitationError as exc:
            raise CommandError(str(exc)) from None
        if issued.replaced:
            self.stdout.write(
                "The earlier invitation to this address was replaced; its link no longer works."
            )
        expires = issued.invitation.expires_at.strftime("%Y-%m-%d %H:%M %Z")
        self.stdout.write(f"Invitation link (single use, valid until {expires}):")
        self.stdout.write(issued.url)
