"""wellkept keys: inspect, rotate and retire key-encryption keys; shred a subject."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.vault import services
from wellkept.vault.keyring import KeyringError, LocalFileKeyring, get_keyring, reset_keyring
from wellkept.vault.models import DataKey


# Declared like a view: this command rotates, retires and shreds keys.
@policy(
    action=Action.UPDATE, resource=ResourceKind.KEYS_BACKUPS, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(BaseCommand):
    help = "Manage encryption keys: status, init, rotate, retire, shred."
    # The key file is what the checks would refuse: this command must still
    # run to create it (`init`) or to say what is wrong with it (`status`).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser("status", help="List key-encryption keys and how many data keys use each.")
        sub.add_parser("init", help="Create a new key file (new installations only).")
        rotate = sub.add_parser("rotate", help="Create a new KEK and rewrap every data key.")
        rotate.add_argument("--dry-run", action="store_true", help="Count, change nothing.")
        rotate.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        retire = sub.add_parser("retire", help="Remove an old KEK that no data key uses.")
        retire.add_argument("kek_id")
        shred = sub.add_parser(
            "shred", help="Destroy a subject's data key: its values become unreadable for good."
        )
        shred.add_argument("subject", help="Subject reference, e.g. participant:<token>.")
        shred.add_argument("--dry-run", action="store_true", help="Say what would happen.")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = SystemActor(f"keys {options['action']}")
        try:
            getattr(self, f"_{options['action']}")(actor, options)
        except (KeyringError, services.VaultError) as exc:
            raise CommandError(str(exc)) from None

    def _status(self, actor: SystemActor, options: dict[str, Any]) -> None:
        keyring = get_keyring()
        current = keyring.current_kek_id()
        for kek_id in keyring.kek_ids():
            used = DataKey.objects.filter(kek_id=kek_id, shredded_at__isnull=True).count()
            marker = " (current)" if kek_id == current else ""
            self.stdout.write(f"{kek_id}{marker}: {used} data keys")
        shredded = DataKey.objects.filter(shredded_at__isnull=False).count()
        self.stdout.write(f"shredded subjects: {shredded}")
        held = set(keyring.kek_ids())
        foreign = (
            DataKey.objects.filter(shredded_at__isnull=True)
            .exclude(kek_id__in=held)
            .exclude(kek_id="")
        )
        if foreign.exists():
            ids = sorted(set(foreign.values_list("kek_id", flat=True)))
            raise CommandError(
                f"{foreign.count()} data keys are wrapped by key-encryption keys this key file "
                f"does not hold ({', '.join(ids)}): it is not this database's key file. "
                "Restore the matching one from your key escrow."
            )

    def _init(self, actor: SystemActor, options: dict[str, Any]) -> None:
        keyring = get_keyring()
        if not isinstance(keyring, LocalFileKeyring):
            raise CommandError("`keys init` only creates local key files; use your KMS's tools.")
        if keyring.exists():
            raise CommandError(f"{keyring.path} already exists; refusing to replace a keyring.")
        created = LocalFileKeyring(keyring.path, create=True, guard_database=True)
        kek_id = created.current_kek_id()
        reset_keyring()
        self.stdout.write(f"Created {keyring.path} with key {kek_id}. Escrow a copy now.")

    def _rotate(self, actor: SystemActor, options: dict[str, Any]) -> None:
        if options["dry_run"]:
            result = services.keys_rotate(actor=actor, dry_run=True)
            self.stdout.write(
                f"dry run: would create a new key-encryption key and rewrap {result.total} "
                "data keys; nothing changed."
            )
            return
        total = DataKey.objects.filter(shredded_at__isnull=True).count()
        with tqdm(
            total=total, unit="key", desc="rewrapping", disable=options["no_progress"]
        ) as bar:
            result = services.keys_rotate(actor=actor, progress=bar.update)
        self.stdout.write(
            f"rotated: new key {result.new_kek_id}, {result.rewrapped} data keys rewrapped, "
            "no data re-encrypted."
        )

    def _retire(self, actor: SystemActor, options: dict[str, Any]) -> None:
        services.kek_retire(actor=actor, kek_id=options["kek_id"])
        self.stdout.write(f"retired {options['kek_id']}.")

    def _shred(self, actor: SystemActor, options: dict[str, Any]) -> None:
        subject = options["subject"]
        datakey = DataKey.objects.filter(subject=subject).first()
        if datakey is None:
            raise CommandError(
                f"No data key for subject {subject!r}. Check the reference with "
                "`wellkept keys status`; nothing was changed."
            )
        if datakey.is_shredded:
            self.stdout.write(f"{subject} was already shredded on {datakey.shredded_at:%Y-%m-%d}.")
            return
        if options["dry_run"]:
            self.stdout.write(f"dry run: would destroy the data key of {subject}.")
            return
        services.datakey_shred(actor=actor, subject=subject)
        self.stdout.write(f"shredded {subject}: every value under its key is now unreadable.")
