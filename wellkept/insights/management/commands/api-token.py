"""``wellkept api-token create EMAIL --org SLUG`` and ``wellkept api-token revoke PREFIX``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.insights.api_tokens import DEFAULT_DAYS, api_token_create, api_token_revoke
from wellkept.orgs.models import Organisation

ACTOR = SystemActor("api-token-command")


# Declared like a view: this command grants and takes away API access.
@policy(
    action=Action.CREATE, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(BaseCommand):
    help = "Create or revoke a personal API token for reading an organisation's dashboards."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a token and print it once")
        create.add_argument("email", help="the holder's login e-mail")
        create.add_argument("--org", required=True, help="the organisation's slug")
        create.add_argument(
            "--days", type=int, default=DEFAULT_DAYS, help=f"lifetime (default {DEFAULT_DAYS})"
        )
        create.add_argument("--name", default="", help="what the token is for")
        revoke = actions.add_parser("revoke", help="revoke a token at once")
        revoke.add_argument("prefix", help="the token's prefix (the part before the dot)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                self._create(options)
            else:
                token = api_token_revoke(actor=ACTOR, prefix=options["prefix"])
                self.stdout.write(f"Revoked API token {token.prefix}.")
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None

    def _create(self, options: dict[str, Any]) -> None:
        organisation = Organisation.objects.filter(slug=options["org"]).first()
        if organisation is None:
            raise CommandError(f"No organisation has the slug '{options['org']}'.")
        user = User.objects.get_by_email(options["email"])
        if user is None:
            raise CommandError(f"No login has the e-mail address {options['email']}.")
        issued = api_token_create(
            actor=ACTOR,
            user=user,
            organisation=organisation,
            days=options["days"],
            name=options["name"],
        )
        expires = issued.token.expires_at.strftime("%Y-%m-%d %H:%M %Z")
        self.stdout.write(f"API token (shown once; valid until {expires}):")
        self.stdout.write(issued.raw)
