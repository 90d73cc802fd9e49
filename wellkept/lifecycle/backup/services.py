"""Create, verify, restore and drill backups: what `wellkept backup` calls.

The order of a restore is the point of this module: the backup is proven
whole before anything is touched, the tombstone journal is proven intact
and complete before the database is replaced (without it, erased people
would come back), and every tombstone is re-applied through the one erasure
service before the installation is handed back.

"Complete" means the journal exists and reaches every head of it recorded
anywhere: the one the backup's manifest saw, the one in the backup's own
database, the one in the database being replaced, and any other checkpoint
sink (``tombstones.tombstone_heads_recorded``). Otherwise the restore is
refused with a sentence that says what would happen, and goes ahead only
when the operator accepts that for this backup by its id
(``accept_tombstone_loss``), which is audited.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.utils import load_backend
from django.utils.connection import ConnectionDoesNotExist

from wellkept import clock
from wellkept.access.purposes import Purpose
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.audit import chain, checkpoints, heads
from wellkept.audit.dbroles import as_owner, grant_application_role
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.audit.verify import VerifyResult, chain_verify
from wellkept.lifecycle import tombstones
from wellkept.lifecycle.backup import snapshot, stream
from wellkept.lifecycle.backup.keys import BackupKeyError, current_key, key_create, key_exists
from wellkept.lifecycle.backup.manifest import (
    Manifest,
    manifest_path,
    manifest_read,
    manifest_write,
)
from wellkept.lifecycle.backup.stream import BackupFormatError
from wellkept.orgs.models import Organisation, Participant
from wellkept.practice.models import Client
from wellkept.practice.services import client_erase
from wellkept.practice.tombstones import client_tombstone_token
from wellkept.vault.services import dek_cache

Progress = Callable[[int], object] | None
SUFFIX = ".wkbackup"
DRILL_ALIAS = "wellkept_backup_drill"


class RestoreRefused(Exception):
    """The restore was refused before anything was changed."""


class RestoreIncomplete(Exception):
    """The database was replaced but the restore could not finish."""


# -- helpers -------------------------------------------------------------------


class _HashingWriter:
    def __init__(self, target: BinaryIO) -> None:
        self.target = target
        self.sha = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.target.write(data)


class _HashingReader:
    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.sha = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        self.sha.update(data)
        self.size += len(data)
        return data


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_utc(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("wellkept")
    except PackageNotFoundError:
        return ""


def _private_tempdir(near: Path) -> Path:
    # Next to the database: the plaintext copy gets the same protection as
    # the database file itself, and a large copy does not fill a small /tmp.
    near.mkdir(parents=True, exist_ok=True, mode=0o700)
    return Path(tempfile.mkdtemp(prefix=".wellkept-backup-", dir=near))


def _scratch_near() -> Path:
    if connection.vendor == "sqlite":
        return snapshot.sqlite_path().parent
    return Path(tempfile.gettempdir())


def _open_backup(path: Path) -> BinaryIO:
    if path.is_dir():
        raise BackupFormatError(f"{path} is a directory; give the backup file itself.")
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise BackupFormatError(f"{path} does not exist.") from None
    except OSError as exc:
        raise BackupFormatError(f"{path} cannot be read ({exc.strerror}).") from None


# -- create --------------------------------------------------------------------


@dataclass(frozen=True)
class CreateResult:
    path: Path
    manifest_path: Path
    manifest: Manifest | None
    key_created: bool
    seconds: float
    dry_run: bool = False
    estimated_bytes: int = 0

    @property
    def summary(self) -> str:
        if self.dry_run:
            key = "would create a new backup key" if self.key_created else "backup key present"
            return (
                f"dry run: would back up about {self.estimated_bytes / 1e6:.1f} MB of "
                f"{snapshot.vendor()} to {self.path} ({key}); nothing written."
            )
        if self.manifest is None:
            return f"nothing was written to {self.path}."
        rows = sum(self.manifest.row_counts.values())
        return (
            f"backed up {rows} rows in {len(self.manifest.row_counts)} tables "
            f"({self.manifest.plain_size / 1e6:.1f} MB, {self.manifest.file_size / 1e6:.1f} MB "
            f"encrypted) to {self.path} in {self.seconds:.1f} s; backup id "
            f"{self.manifest.backup_id}, key {self.manifest.key_id}."
        )


def _target_file(path: Path, now: dt.datetime) -> Path:
    if path.is_dir():
        return path / f"wellkept-{now:%Y%m%dT%H%M%S}Z{SUFFIX}"
    return path


def backup_create(
    *,
    actor: SystemActor,
    path: Path,
    dry_run: bool = False,
    progress: Progress = None,
    total: Callable[[int], object] | None = None,
) -> CreateResult:
    """Snapshot the database, encrypt it under the backup key, write file and manifest."""
    started = time.monotonic()
    vendor = snapshot.vendor()
    now = clock.now()
    target = _target_file(Path(path), now)
    if target.exists() or manifest_path(target).exists():
        raise BackupFormatError(
            f"{target} already exists. Backups are never overwritten: choose a new name, or "
            "give a directory and a dated name is chosen."
        )
    if not target.parent.is_dir():
        raise BackupFormatError(
            f"The folder {target.parent} does not exist. Create it (mode 0700) first."
        )
    key_created = not key_exists()
    if dry_run:
        if vendor == "postgresql":
            snapshot._tool("pg_dump")
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_database_size(current_database())")
                estimate = int(cursor.fetchone()[0])
        else:
            estimate = snapshot.sqlite_path().stat().st_size
        tombstones.journal_position()  # a damaged journal is reported now, not at restore
        return CreateResult(target, manifest_path(target), None, key_created, 0.0, True, estimate)
    key = key_create() if key_created else current_key()
    # An empty journal is a file: a restore tells "no erasure yet" from "not
    # copied over" by its presence.
    tombstones.journal_touch()
    position = tombstones.journal_position()
    journal = tombstones.tombstones_since(None)
    # The database's head catches up with the journal (erasures from before
    # the head existed), so the snapshot below carries it.
    with transaction.atomic():
        tombstones.tombstone_head_checkpoint(position, journal[-1].at if journal else None)
    backup_id = uuid.uuid4().hex
    partial = target.with_name(f".{target.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as raw:
            writer = _HashingWriter(raw)
            if vendor == "sqlite":
                scratch = _private_tempdir(snapshot.sqlite_path().parent)
                try:
                    copy = scratch / "snapshot.sqlite3"
                    facts = snapshot.sqlite_snapshot(copy)
                    if total is not None:
                        total(copy.stat().st_size)
                    with copy.open("rb") as plain:
                        stats = stream.encrypt(
                            plain, writer, key=key, backup_id=backup_id, progress=progress
                        )
                finally:
                    shutil.rmtree(scratch, ignore_errors=True)
                snapshot_kind = "sqlite-online-backup"
            else:
                with snapshot.pg_snapshot() as (dump, facts, _process):
                    stats = stream.encrypt(
                        dump, writer, key=key, backup_id=backup_id, progress=progress
                    )
                snapshot_kind = "pg_dump-custom"
            raw.flush()
            os.fsync(raw.fileno())
        manifest = Manifest(
            backup_id=backup_id,
            created_at=_utc(now),
            vendor=vendor,
            snapshot=snapshot_kind,
            key_id=key.key_id,
            schema=facts.schema,
            row_counts=facts.row_counts,
            audit_head=facts.audit_head,
            tombstones={
                "lines": position.lines,
                "mac": position.mac,
                "last_at": _utc(journal[-1].at) if journal else "",
                # The head as the backed-up database itself recorded it.
                "database_head": facts.tombstone_head,
            },
            plain_size=stats.plain_size,
            plain_sha256=stats.plain_sha256,
            file_size=writer.size,
            file_sha256=writer.sha.hexdigest(),
            chunks=stats.chunks,
            chunk_size=stream.CHUNK_SIZE,
            wellkept_version=_version(),
        ).signed(key)
        os.replace(partial, target)
        written = manifest_write(target, manifest)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    audit_record(
        actor=actor,
        event=EventType.BACKUP_CREATED,
        target=f"backup:{backup_id}",
        purpose=Purpose.SERVICE_ADMINISTRATION.value,
        reason=f"{vendor}, {manifest.file_size} bytes, key {key.key_id}",
    )
    return CreateResult(target, written, manifest, key_created, time.monotonic() - started)


# -- verify --------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyReport:
    manifest: Manifest
    seconds: float

    @property
    def summary(self) -> str:
        m = self.manifest
        return (
            f"backup {m.backup_id} is complete and untampered: {m.chunks} chunks, "
            f"{m.plain_size / 1e6:.1f} MB of {m.vendor}, taken {m.created_at}, key {m.key_id} "
            f"(checked in {self.seconds:.1f} s)."
        )


def _checked_chunks(path: Path, manifest: Manifest, progress: Progress) -> Iterator[bytes]:
    """Yield the plaintext; finish only if file and plaintext match the manifest."""
    handle = _open_backup(path)
    with handle:
        reader = _HashingReader(handle)
        plain_sha = hashlib.sha256()
        plain_size = 0
        for chunk in stream.decrypt(
            reader,
            expected_backup_id=manifest.backup_id,
            progress=progress,
        ):
            plain_sha.update(chunk)
            plain_size += len(chunk)
            yield chunk
    if reader.size != manifest.file_size or reader.sha.hexdigest() != manifest.file_sha256:
        raise BackupFormatError("The backup file does not match its manifest's checksum.")
    if plain_size != manifest.plain_size or plain_sha.hexdigest() != manifest.plain_sha256:
        raise BackupFormatError("The decrypted backup does not match its manifest's checksum.")


def _manifest_for(path: Path) -> Manifest:
    # The file first: "not a backup" is a better message than "manifest missing".
    with _open_backup(path) as handle:
        stream.read_header(handle)
    return manifest_read(path)


def backup_verify(*, path: Path, progress: Progress = None) -> VerifyReport:
    """Prove the backup whole and untampered by authenticating every byte; restore nothing."""
    started = time.monotonic()
    manifest = _manifest_for(Path(path))
    for _chunk in _checked_chunks(Path(path), manifest, progress):
        pass
    return VerifyReport(manifest, time.monotonic() - started)


# -- restore -------------------------------------------------------------------


def installation_is_empty() -> bool:
    """True when no organisation, account, participant or audit entry exists yet."""

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    models = (AuditEntry, User, Organisation, Participant)
    return not any(m._meta.db_table in tables and m.objects.exists() for m in models)


def _check_schema(manifest: Manifest) -> bool:
    """Refuse a backup from a newer Wellkept; return True when migrations must run after."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    unknown = [f"{app}.{name}" for app, name in manifest.schema.items() if (app, name) not in known]
    if unknown:
        raise RestoreRefused(
            "This backup was made by a newer Wellkept: its schema has migrations this "
            f"installation does not know ({', '.join(sorted(unknown)[:5])}). Install the "
            "version that made it, restore, then upgrade."
        )
    leaves = loader.graph.leaf_nodes()
    return any(manifest.schema.get(app) != name for app, name in leaves)


