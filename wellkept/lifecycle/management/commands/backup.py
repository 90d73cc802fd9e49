"""wellkept backup: encrypted backups that verify, restore and keep the erased erased."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import SystemActor
from wellkept.lifecycle.backup import services
from wellkept.lifecycle.backup.keys import BackupKeyError, key_create, key_path, key_rotate
from wellkept.lifecycle.backup.snapshot import SnapshotError
from wellkept.lifecycle.backup.stream import BackupFormatError
from wellkept.lifecycle.tombstones import TombstoneJournalError
from wellkept.vault.keyring import KeyringError

ESCROW = (
    "Escrow a copy of {path} now, somewhere apart from the backups and from the keyring "
    "(a safe, a password manager, a second site): without it no backup can be restored."
)
EXPECTED_ERRORS = (
    BackupFormatError,
    BackupKeyError,
    SnapshotError,
    TombstoneJournalError,
    KeyringError,
    services.RestoreRefused,
    services.RestoreIncomplete,
)


# Declared like a view: this command reads the whole database into a backup and replaces it.
@policy(
    action=Action.UPDATE, resource=ResourceKind.KEYS_BACKUPS, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(BaseCommand):
    help = "Encrypted backups: keygen, create, verify, restore, drill."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        keygen = sub.add_parser("keygen", help="Create the backup key file (escrow it).")
        keygen.add_argument(
            "--rotate", action="store_true", help="Add a new current key; old ones stay."
        )
        create = sub.add_parser("create", help="Write an encrypted backup and its manifest.")
        create.add_argument("path", type=Path, help="File to write, or a folder (dated name).")
        create.add_argument("--dry-run", action="store_true", help="Check and estimate only.")
        create.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        verify = sub.add_parser("verify", help="Prove a backup whole and untampered.")
        verify.add_argument("path", type=Path)
        verify.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        restore = sub.add_parser(
            "restore", help="Restore into an empty installation, then re-apply tombstones."
        )
        restore.add_argument("path", type=Path)
        restore.add_argument(
            "--force", action="store_true", help="Replace a non-empty installation."
        )
        restore.add_argument(
            "--dry-run", action="store_true", help="Verify and check only; change nothing."
        )
        restore.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")
        restore.add_argument(
            "--accept-tombstone-loss",
            metavar="BACKUP_ID",
            default=None,
            help=(
                "Restore although the tombstone journal is missing, damaged or short, accepting "
                "that people erased since may come back; give the backup's id. Audited. Run "
                "without it first to read what it means."
            ),
        )
        drill = sub.add_parser(
            "drill", help="Restore the latest backup into a scratch database and check it."
        )
        drill.add_argument(
            "--dir", type=Path, default=None, help="Folder of backups (default: the setting)."
        )
        drill.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        actor = SystemActor(f"backup {action}")
        try:
            getattr(self, f"_{action}")(actor, options)
        except EXPECTED_ERRORS as exc:
            raise CommandError(str(exc)) from None

    def _bar(self, options: dict[str, Any], desc: str, total: int | None = None) -> tqdm:
        return tqdm(
            total=total,
            unit="B",
            unit_scale=True,
            desc=desc,
            disable=options.get("no_progress", False),
        )

    def _keygen(self, actor: SystemActor, options: dict[str, Any]) -> None:
        key = key_rotate() if options["rotate"] else key_create()
        verb = "added new current backup key" if options["rotate"] else "created backup key"
        self.stdout.write(f"{verb} {key.key_id} in {key_path()}.")
        self.stdout.write(ESCROW.format(path=key_path()))

    def _create(self, actor: SystemActor, options: dict[str, Any]) -> None:
        with self._bar(options, "backing up") as bar:

            def set_total(total: int) -> None:
                bar.total = total
                bar.refresh()

            result = services.backup_create(
                actor=actor,
                path=options["path"],
                dry_run=options["dry_run"],
                progress=bar.update,
                total=set_total,
            )
        if result.key_created and not result.dry_run:
            self.stdout.write(f"No backup key existed: created {key_path()}.")
            self.stdout.write(ESCROW.format(path=key_path()))
        self.stdout.write(result.summary)

    def _verify(self, actor: SystemActor, options: dict[str, Any]) -> None:
        with self._bar(options, "verifying") as bar:
            try:
                report = services.backup_verify(path=options["path"], progress=bar.update)
            except (BackupFormatError, BackupKeyError) as exc:
                bar.close()
                self.stderr.write(f"refused: {exc}")
                sys.exit(1)
        self.stdout.write(report.summary)

    def _restore(self, actor: SystemActor, options: dict[str, Any]) -> None:
        with self._bar(options, "restoring") as bar:
            result = services.backup_restore(
                actor=actor,
                path=options["path"],
                force=options["force"],
                dry_run=options["dry_run"],
                progress=bar.update,
                accept_tombstone_loss=options["accept_tombstone_loss"],
            )
        for problem in result.journal_problems:
            self.stderr.write(
                f"tombstone loss accepted: {problem}. People erased since the backup may be "
                "back: erase them again as soon as you know who they are."
            )
        if result.rewind_checkpoint is not None:
            self.stdout.write(
                f"audit checkpoint {result.rewind_checkpoint} records the restore; the "
                "checkpoints from before it are kept and still checked."
            )
        for problem in result.restored_problems:
            self.stderr.write(f"audit problem in the restored chain: {problem}")
        if result.audit is not None:
            for chain_problem in result.audit.problems:
                self.stderr.write(f"audit problem: {chain_problem}")
        self.stdout.write(result.summary)
        if not result.audit_intact:
            sys.exit(1)

    def _drill(self, actor: SystemActor, options: dict[str, Any]) -> None:
        directory = options["dir"] or Path(settings.WELLKEPT_BACKUP_DIR)
        with self._bar(options, "drilling") as bar:
            result = services.backup_drill(actor=actor, directory=directory, progress=bar.update)
        for problem in result.problems:
            self.stderr.write(f"problem: {problem}")
        self.stdout.write(result.summary)
        if not result.ok:
            sys.exit(1)
