"""wellkept receipt verify FILE | public-key: check a signed deletion receipt, publish the key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.lifecycle.receipts import (
    ReceiptError,
    key_id,
    load_public_key,
    public_key_pem,
    receipt_parse,
    receipt_verify,
)

MAX_RECEIPT_BYTES = 1_000_000


# Reads no personal data: a receipt holds a keyed digest and counts only.
@policy(
    action=Action.READ,
    resource=ResourceKind.RETENTION_CONFIG,
    purpose=Purpose.SERVICE_ADMINISTRATION,
)
class Command(BaseCommand):
    help = "Verify a signed deletion receipt, or print the public key that verifies receipts."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        verify = sub.add_parser("verify", help="Check a receipt file's signature.")
        verify.add_argument("file", metavar="FILE")
        verify.add_argument(
            "--public-key",
            metavar="PEM_FILE",
            help="Verify with this published key instead of this installation's.",
        )
        sub.add_parser("public-key", help="Print the public key (PEM) and its id.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "public-key":
            self.stdout.write(public_key_pem().rstrip("\n"))
            self.stdout.write(f"key id {key_id()}")
            return
        document = self._read(Path(options["file"]))
        key = None
        if options["public_key"]:
            try:
                key = load_public_key(Path(options["public_key"]).read_text(encoding="ascii"))
            except (OSError, UnicodeError) as exc:
                raise CommandError(f"Cannot read the public key file: {exc}.") from None
            except ReceiptError as exc:
                raise CommandError(str(exc)) from None
        try:
            verified = receipt_verify(document, key)
        except ReceiptError as exc:
            raise CommandError(f"INVALID: {exc}") from None
        self.stdout.write(
            f"VALID: receipt {verified.receipt_id}, erased {verified.erased_at} under rule "
            f"{verified.rule!r}, {verified.rows_deleted} rows deleted, signed by key "
            f"{verified.key_id}."
        )

    def _read(self, path: Path) -> Any:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from None
        if len(raw) > MAX_RECEIPT_BYTES:
            raise CommandError(f"{path} is too large to be a deletion receipt.")
        try:
            # Strict: a key given twice, a fractional number or NaN is refused
            # here, so the fields checked are the ones a reader of the file sees.
            return receipt_parse(raw)
        except ReceiptError as exc:
            raise CommandError(f"INVALID: {path}: {exc}") from None
