"""`wellkept demo_totp EMAIL`: print the current TOTP code of a demo account."""

from __future__ import annotations

from typing import Any

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.demo.hospital import DemoError, demo_account


# Declared like a view: this command prints second factors of demo accounts only.
@policy(action=Action.READ, resource=ResourceKind.ACCOUNT, purpose=Purpose.SERVICE_ADMINISTRATION)
class Command(BaseCommand):
    help = (
        "Print the current 6-digit TOTP code of a demo account, so the demo can be tried "
        "without an authenticator app. Refused for any account outside the demo "
        "organisation and in production."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email", help="e-mail address of a demo account")
        parser.add_argument(
            "--recovery-codes",
            action="store_true",
            help="print the account's unused recovery codes instead",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            user = demo_account(options["email"])
        except DemoError as exc:
            raise CommandError(str(exc)) from None
        kind = (
            Authenticator.Type.RECOVERY_CODES
            if options["recovery_codes"]
            else Authenticator.Type.TOTP
        )
        authenticator = Authenticator.objects.filter(user=user, type=kind).first()
        if authenticator is None:
            raise CommandError(
                f"This account has no {kind.label} set up. Sign in and set it up under "
                "Account → Two-factor authentication, or use another demo account."
            )
        # Printing a second factor is a read of a secret: it goes on the record.
        audit_record(
            actor=SystemActor("demo_totp"),
            event=EventType.RECORD_READ,
            target=f"user:{user.pk}",
            reason=f"demo {kind.value} printed",
            purpose=Purpose.SERVICE_ADMINISTRATION.value,
        )
        if options["recovery_codes"]:
            for code in RecoveryCodes(authenticator).get_unused_codes():
                self.stdout.write(code)
            return
        secret = decrypt(authenticator.data["secret"])
        # Read the time through the clock seam; allauth accepts codes from
        # the neighbouring periods too, so a code printed just before the
        # period turns still works.
        now = int(clock.now().timestamp())
        period = mfa_settings.TOTP_PERIOD
        self.stdout.write(format_hotp_value(hotp_value(secret, now // period)))
        if options["verbosity"] > 1:
            self.stderr.write(f"valid for about {period - now % period} more seconds")