@dataclass
class RestoreResult:
    manifest: Manifest
    seconds: float = 0.0
    tombstones_total: int = 0
    tombstones_after_backup: int = 0
    reapplied: int = 0
    clients_reapplied: int = 0
    migrated: bool = False
    lost_entries_hint: int = 0
    rewind_checkpoint: int | None = None
    audit: VerifyResult | None = None
    restored_problems: list[str] = field(default_factory=list)
    dry_run: bool = False
    # What was wrong with the tombstone journal, when the loss was accepted.
    journal_problems: list[str] = field(default_factory=list)

    @property
    def audit_intact(self) -> bool:
        return not self.restored_problems and (self.audit is None or self.audit.intact)

    @property
    def summary(self) -> str:
        m = self.manifest
        if self.dry_run:
            return (
                f"dry run: backup {m.backup_id} ({m.created_at}) verifies and can be restored "
                f"here; the tombstone journal holds {self.tombstones_total} tombstones, "
                f"{self.tombstones_after_backup} recorded after the backup. Nothing changed."
            )
        audit = self.audit.summary() if self.audit is not None else "not verified"
        lost = (
            f"; at least {self.lost_entries_hint} audit entries written after the backup are "
            "lost (the checkpoints written before the restore still name them)"
            if self.lost_entries_hint
            else ""
        )
        accepted = (
            "; TOMBSTONE LOSS ACCEPTED (" + "; ".join(self.journal_problems) + ")"
            if self.journal_problems
            else ""
        )
        return (
            f"restored backup {m.backup_id} taken {m.created_at} in {self.seconds:.1f} s; "
            f"{self.reapplied} erased participants erased again (and "
            f"{self.clients_reapplied} erased practice clients) from "
            f"{self.tombstones_total} tombstones ({self.tombstones_after_backup} recorded after "
            f"the backup){'; migrations applied' if self.migrated else ''}; audit: {audit}{lost}"
            f"{accepted}."
        )


