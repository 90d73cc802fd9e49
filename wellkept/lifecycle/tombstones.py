"""The tombstone journal: who was erased, kept where a restore cannot reach.

A backup taken before an erasure still holds the person. Restoring it would
bring them back, so every erasure appends a tombstone (a keyed digest of the
pseudonymous token and the time, nothing else) to a journal file OUTSIDE the
database, and `wellkept backup restore` erases again everyone the journal
names.

Write-ahead: the erasure service appends inside its transaction, before the
commit. A crash between the append and the commit leaves a tombstone for a
person whose erasure rolled back; a later restore then erases someone who had
asked to be erased, which is the safe direction. The opposite order (commit,
then append) could lose the tombstone and resurrect the person.

Integrity: each line carries an HMAC under a key derived from the keyring's
audit secret, a sequence number and the MAC of the line before it, so an
edited, forged, deleted or reordered line is detected when the journal is
read. Cutting lines off the END leaves a shorter journal that is still
consistent, and deleting the file leaves none at all. So the journal's
*head* (how many lines, and the MAC of the last) is checkpointed as well:
in the database, in the erasure's own transaction (``TombstoneHead``, which
therefore travels in every backup), and in each backup's manifest. A
restore refuses a journal that is missing or does not reach every head it
can find (``tombstone_heads_recorded`` plus the backup's), unless the
operator overrides it, audited. docs/backups.md says how to ship the
journal elsewhere against the rest.

The head is also in every audit checkpoint (``register_checkpoint_head``,
from ``LifecycleConfig.ready``), so it reaches the checkpoint sinks outside
the database and this host within a second of each erasure, and `wellkept
audit verify` checks the journal against them. ``tombstone_heads_recorded``
reads back both places.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from wellkept import clock
from wellkept.audit import checkpoints
from wellkept.vault.keyring import get_keyring

logger = logging.getLogger(__name__)

DIGEST_LABEL = b"wellkept-tombstone-v1\x00"
LINE_KEY_LABEL = b"wellkept-tombstone-journal-key-v1"
FORMAT = "wk-tombstone-v1"
# A line is about 250 bytes; reading this much of the tail always holds the last one.
_TAIL_BYTES = 4096
# The journal's name among the heads every audit checkpoint records.
CHECKPOINT_HEAD = "tombstones"


class TombstoneJournalError(Exception):
    """The journal cannot be read or trusted (damaged, edited, forged)."""


@dataclass(frozen=True)
class Tombstone:
    digest: str
    at: dt.datetime


@dataclass(frozen=True)
class JournalPosition:
    """How far the journal reached: the number of lines and the MAC of the last one."""

    lines: int
    mac: str


@dataclass(frozen=True)
class RecordedHead:
    """A head of the journal as one place recorded it, to check the journal against."""

    source: str
    position: JournalPosition
    last_at: dt.datetime | None = None


def journal_path() -> Path:
    return Path(settings.WELLKEPT_TOMBSTONE_FILE)


def tombstone_digest(token: str) -> str:
    """Return the keyed digest that stands for ``token`` in the journal."""
    # Keyed, so the journal alone cannot be matched against a list of tokens
    # (or a leaked backup) by anyone without the keyring.
    return get_keyring().mac("pseudonym", DIGEST_LABEL + token.encode()).hex()


def _line_key() -> bytes:
    return get_keyring().mac("audit", LINE_KEY_LABEL)


def _format_time(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("A tombstone time must be timezone-aware.")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


def _line_mac(key: bytes, *, number: int, digest: str, at: str, prev: str) -> str:
    payload = json.dumps([FORMAT, number, digest, at, prev], separators=(",", ":"))
    return hmac.new(key, payload.encode("ascii"), hashlib.sha256).hexdigest()


def _tail(fd: int) -> bytes:
    """The journal's last bytes: always the whole last line, and the one before if complete."""
    size = os.fstat(fd).st_size
    start = max(0, size - _TAIL_BYTES)
    return os.pread(fd, size - start, start)


def _last_line(fd: int) -> str | None:
    tail = _tail(fd)
    if not tail:
        return None
    if not tail.endswith(b"\n"):
        raise TombstoneJournalError(
            f"The tombstone journal {journal_path()} ends in an incomplete line (a crash "
            "while writing, or damage). Erasures are refused until it is repaired: restore "
            "the journal from its copy, or remove the incomplete last line after checking it."
        )
    return tail.rstrip(b"\n").rsplit(b"\n", 1)[-1].decode("ascii", errors="replace")


def _parse_line(line: str, number: int) -> dict[str, Any]:
    try:
        data = json.loads(line)
        fields: dict[str, Any] = {
            "n": int(data["n"]),
            "digest": str(data["digest"]),
            "at": str(data["at"]),
            "prev": str(data["prev"]),
            "mac": str(data["mac"]),
        }
        _parse_time(str(data["at"]))
    except (ValueError, KeyError, TypeError):
        raise TombstoneJournalError(
            f"Line {number} of the tombstone journal {journal_path()} is unreadable. "
            "Restore the journal from its copy before restoring a backup or erasing anyone."
        ) from None
    return fields


