"""Data keys and value encryption: the only code that touches plaintext keys."""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from wellkept import clock
from wellkept.actors import Actor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.vault import crypto
from wellkept.vault.keyring import UnwrapError, get_keyring
from wellkept.vault.models import DataKey

logger = logging.getLogger(__name__)


class Erased:
    """The value of a field whose subject's key has been destroyed."""

    _instance: Erased | None = None

    def __new__(cls) -> Erased:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __str__(self) -> str:
        return "[erased]"

    def __repr__(self) -> str:
        return "ERASED"

    def __bool__(self) -> bool:
        return False


ERASED: Final = Erased()


def is_erased(value: object) -> bool:
    return value is ERASED


class VaultError(Exception):
    """A vault operation was refused; the message says why and what to do."""


def _wrap_context(subject: str) -> bytes:
    # Binds a wrapped DEK to its subject: swapping two wrapped keys between
    # rows makes both unusable instead of silently exchanging identities.
    return f"wellkept-dek|{subject}".encode()


class _DekCache:
    """Unwrapped data keys kept briefly in this process.

    Bounded in time (WELLKEPT_DEK_CACHE_SECONDS) and size; cleared for a
    subject the moment it is shredded here. Other processes may keep a
    shredded key for at most the TTL: see docs/security-guide.md.
    """

    MAX_ENTRIES = 4096

    def __init__(self) -> None:
        self._entries: dict[int, tuple[float, str, bytes]] = {}
        self._by_subject: dict[str, int] = {}
        # Shredded here: a put scheduled earlier in the same transaction must
        # not bring the key back after the shred.
        self._shredded: set[int] = set()
        self._lock = threading.Lock()

    def get(self, datakey_id: int) -> tuple[str, bytes] | None:
        entry = self._entries.get(datakey_id)
        if entry is None:
            return None
        expires, subject, dek = entry
        if expires < time.monotonic():
            self._entries.pop(datakey_id, None)
            return None
        return subject, dek

    def get_for_subject(self, subject: str) -> tuple[int, bytes] | None:
        datakey_id = self._by_subject.get(subject)
        if datakey_id is None:
            return None
        found = self.get(datakey_id)
        if found is None or found[0] != subject:
            return None
        return datakey_id, found[1]

    def put(self, datakey_id: int, subject: str, dek: bytes) -> None:
        # Only committed keys may be cached: a key created in a transaction
        # that rolls back would otherwise stay cached under a row id that
        # SQLite hands out again, and the next subject's values would be
        # sealed with a key that no row holds.
        transaction.on_commit(lambda: self._put(datakey_id, subject, dek))

    def _put(self, datakey_id: int, subject: str, dek: bytes) -> None:
        ttl = settings.WELLKEPT_DEK_CACHE_SECONDS
        if ttl <= 0 or datakey_id in self._shredded:
            return
        with self._lock:
            if len(self._entries) >= self.MAX_ENTRIES:
                self._entries.clear()
                self._by_subject.clear()
            self._entries[datakey_id] = (time.monotonic() + ttl, subject, dek)
            self._by_subject[subject] = datakey_id

    def forget(self, datakey_id: int, *, shredded: bool = False) -> None:
        with self._lock:
            if shredded:
                self._shredded.add(datakey_id)
            entry = self._entries.pop(datakey_id, None)
            if entry is not None:
                self._by_subject.pop(entry[1], None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_subject.clear()


dek_cache = _DekCache()


def unwrap_datakey(datakey: DataKey) -> bytes:
    """Return the plaintext DEK, trying its recorded KEK, then the current, then the rest."""
    if datakey.wrapped is None:
        raise VaultError(f"The data key {datakey.pk} has been shredded; it cannot be unwrapped.")
    keyring = get_keyring()
    wrapped = bytes(datakey.wrapped)
    context = _wrap_context(datakey.subject)
    candidates = [datakey.kek_id, keyring.current_kek_id(), *reversed(keyring.kek_ids())]
    tried: set[str] = set()
    for kek_id in candidates:
        if not kek_id or kek_id in tried:
            continue
        tried.add(kek_id)
        try:
            return keyring.unwrap(kek_id, wrapped, context=context)
        except UnwrapError:
            continue
    raise VaultError(
        f"The data key {datakey.pk} cannot be unwrapped with any key in the keyring. "
        "The key file may be the wrong one: restore the keyring that matches this database."
    )


def datakey_get_or_create(*, subject: str) -> DataKey:
    """Return the subject's data key, creating and wrapping a fresh one if needed."""
    return _datakey_with_dek(subject)[0]


def _stamp(subject: str) -> dt.datetime:
    """When, as a data-key row may say it: the day only for a participant's key.

    The time a participant's key was made (their first action) or shredded
    (their erasure) would otherwise time that action against the sign-in
    before it, which the audit trail no longer does (docs/security.md).
    """
    now = clock.now()
    if subject.startswith("participant:"):
        return now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return now


def _datakey_with_dek(subject: str) -> tuple[DataKey, bytes | None]:
    """Return the subject's data key, and its plaintext when it was just created."""
    existing = DataKey.objects.filter(subject=subject).first()
    if existing is not None:
        return existing, None
    dek = AESGCM.generate_key(bit_length=256)
    kek_id, wrapped = get_keyring().wrap(dek, context=_wrap_context(subject))
    try:
        with transaction.atomic():
            datakey = DataKey.objects.create(
                subject=subject, kek_id=kek_id, wrapped=wrapped, created_at=_stamp(subject)
            )
    except IntegrityError:
        # Another request created it first; use theirs.
        return DataKey.objects.get(subject=subject), None
    dek_cache.put(datakey.pk, subject, dek)
    return datakey, dek


def _dek_of(datakey: DataKey) -> bytes:
    """Return the plaintext DEK of a live data key, from the cache or by unwrapping it."""
    cached = dek_cache.get(datakey.pk)
    # The subject check guards against a cache entry for a row id SQLite
    # handed out again; such an entry belongs to another subject.
    if cached is not None and cached[0] == datakey.subject:
        return cached[1]
    dek = unwrap_datakey(datakey)
    dek_cache.put(datakey.pk, datakey.subject, dek)
    return dek


def _dek_for_id(datakey_id: int) -> tuple[str, bytes] | None:
    """Return (subject, DEK) or None when the key was shredded or never existed."""
    cached = dek_cache.get(datakey_id)
    if cached is not None:
        return cached
    datakey = DataKey.objects.filter(pk=datakey_id).first()
    if datakey is None or datakey.is_shredded:
        return None
    return datakey.subject, _dek_of(datakey)


def datakeys_unwrap(*, subjects: Iterable[str]) -> int:
    """Unwrap, with one query, the live data keys of ``subjects`` not cached; return how many.

    For a page about to decrypt a value of each of many subjects (a week of
    appointments, each showing its client's name): without it, each first
    decryption reads its key row on its own. Nothing is decrypted here, and
    the keys are cached under the same rules as any other (committed only,
    for WELLKEPT_DEK_CACHE_SECONDS); a shredded or missing key is skipped,
    so its values still read as ``ERASED``.
    """
    if settings.WELLKEPT_DEK_CACHE_SECONDS <= 0:
        return 0
    wanted = {s for s in subjects if dek_cache.get_for_subject(s) is None}
    if not wanted:
        return 0
    count = 0
    for datakey in DataKey.objects.filter(subject__in=wanted, wrapped__isnull=False):
        dek_cache.put(datakey.pk, datakey.subject, unwrap_datakey(datakey))
        count += 1
    return count


@dataclass(frozen=True)
class Binding:
    """Where a value belongs: model label, row id, field name and subject."""

    label: str
    row: str
    field: str
    subject: str

    def aad(self) -> bytes:
        return crypto.associated_data(
            label=self.label, row=self.row, field=self.field, subject=self.subject
        )


def encrypt_bytes(plaintext: bytes, *, binding: Binding) -> str:
    """Encrypt ``plaintext`` under the binding's subject key."""
    hit = dek_cache.get_for_subject(binding.subject)
    if hit is not None:
        return crypto.seal(hit[1], plaintext, binding.aad(), datakey_id=hit[0])
    datakey, created = _datakey_with_dek(binding.subject)
    if datakey.is_shredded:
        raise VaultError(
            f"Subject {binding.subject} has been erased; nothing more can be stored for it."
        )
    dek = created if created is not None else _dek_of(datakey)
    return crypto.seal(dek, plaintext, binding.aad(), datakey_id=datakey.pk)


def decrypt_bytes(ciphertext: str, *, binding: Binding) -> bytes | Erased:
    """Decrypt a stored value, or return ERASED when its subject was shredded."""
    envelope = crypto.parse(ciphertext)
    found = _dek_for_id(envelope.datakey_id)
    if found is None:
        return ERASED
    _subject, dek = found
    return crypto.open_envelope(dek, envelope, binding.aad())


def encrypt_text(plaintext: str, *, binding: Binding) -> str:
    return encrypt_bytes(plaintext.encode("utf-8"), binding=binding)


def decrypt_text(ciphertext: str, *, binding: Binding) -> str | Erased:
    result = decrypt_bytes(ciphertext, binding=binding)
    if isinstance(result, Erased):
        return result
    return result.decode("utf-8")


def blind_index(namespace: str, value: str) -> str:
    """Return a keyed, deterministic lookup value for an encrypted field.

    Lets the code find a row by (for example) e-mail address without storing
    the address in clear; without the keyring secret the index reveals nothing.
    """
    data = f"{namespace}|{value}".encode()
    return get_keyring().mac("blind-index", data).hex()


@dataclass(frozen=True)
class RotationResult:
    new_kek_id: str | None
    total: int
    rewrapped: int
    dry_run: bool


def keys_rotate(
    *,
    actor: Actor,
    dry_run: bool = False,
    progress: Callable[[int], object] | None = None,
    batch_size: int = 500,
) -> RotationResult:
    """Create a new KEK and rewrap every live DEK under it; the data is not touched.

    Each batch commits on its own, so an interrupted rotation is simply run
    again: keys already under the new KEK are skipped, older ones still open
    because the old KEK stays in the keyring until retired.
    """
    live = DataKey.objects.filter(shredded_at__isnull=True)
    keyring = get_keyring()
    if dry_run:
        total = live.count()
        return RotationResult(new_kek_id=None, total=total, rewrapped=0, dry_run=True)
    new_kek_id = keyring.create_kek()
    pending = live.exclude(kek_id=new_kek_id)
    total = pending.count()
    # Recorded as soon as the new KEK exists (the key file changed); an
    # interrupted run is re-run and recorded again.
    audit_record(
        actor=actor,
        event=EventType.KEY_ROTATED,
        target=f"kek:{new_kek_id}",
        reason=f"{total} data keys to rewrap",
    )
    rewrapped = 0
    last_id = 0
    while True:
        batch = list(pending.filter(pk__gt=last_id).order_by("pk")[:batch_size])
        if not batch:
            break
        with transaction.atomic():
            for datakey in batch:
                dek = unwrap_datakey(datakey)
                kek_id, wrapped = keyring.wrap(dek, context=_wrap_context(datakey.subject))
                datakey.kek_id = kek_id
                datakey.wrapped = wrapped
                datakey.rewrapped_at = clock.now()
                datakey.save(update_fields=["kek_id", "wrapped", "rewrapped_at"])
                rewrapped += 1
        last_id = batch[-1].pk
        if progress is not None:
            progress(len(batch))
    return RotationResult(new_kek_id=new_kek_id, total=total, rewrapped=rewrapped, dry_run=False)


def kek_retire(*, actor: Actor, kek_id: str) -> None:
    """Remove an old KEK from the keyring once no data key depends on it.

    Refused until the current KEK has been current for the grace period:
    running processes notice a rotation within a second, but one that was
    stalled (a long request, a suspended worker) could still wrap a new data
    key under the old KEK, and retiring it then would lose that key for good.
    """
    keyring = get_keyring()
    current = keyring.current_kek_id()
    if kek_id == current:
        raise VaultError("The current key-encryption key cannot be retired; rotate first.")
    grace = dt.timedelta(seconds=settings.WELLKEPT_KEK_RETIRE_GRACE_SECONDS)
    ready_at = keyring.kek_created_at(current) + grace
    if clock.now() < ready_at:
        raise VaultError(
            f"The current key became current less than {grace} ago. Retire {kek_id} after "
            f"{ready_at:%Y-%m-%d %H:%M} UTC, once every process has switched to the new key."
        )
    still_used = DataKey.objects.filter(kek_id=kek_id, shredded_at__isnull=True).count()
    if still_used:
        raise VaultError(
            f"{still_used} data keys are still wrapped by {kek_id}. Run `wellkept keys rotate` "
            "first, then retire the old key."
        )
    with transaction.atomic():
        # The event commits only if the key file really lost the KEK.
        audit_record(actor=actor, event=EventType.KEY_RETIRED, target=f"kek:{kek_id}")
        keyring.retire_kek(kek_id)


def datakey_shred(*, actor: Actor, subject: str) -> DataKey | None:
    """Destroy the subject's DEK so that every value under it becomes unreadable.

    Idempotent: shredding an already-shredded subject changes nothing. Returns
    None when the subject never had a key.
    """
    with transaction.atomic():
        datakey = lock_rows(DataKey.objects.all()).filter(subject=subject).first()
        if datakey is None:
            return None
        if not datakey.is_shredded:
            datakey.wrapped = None
            datakey.kek_id = ""
            datakey.shredded_at = _stamp(datakey.subject)
            datakey.save(update_fields=["wrapped", "kek_id", "shredded_at"])
            audit_record(actor=actor, event=EventType.KEY_SHREDDED, target=f"datakey:{datakey.pk}")
    dek_cache.forget(datakey.pk, shredded=True)
    transaction.on_commit(_flush_sqlite_wal)
    return datakey


def _flush_sqlite_wal() -> None:
    """Fold the WAL into the database file so the old wrapped key leaves the disk.

    With secure_delete on, the freed page in the main file is zeroed; without
    the checkpoint the previous page image would survive in the -wal file.
    """
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            busy, _log_frames, _done = cursor.fetchone()
        if busy:
            # Readers held the WAL; the next checkpoint (SQLite runs them on
            # its own) folds it in. Worth knowing, not worth failing a shred.
            logger.warning("WAL checkpoint after a shred was blocked by readers; it will retry.")