@dataclass(frozen=True)
class JournalCheck:
    """What the restore found about the tombstone journal before changing anything."""

    journal: list[tombstones.Tombstone]
    problems: list[str]
    newest: str


def _heads_to_reach(manifest: Manifest) -> list[tombstones.RecordedHead]:
    heads = [
        tombstones.RecordedHead(
            source="the backup's manifest",
            position=tombstones.JournalPosition(
                int(manifest.tombstones["lines"]), str(manifest.tombstones["mac"])
            ),
        )
    ]
    inside = manifest.tombstones.get("database_head") or {}
    if int(inside.get("lines", 0) or 0):
        heads.append(
            tombstones.RecordedHead(
                source="the backup's own database",
                position=tombstones.JournalPosition(int(inside["lines"]), str(inside["mac"])),
            )
        )
    # The database about to be replaced, and any other sink of heads.
    heads.extend(tombstones.tombstone_heads_recorded())
    return [h for h in heads if h.position.lines > 0]


def _check_journal(manifest: Manifest) -> JournalCheck:
    """Read the journal and check it against every recorded head; collect what is wrong."""
    path = tombstones.journal_path()
    problems: list[str] = []
    journal: list[tombstones.Tombstone] = []
    heads = _heads_to_reach(manifest)
    newest = max((h.position.lines for h in heads), default=0)
    if not tombstones.journal_exists():
        problems.append(f"the tombstone journal {path} is missing")
    else:
        try:
            journal = tombstones.tombstones_since(None)
        except tombstones.TombstoneJournalError as exc:
            problems.append(str(exc).rstrip("."))
        else:
            for head in heads:
                if not tombstones.journal_reaches(head.position):
                    problems.append(
                        f"the tombstone journal {path} is shorter than {head.source} says it "
                        f"was (it then had {head.position.lines} lines): it was cut back or "
                        "replaced"
                    )
    detail = (
        f"at least {newest} erasure(s) were recorded" if newest else "erasures may have happened"
    )
    return JournalCheck(journal, problems, detail)