def tombstone_append(*, token: str, at: dt.datetime) -> JournalPosition:
    """Append one signed tombstone for ``token`` to the journal, fsync it; return the new head."""
    path = journal_path()
    at_text = _format_time(at)
    digest = tombstone_digest(token)
    key = _line_key()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        # An exclusive lock across processes: the next line needs the MAC and
        # number of the last one, so two writers must not both read the same
        # tail. The lock is held only for one read and one write.
        fcntl.flock(fd, fcntl.LOCK_EX)
        last = _last_line(fd)
        if last is None:
            number, prev = 1, ""
        else:
            previous = _parse_line(last, 0)
            number, prev = previous["n"] + 1, previous["mac"]
        mac = _line_mac(key, number=number, digest=digest, at=at_text, prev=prev)
        line = json.dumps(
            {"n": number, "digest": digest, "at": at_text, "prev": prev, "mac": mac},
            separators=(",", ":"),
        )
        # One write per line with O_APPEND, then fsync: the tombstone must be
        # on disk before the erasure commits (see the module docstring).
        os.write(fd, (line + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return JournalPosition(number, mac)


def tombstone_write(*, token: str, at: dt.datetime) -> JournalPosition:
    """Append an erasure's tombstone, inside its transaction, and move the recorded head on.

    Refused while the journal does not reach every head recorded of it.
    """
    for head in tombstone_heads_recorded():
        if not journal_reaches(head.position):
            # Appending to a journal that lost lines would start a new
            # history the heads never saw: every later restore would
            # have to be forced. Stop and say how to repair it.
            raise TombstoneJournalError(
                f"The tombstone journal {journal_path()} does not reach line "
                f"{head.position.lines}, which {head.source} recorded: it is missing or "
                "was cut back. Erasures are refused until the journal is put back from "
                "its copy (see docs/backups.md)."
            )
    # Written ahead of the commit (see the module docstring): a crash after
    # it erases again at the next restore, the safe direction.
    position = tombstone_append(token=token, at=at)
    tombstone_head_checkpoint(position, at)
    return position


def client_tombstone_write(token: str) -> None:
    """Keep an erased practice client's tombstone (registered with the practice at ready())."""
    tombstone_write(token=token, at=clock.now())


def journal_touch() -> None:
    """Create the journal, empty, if there is none: "no erasure yet" is a file, not an absence.

    A restore refuses a missing journal: on a fresh installation a missing
    file and a journal that was never copied over look alike, and the second
    would bring erased people back.
    """
    path = journal_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _read_verified() -> tuple[list[Tombstone], JournalPosition]:
    path = journal_path()
    if not path.exists():
        return [], JournalPosition(0, "")
    key = _line_key()
    found: list[Tombstone] = []
    prev = ""
    number = 0
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise TombstoneJournalError(
            f"The tombstone journal {path} cannot be read ({exc.strerror}). Check its permissions."
        ) from None
    with handle:
        raw = handle.read()
    if raw and not raw.endswith(b"\n"):
        raise TombstoneJournalError(
            f"The tombstone journal {path} ends in an incomplete line (a crash while "
            "writing, or damage). Restore the journal from its copy."
        )
    for raw_line in raw.splitlines():
        number += 1
        fields = _parse_line(raw_line.decode("ascii", errors="replace"), number)
        expected = _line_mac(
            key, number=fields["n"], digest=fields["digest"], at=fields["at"], prev=fields["prev"]
        )
        if not hmac.compare_digest(expected.encode(), fields["mac"].encode()):
            raise TombstoneJournalError(
                f"Line {number} of the tombstone journal {path} fails its MAC: it was edited "
                "or forged (or the keyring is not the one that wrote it). Restore the journal "
                "from its copy; do not restore a backup until it verifies."
            )
        if fields["n"] != number or not hmac.compare_digest(fields["prev"].encode(), prev.encode()):
            raise TombstoneJournalError(
                f"Line {number} of the tombstone journal {path} does not follow the line "
                "before it: lines were deleted, inserted or reordered. Restore the journal "
                "from its copy; do not restore a backup until it verifies."
            )
        prev = fields["mac"]
        found.append(Tombstone(digest=fields["digest"], at=_parse_time(fields["at"])))
    return found, JournalPosition(number, prev)


def tombstones_since(at: dt.datetime | None) -> list[Tombstone]:
    """Return every tombstone recorded at or after ``at`` (all when None), verified."""
    tombstones, _ = _read_verified()
    if at is None:
        return tombstones
    return [t for t in tombstones if t.at >= at]


def journal_position() -> JournalPosition:
    """Return how far the verified journal reaches (for a backup's manifest)."""
    return _read_verified()[1]


def journal_reaches(position: JournalPosition) -> bool:
    """True when the journal still holds the line ``position`` names, unchanged."""
    if position.lines == 0:
        return True
    path = journal_path()
    if not path.exists():
        return False
    with path.open("rb") as handle:
        for number, raw_line in enumerate(handle, start=1):
            if number == position.lines:
                fields = _parse_line(raw_line.decode("ascii", errors="replace"), number)
                return hmac.compare_digest(fields["mac"].encode(), position.mac.encode())
    return False


# -- the head, checkpointed ------------------------------------------------------


def tombstone_head_checkpoint(position: JournalPosition, at: dt.datetime | None) -> None:
    """Record the journal's head wherever heads are kept; call inside the erasure's transaction.

    The database row only ever moves forward: two erasures committing in
    either order leave the higher head. The audit checkpoints read the
    journal itself: one follows within the second once this commits.
    """
    from wellkept.lifecycle.models import TombstoneHead

    checkpoints.checkpoint_soon()

    moved = TombstoneHead.objects.filter(pk=1, lines__lt=position.lines).update(
        lines=position.lines, mac=position.mac, last_at=at
    )
    if not moved and not TombstoneHead.objects.filter(pk=1).exists():
        # Only after the row was deleted by hand (or a flush): put it back.
        TombstoneHead.objects.create(pk=1, lines=position.lines, mac=position.mac, last_at=at)


def tombstone_head_reset(position: JournalPosition, at: dt.datetime | None) -> None:
    """Set the database's head to ``position``, even lower: after an accepted-loss restore."""
    from wellkept.lifecycle.models import TombstoneHead

    TombstoneHead.objects.update_or_create(
        pk=1, defaults={"lines": position.lines, "mac": position.mac, "last_at": at}
    )


def tombstone_heads_recorded() -> list[RecordedHead]:
    """Every head of the journal recorded outside the journal itself, as found now.

    The database's row (of the database currently installed), and the head
    in the newest audit checkpoint, which no database restore reaches.
    """
    return [h for h in (_database_head(), _checkpointed_head()) if h is not None]


def _database_head() -> RecordedHead | None:
    from django.db import connection

    from wellkept.lifecycle.models import TombstoneHead

    with connection.cursor() as cursor:
        tables = set(connection.introspection.table_names(cursor))
    if TombstoneHead._meta.db_table not in tables:
        return None
    row = TombstoneHead.objects.filter(pk=1).first()
    if row is None or row.lines == 0:
        return None
    return RecordedHead(
        source="this installation's database",
        position=JournalPosition(row.lines, row.mac),
        last_at=row.last_at,
    )


def _checkpointed_head() -> RecordedHead | None:
    try:
        head = checkpoints.latest_head(CHECKPOINT_HEAD)
    except checkpoints.SinkError as exc:
        # `wellkept audit verify` reports an unreadable sink; the other heads still count.
        logger.error("the audit checkpoints could not be read for the tombstone head: %s", exc)
        return None
    if head is None or head.position == 0:
        return None
    return RecordedHead(
        source="the audit checkpoints", position=JournalPosition(head.position, head.mac)
    )


def journal_head() -> checkpoints.Head:
    """Where the journal ends now, for the audit checkpoints: its last complete line.

    Not verified here (``audit verify`` checks the MACs it vouched for
    against the journal); a missing or unreadable journal is an empty head,
    which the next checkpoint records, and verify reports as the end put back.
    """
    path = journal_path()
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            tail = _tail(fd)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return checkpoints.Head.empty()
    except OSError as exc:
        logger.error("the tombstone journal %s cannot be read: %s", path, exc)
        return checkpoints.Head.empty()
    complete = tail[: tail.rfind(b"\n")].rsplit(b"\n", 1)[-1] if b"\n" in tail else b""
    if not complete:
        return checkpoints.Head.empty()
    try:
        fields = _parse_line(complete.decode("ascii", errors="replace"), 0)
    except TombstoneJournalError:
        logger.error("the last line of the tombstone journal %s is unreadable", path)
        return checkpoints.Head.empty()
    return checkpoints.Head(fields["n"], fields["mac"], fields["n"])


def journal_macs_at(positions: set[int]) -> dict[int, str]:
    """The MAC the journal holds on each of the given lines (those it has)."""
    found: dict[int, str] = {}
    path = journal_path()
    if not positions or not path.exists():
        return found
    last = max(positions)
    with path.open("rb") as handle:
        for number, raw_line in enumerate(handle, start=1):
            if number > last:
                break
            if number in positions:
                try:
                    fields = _parse_line(raw_line.decode("ascii", errors="replace"), number)
                except TombstoneJournalError:
                    continue
                found[number] = fields["mac"]
    return found


def register_checkpoint_head() -> None:
    """Every audit checkpoint from now on records where the journal ends."""
    checkpoints.register_head(CHECKPOINT_HEAD, current=journal_head, macs_at=journal_macs_at)


def journal_exists() -> bool:
    return journal_path().exists()
