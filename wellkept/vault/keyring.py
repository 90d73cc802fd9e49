"""Key-encryption keys (KEKs) behind a small provider interface.

A keyring wraps and unwraps data keys and computes keyed MACs; it never hands
a KEK to the rest of the code. The default provider keeps KEKs in a local JSON
file (mode 0600, outside the database). A KMS or Vault transit provider
implements the same five methods by calling its service: see
docs/admin-guide.md, "Plugging in a KMS".
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol, TypedDict, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

NONCE_BYTES = 12
KEY_BYTES = 32

# Named MAC secrets. Each use has its own secret, so a leak of one (for
# example the blind-index secret) does not let anyone forge audit entries or
# link logins to pseudonymous tokens.
MAC_NAMES = ("pseudonym", "blind-index", "audit", "token")


class KeyringError(Exception):
    """The keyring cannot do what was asked (missing file, unknown key id)."""


class UnwrapError(KeyringError):
    """A wrapped key could not be unwrapped with any key-encryption key."""


class Keyring(Protocol):
    """What the vault needs from a key-encryption-key provider."""

    def current_kek_id(self) -> str: ...

    def kek_ids(self) -> list[str]: ...

    def wrap(self, dek: bytes, *, context: bytes) -> tuple[str, bytes]:
        """Encrypt ``dek`` under the current KEK; return (kek id, wrapped bytes)."""
        ...

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        """Decrypt a data key wrapped under ``kek_id``; raise UnwrapError on failure."""
        ...

    def create_kek(self) -> str:
        """Add a new KEK, make it current, and return its id."""
        ...

    def retire_kek(self, kek_id: str) -> None:
        """Remove a KEK that no data key uses any more."""
        ...

    def kek_created_at(self, kek_id: str) -> dt.datetime:
        """When the KEK was created (it became current then)."""
        ...

    def mac(self, name: str, data: bytes) -> bytes:
        """Return HMAC-SHA-256 of ``data`` under the named secret."""
        ...


def _b64e(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _new_kek_id() -> str:
    stamp = dt.datetime.now(tz=dt.UTC).strftime("%Y%m%d")
    return f"kek-{stamp}-{secrets.token_hex(3)}"


class KeyEntry(TypedDict):
    """One key-encryption key in the key file: its material and when it was made."""

    material: str
    created: str


class KeyFile(TypedDict):
    """The key file as JSON: the current key, every key kept, and the MAC secrets."""

    format: int
    current: str
    keys: dict[str, KeyEntry]
    secrets: dict[str, str]


class LocalFileKeyring:
    """KEKs and MAC secrets in a JSON file on local disk.

    The file is the one thing that turns a stolen database into readable data,
    so it is created with mode 0600, replaced atomically, and belongs outside
    every database backup (the backup key is separate, see lifecycle).
    """

    FORMAT = 1

    # How often a running process looks at the key file for changes made by
    # another process (a rotation or a retirement run from the command line).
    RECHECK_SECONDS = 1.0

    def __init__(self, path: Path, *, create: bool, guard_database: bool = False) -> None:
        self.path = Path(path)
        # The process's keyring (and `keys init`) never creates a file while
        # the database holds data keys: see data_keys_in_database.
        self._guard_database = guard_database
        # Re-entrant: create_kek() may need _load() to create the file first.
        self._lock = threading.RLock()
        self._data: KeyFile | None = None
        self._create = create
        self._signature: tuple[int, int, int] | None = None
        self._checked_at = 0.0

    # -- file handling --------------------------------------------------

    def exists(self) -> bool:
        return self.path.is_file()

    def _file_signature(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        return (stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def _is_stale(self) -> bool:
        """True when another process replaced the key file since we read it.

        Without this, a web worker started before `keys rotate` keeps wrapping
        new data keys under the old KEK, and once that KEK is retired those
        keys (and every value under them) could never be opened again.
        """
        now = time.monotonic()
        if now - self._checked_at < self.RECHECK_SECONDS:
            return False
        self._checked_at = now
        return self._file_signature() != self._signature

    def _load(self) -> KeyFile:
        if self._data is not None and not self._is_stale():
            return self._data
        with self._lock:
            if self._data is not None and self._file_signature() == self._signature:
                return self._data
            if not self.path.exists():
                if not self._create:
                    raise KeyringError(
                        f"The key file {self.path} does not exist. Restore it from your key "
                        "escrow, or create a new one with `wellkept keys init` (new "
                        "installations only)."
                    )
                wrapped = data_keys_in_database() if self._guard_database else 0
                if wrapped:
                    # A new key file would open none of them: every sign-in and
                    # every encrypted value would fail from here on.
                    raise KeyringError(missing_key_file_sentence(self.path, wrapped))
                self._data = self._initialise()
                return self._data
            self._data = self._read()
            return self._data

    def _read(self) -> KeyFile:
        self._signature = self._file_signature()
        self._checked_at = time.monotonic()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise KeyringError(
                f"The key file {self.path} cannot be read ({exc}). Restore it from your key escrow."
            ) from None
        if not isinstance(data, dict) or data.get("format") != self.FORMAT:
            raise KeyringError(f"The key file {self.path} is not a Wellkept keyring.")
        if data.get("current") not in data.get("keys", {}):
            raise KeyringError(f"The key file {self.path} names no current key.")
        # Checked above as far as the code relies on it; the rest is the file's.
        return cast(KeyFile, data)

    def _initialise(self) -> KeyFile:
        kek_id = _new_kek_id()
        data: KeyFile = {
            "format": self.FORMAT,
            "current": kek_id,
            "keys": {kek_id: self._new_key_entry()},
            "secrets": {name: _b64e(secrets.token_bytes(KEY_BYTES)) for name in MAC_NAMES},
        }
        self._write(data, exclusive=True)
        return data

    @staticmethod
    def _new_key_entry() -> KeyEntry:
        return {
            "material": _b64e(AESGCM.generate_key(bit_length=256)),
            "created": dt.datetime.now(tz=dt.UTC).isoformat(timespec="seconds"),
        }

    def _write(self, data: KeyFile, *, exclusive: bool = False) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        payload = json.dumps(data, indent=2, sort_keys=True).encode("utf-8")
        if exclusive:
            # Two processes starting at once must not each create a keyring.
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                self._data = self._read()
                return
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            self._signature = self._file_signature()
            return
        fd, tmp_name = tempfile.mkstemp(dir=self.path.parent, prefix=".keyring-")
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
            self._signature = self._file_signature()
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    def reload(self) -> None:
        self._data = None

    # -- the provider interface ------------------------------------------

    def current_kek_id(self) -> str:
        return str(self._load()["current"])

    def kek_ids(self) -> list[str]:
        data = self._load()
        return sorted(data["keys"], key=lambda k: data["keys"][k]["created"])

    def _material(self, kek_id: str) -> bytes:
        entry = self._load()["keys"].get(kek_id)
        if entry is None:
            raise UnwrapError(f"Unknown key-encryption key {kek_id!r}.")
        return _b64d(entry["material"])

    def wrap(self, dek: bytes, *, context: bytes) -> tuple[str, bytes]:
        kek_id = self.current_kek_id()
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = nonce + AESGCM(self._material(kek_id)).encrypt(nonce, dek, context)
        return kek_id, wrapped

    def unwrap(self, kek_id: str, wrapped: bytes, *, context: bytes) -> bytes:
        material = self._material(kek_id)
        nonce, body = wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:]
        try:
            return AESGCM(material).decrypt(nonce, body, context)
        except InvalidTag:
            raise UnwrapError(
                f"Key-encryption key {kek_id!r} does not open this data key."
            ) from None

    def create_kek(self) -> str:
        with self._lock:
            data = self._read() if self.path.exists() else self._load()
            kek_id = _new_kek_id()
            while kek_id in data["keys"]:
                kek_id = _new_kek_id()
            data["keys"][kek_id] = self._new_key_entry()
            data["current"] = kek_id
            self._write(data)
            self._data = data
        return kek_id

    def retire_kek(self, kek_id: str) -> None:
        with self._lock:
            data = self._read()
            if kek_id == data["current"]:
                raise KeyringError("The current key-encryption key cannot be retired.")
            if kek_id not in data["keys"]:
                raise KeyringError(f"Unknown key-encryption key {kek_id!r}.")
            del data["keys"][kek_id]
            self._write(data)
            self._data = data

    def kek_created_at(self, kek_id: str) -> dt.datetime:
        entry = self._load()["keys"].get(kek_id)
        if entry is None:
            raise KeyringError(f"Unknown key-encryption key {kek_id!r}.")
        return dt.datetime.fromisoformat(entry["created"])

    def mac(self, name: str, data: bytes) -> bytes:
        secret = self._load()["secrets"].get(name)
        if secret is None:
            raise KeyringError(f"The keyring holds no secret named {name!r}.")
        return hmac.new(_b64d(secret), data, hashlib.sha256).digest()


def data_keys_in_database() -> int:
    """How many data keys (live or shredded) the database holds; 0 when it cannot say yet."""
    from django.db import DatabaseError

    from wellkept.vault.models import DataKey

    try:
        return DataKey.objects.count()
    except DatabaseError:
        # Not migrated yet, or no database: a brand-new installation.
        return 0


def missing_key_file_sentence(path: Path, wrapped: int) -> str:
    return (
        f"The key file {path} is missing, but the database holds {wrapped} data keys that a "
        "key file wrapped. A new key file would open none of them: sign-in and every "
        "encrypted value would fail. Restore the key file from your key escrow (and point "
        "WELLKEPT_KEYRING_FILE at it); only for a database you mean to throw away, start "
        "with an empty one."
    )


_keyring: Keyring | None = None
_keyring_lock = threading.Lock()


def get_keyring() -> Keyring:
    """Return the configured keyring (one per process)."""
    global _keyring
    if _keyring is None:
        with _keyring_lock:
            if _keyring is None:
                _keyring = build_keyring()
    return _keyring


def build_keyring() -> Keyring:
    try:
        provider = import_string(settings.WELLKEPT_KEYRING_PROVIDER)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"WELLKEPT_KEYRING_PROVIDER={settings.WELLKEPT_KEYRING_PROVIDER!r} cannot be "
            f"imported ({exc}). Give the dotted path of a keyring class."
        ) from None
    if provider is LocalFileKeyring:
        return LocalFileKeyring(
            settings.WELLKEPT_KEYRING_FILE,
            create=settings.WELLKEPT_KEYRING_CREATE,
            guard_database=True,
        )
    keyring: Keyring = provider.from_settings()
    return keyring


def reset_keyring() -> None:
    """Forget the process keyring (tests, and after `keys init`)."""
    global _keyring
    with _keyring_lock:
        _keyring = None