def _journal_refusal(manifest: Manifest, check: JournalCheck) -> RestoreRefused:
    return RestoreRefused(
        "Restore refused: "
        + "; ".join(check.problems)
        + f". {check.newest[0].upper()}{check.newest[1:]} that this journal cannot re-apply: "
        "restoring now would bring people who asked to be erased back, with their answers "
        "readable again. Put back the journal from its copy (see docs/backups.md) and run the "
        "restore again. Only if the journal is truly lost: everyone erased after this backup "
        f"was taken ({manifest.created_at}) and not in the journal comes back until erased "
        "again by hand, the tombstone history restarts from what is left, and the override "
        "is recorded in the audit trail; to accept that for this backup, add "
        f"--accept-tombstone-loss {manifest.backup_id}."
    )


def _preflight(
    path: Path, *, force: bool, accept_tombstone_loss: str | None = None
) -> tuple[Manifest, bool, JournalCheck]:
    manifest = _manifest_for(path)
    vendor = snapshot.vendor()
    if manifest.vendor != vendor:
        raise RestoreRefused(
            f"This is a {manifest.vendor} backup; this installation uses {vendor}. Restore it "
            f"into a {manifest.vendor} installation (you can migrate data afterwards)."
        )
    needs_migrate = _check_schema(manifest)
    # The journal is read and checked before anything changes: restoring
    # without it would bring erased people back.
    check = _check_journal(manifest)
    if check.problems:
        if accept_tombstone_loss is None:
            raise _journal_refusal(manifest, check)
        if accept_tombstone_loss.strip() != manifest.backup_id:
            raise RestoreRefused(
                f"--accept-tombstone-loss names {accept_tombstone_loss.strip()!r}, not this "
                f"backup ({manifest.backup_id}). The override is given for one backup, after "
                "reading what it means: run the restore without it to see the explanation."
            )
    if not force and not installation_is_empty():
        raise RestoreRefused(
            "This installation is not empty (it has accounts, organisations, participants or "
            "audit entries). A restore replaces everything in it. Restore into a fresh "
            "installation, or add --force if replacing this data is really intended."
        )
    return manifest, needs_migrate, check


def _replace_database(path: Path, manifest: Manifest, progress: Progress) -> None:
    if manifest.vendor == "sqlite":
        scratch = _private_tempdir(_scratch_near())
        try:
            plain = scratch / "restore.sqlite3"
            fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                for chunk in _checked_chunks(path, manifest, progress):
                    out.write(chunk)
            # Only a copy that authenticated to the last byte reaches the database.
            snapshot.sqlite_restore(plain)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    else:
        # Proven whole first (no plaintext on disk); the second pass streams
        # into pg_restore's single transaction, which rolls back on any error.
        for _chunk in _checked_chunks(path, manifest, None):
            pass
        connection.close()
        # Replacing tables is the owner's work (docs/admin-guide.md, "Database
        # roles"); the application role then gets its grants on the new ones.
        with as_owner() as app_role:
            snapshot.pg_restore(_checked_chunks(path, manifest, progress))
            if app_role:
                grant_application_role(connection, app_role)
        connection.close()


def _restored_chain(manifest: Manifest, result: RestoreResult) -> None:
    """Check the restored chain against the checkpoints, then record the restore in them.

    The checkpoints outlive the database, so they still vouch for entries
    written after the backup. Those entries are gone; the checkpoints prove
    the restored chain is a true prefix of the history and say how much was
    lost. A rewind checkpoint then records the restore: `verify` keeps
    checking everything before it, and counts the entries past the restored
    end as lost with the restore instead of calling the new ones forged.
    """
    head_id = int(manifest.audit_head["id"])
    head = AuditEntry.objects.order_by("-id").values_list("id", "mac").first()
    if (head or (0, ""))[0] != head_id or (
        head_id and head and head[1] != manifest.audit_head["mac"]
    ):
        result.restored_problems.append(
            "the restored audit chain does not end at the head the manifest recorded"
        )
    evidence = checkpoints.read_evidence()
    restored = (
        dict(AuditEntry.objects.filter(id__lte=head_id).order_by("id").values_list("id", "mac"))
        if head_id
        else {}
    )
    for check in checkpoints.head_checks(evidence):
        if check.name != heads.IDENTIFIED or check.lost or not check.head.position:
            continue
        position = check.head.position
        if position > head_id:
            result.lost_entries_hint = max(result.lost_entries_hint, position - head_id)
        elif restored.get(position) != check.head.mac:
            result.restored_problems.append(
                f"entry {position} differs from what checkpoint {check.seq} vouched for"
            )
    note = (
        f"restored backup {manifest.backup_id} taken {manifest.created_at}; the trail now ends "
        f"at entry {head_id}"
    )
    if not evidence.initialised:
        # A restore onto an installation whose sinks were never started (or
        # not copied over): the restore is explicit and audited, so it
        # starts them, and the rewind says why the trail is not empty.
        checkpoints.checkpoint_initialise()
    result.rewind_checkpoint = checkpoints.checkpoint_rewind(note=note).seq


def _reapply(journal: list[tombstones.Tombstone], actor: SystemActor) -> tuple[int, int]:
    """Erase again everyone the journal names; return how many participants and clients."""
    from wellkept.lifecycle.models import ErasureRule, LegalHold
    from wellkept.lifecycle.services import participant_erase

    wanted = {t.digest for t in journal}
    erased = 0
    # Every tombstone, not only those after the backup: an erasure that
    # committed while the snapshot was being taken, or a write-ahead
    # tombstone whose erasure rolled back, is re-applied too (the safe side).
    for participant in Participant.objects.order_by("pk").iterator(chunk_size=500):
        if tombstones.tombstone_digest(participant.token) in wanted:
            # Named explicitly: re-applying an erasure is never held back.
            participant_erase(actor=actor, participant=participant, rule=ErasureRule.JOB)
            erased += 1
    clients = 0
    for client in list(Client.objects.order_by("pk")):
        if tombstones.tombstone_digest(client_tombstone_token(client.pk)) in wanted:
            # A hold in the backup was lifted before the erasure (an erasure
            # is refused under a hold), so it is stale: it must not keep a
            # record whose erasure already happened.
            LegalHold.objects.filter(client=client).delete()
            client_erase(actor=actor, client=client)
            clients += 1
    return erased, clients


def backup_restore(
    *,
    actor: SystemActor,
    path: Path,
    force: bool = False,
    dry_run: bool = False,
    progress: Progress = None,
    accept_tombstone_loss: str | None = None,
) -> RestoreResult:
    """Restore a verified backup, re-apply every tombstone, verify and audit.

    ``accept_tombstone_loss`` (the backup's id) lets a restore go ahead
    when the tombstone journal is missing, damaged or short; see
    ``_journal_refusal`` for what that means. It is audited.
    """
    started = time.monotonic()
    path = Path(path)
    manifest, needs_migrate, check = _preflight(
        path, force=force, accept_tombstone_loss=accept_tombstone_loss
    )
    journal = check.journal
    taken = _parse_utc(manifest.created_at)
    result = RestoreResult(
        manifest,
        tombstones_total=len(journal),
        tombstones_after_backup=sum(1 for t in journal if t.at >= taken),
        dry_run=dry_run,
        journal_problems=list(check.problems),
    )
    if dry_run:
        for _chunk in _checked_chunks(path, manifest, progress):
            pass
        return result
    _replace_database(path, manifest, progress)

    # Data keys cached from the database that was just replaced.
    dek_cache.clear()
    if needs_migrate:
        call_command("migrate", interactive=False, verbosity=0)
        result.migrated = True
    _restored_chain(manifest, result)
    try:
        result.reapplied, result.clients_reapplied = _reapply(journal, actor)
    except Exception as exc:
        # The database is already replaced: say exactly how to finish.
        raise RestoreIncomplete(
            f"The database was restored, but re-applying the tombstones stopped ({exc}). "
            "Erased people may be back: fix the cause and run the same restore again with "
            "--force (it starts over and re-applies every tombstone)."
        ) from exc
    # The journal and the restored database's head agree again: with an
    # accepted loss, the history restarts from what the journal holds.
    tombstones.journal_touch()
    try:
        position = tombstones.journal_position()
    except tombstones.TombstoneJournalError:
        # Only reached with the loss accepted (a damaged journal is refused
        # otherwise): kept aside for inspection, and a new one begins.
        damaged = tombstones.journal_path()
        os.replace(
            damaged, damaged.with_name(f"{damaged.name}.damaged-{clock.now():%Y%m%dT%H%M%S}Z")
        )
        tombstones.journal_touch()
        position = tombstones.journal_position()
    with transaction.atomic():
        if check.problems:
            tombstones.tombstone_head_reset(position, journal[-1].at if journal else None)
        else:
            tombstones.tombstone_head_checkpoint(position, journal[-1].at if journal else None)
    if check.problems:
        # The journal's end was put back (the loss accepted above): the
        # checkpoints record that as a restore, not as a cut.
        checkpoints.checkpoint_rewind(
            note=(
                f"tombstone journal restarted at line {position.lines} after restoring backup "
                f"{manifest.backup_id} with its loss accepted"
            )
        )
    audit_record(
        actor=actor,
        event=EventType.BACKUP_RESTORED,
        outcome=Outcome.ALLOWED,
        target=f"backup:{manifest.backup_id}",
        purpose=Purpose.SERVICE_ADMINISTRATION.value,
        reason=(
            f"taken {manifest.created_at}; {result.reapplied} re-erased "
            f"(and {result.clients_reapplied} practice clients) from "
            f"{len(journal)} tombstones; audit entries lost after backup: "
            f"at least {result.lost_entries_hint}"
        ),
    )
    if check.problems:
        audit_record(
            actor=actor,
            event=EventType.BACKUP_RESTORE_OVERRIDE,
            outcome=Outcome.ALLOWED,
            target=f"backup:{manifest.backup_id}",
            purpose=Purpose.SERVICE_ADMINISTRATION.value,
            reason=("--accept-tombstone-loss: " + "; ".join(check.problems))[:500],
        )
    result.audit = chain_verify()
    checkpoints.checkpoint_write()
    result.seconds = time.monotonic() - started
    return result


# -- drill ---------------------------------------------------------------------


@dataclass
class DrillResult:
    backup: Path
    manifest: Manifest
    seconds: float = 0.0
    entries_checked: int = 0
    tables_checked: int = 0
    would_reapply: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def summary(self) -> str:
        state = (
            "passed" if self.ok else f"FAILED ({len(self.problems)} problem(s): {self.problems[0]})"
        )
        return (
            f"restore drill {state}: backup {self.manifest.backup_id} taken "
            f"{self.manifest.created_at} restored into a scratch database in "
            f"{self.seconds:.1f} s; {self.tables_checked} tables' row counts and "
            f"{self.entries_checked} audit entries checked; {self.would_reapply} participants "
            "or practice clients would be erased again from the tombstone journal."
        )


def latest_backup(directory: Path) -> Path:
    """Return the newest backup file in ``directory`` (by modification time)."""
    if not directory.is_dir():
        raise BackupFormatError(f"{directory} is not a folder of backups.")
    # By file time, not by the newest manifest that verifies: a damaged
    # newest backup must fail the drill, not be skipped for an older one.
    found = [(p.stat().st_mtime_ns, p) for p in directory.glob(f"*{SUFFIX}") if p.is_file()]
    if not found:
        raise BackupFormatError(
            f"No backup in {directory}. Make one with `wellkept backup create {directory}`."
        )
    return max(found)[1]


def _walk_chain(alias: str, head_id: int) -> tuple[int, list[str]]:
    """Check every link and MAC of the chain in the scratch database."""
    problems: list[str] = []
    key = chain.chain_key()
    marks = {
        check.head.position: check.head.mac
        for check in checkpoints.head_checks(checkpoints.read_evidence())
        if check.name == heads.IDENTIFIED and not check.lost and check.head.position <= head_id
    }
    prev_mac = ""
    expected = 1
    checked = 0
    rows = AuditEntry.objects.using(alias).order_by("id").values_list(*chain.FIELDS, "mac")
    for row in rows.iterator(chunk_size=5000):
        entry_id = row[0]
        if entry_id != expected:
            problems.append(f"entry {expected}: missing")
        if row[-2] != prev_mac:
            problems.append(f"entry {entry_id}: does not follow the entry before it")
        if chain.compute_mac(row[:-1], key=key) != row[-1]:
            problems.append(f"entry {entry_id}: MAC does not match")
        if entry_id in marks and marks[entry_id] != row[-1]:
            problems.append(f"entry {entry_id}: differs from its checkpoint")
        prev_mac, expected, checked = row[-1], entry_id + 1, checked + 1
    if expected - 1 != head_id:
        problems.append(f"the chain ends at {expected - 1}, the manifest says {head_id}")
    return checked, problems


def _open_scratch(settings_dict: dict[str, Any]) -> None:
    # A connection of its own, never added to settings.DATABASES: nothing
    # that walks every configured database (migrate, flush, checks) sees it.
    wrapper = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, DRILL_ALIAS)
    connections[DRILL_ALIAS] = wrapper


def _close_scratch() -> None:
    try:
        wrapper = connections[DRILL_ALIAS]
    except ConnectionDoesNotExist:
        return
    wrapper.close()
    del connections[DRILL_ALIAS]


def backup_drill(*, actor: SystemActor, directory: Path, progress: Progress = None) -> DrillResult:
    """Restore the latest backup into a scratch database, check it, time it, audit it."""

    started = time.monotonic()
    backup = latest_backup(Path(directory))
    try:
        manifest = _manifest_for(backup)
    except (BackupFormatError, BackupKeyError) as exc:
        audit_record(
            actor=actor,
            event=EventType.BACKUP_DRILLED,
            target=f"backup-file:{backup.name}"[:200],
            purpose=Purpose.SERVICE_ADMINISTRATION.value,
            reason=f"failed: {exc}"[:300],
        )
        raise
    result = DrillResult(backup, manifest)
    scratch_dir: Path | None = None
    scratch_db = ""
    try:
        if manifest.vendor == "sqlite":
            scratch_dir = _private_tempdir(_scratch_near())
            plain = scratch_dir / "drill.sqlite3"
            fd = os.open(plain, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                for chunk in _checked_chunks(backup, manifest, progress):
                    out.write(chunk)
            _open_scratch({**dict(connections.settings["default"]), "NAME": str(plain)})
        else:
            scratch_db = f"wellkept_drill_{uuid.uuid4().hex[:12]}"
            # A scratch database is created, filled and read as the owner.
            with as_owner():
                with connection.cursor() as cursor:
                    cursor.execute(f'CREATE DATABASE "{scratch_db}"')
                snapshot.pg_restore(
                    _checked_chunks(backup, manifest, progress), database=scratch_db
                )
                _open_scratch({**dict(connections.settings["default"]), "NAME": scratch_db})
        scratch = connections[DRILL_ALIAS]
        with scratch.cursor() as cursor:
            facts = snapshot.facts_from_cursor(cursor, scratch.introspection.table_names(cursor))
        result.tables_checked = len(facts.row_counts)
        for table, count in manifest.row_counts.items():
            if facts.row_counts.get(table) != count:
                result.problems.append(
                    f"table {table} has {facts.row_counts.get(table)} rows, the manifest "
                    f"says {count}"
                )
        result.entries_checked, chain_problems = _walk_chain(
            DRILL_ALIAS, int(manifest.audit_head["id"])
        )
        result.problems.extend(chain_problems)
        check = _check_journal(manifest)
        result.problems.extend(
            f"a restore of this backup would be refused: {p}" for p in check.problems
        )
        wanted = {t.digest for t in check.journal}
        tokens = Participant.objects.using(DRILL_ALIAS).values_list("token", flat=True)
        clients = Client.objects.using(DRILL_ALIAS).values_list("pk", flat=True)
        result.would_reapply = sum(
            1 for token in tokens.iterator() if tombstones.tombstone_digest(token) in wanted
        ) + sum(
            1
            for pk in clients.iterator()
            if tombstones.tombstone_digest(client_tombstone_token(pk)) in wanted
        )
    except (BackupFormatError, snapshot.SnapshotError) as exc:
        result.problems.append(str(exc))
    finally:
        _close_scratch()
        if scratch_dir is not None:
            shutil.rmtree(scratch_dir, ignore_errors=True)
        if scratch_db:
            with as_owner(), connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{scratch_db}"')
    result.seconds = time.monotonic() - started
    audit_record(
        actor=actor,
        event=EventType.BACKUP_DRILLED,
        outcome=Outcome.ALLOWED,
        target=f"backup:{manifest.backup_id}",
        purpose=Purpose.SERVICE_ADMINISTRATION.value,
        reason=(
            f"passed in {result.seconds:.1f} s" if result.ok else f"failed: {result.problems[0]}"
        )[:300],
    )
    return result
