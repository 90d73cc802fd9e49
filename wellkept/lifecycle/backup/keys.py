"""The backup key: one secret, in its own file, apart from every data key.

Backups are encrypted under a key that is neither a KEK nor a data key, so an
operator who holds the backup files (and even the keyring) reads nothing
without it, and the keyring can be rotated without re-encrypting old backups.
The file may hold several keys: the current one encrypts, older ones still
open the backups made under them.

Sub-keys are derived with HKDF, one per use, so the key that wraps a backup's
file key never also signs a manifest.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

FORMAT = "wellkept-backup-key-v1"
KEY_BYTES = 32
WRAP_INFO = b"wellkept-backup-wrap-v1"
MANIFEST_INFO = b"wellkept-backup-manifest-v1"


class BackupKeyError(Exception):
    """The backup key file is missing, unreadable, or lacks the key asked for."""


@dataclass(frozen=True)
class BackupKey:
    key_id: str
    material: bytes

    def derive(self, info: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(
            self.material
        )

    @property
    def wrap_key(self) -> bytes:
        return self.derive(WRAP_INFO)

    @property
    def manifest_key(self) -> bytes:
        return self.derive(MANIFEST_INFO)


def key_path() -> Path:
    return Path(settings.WELLKEPT_BACKUP_KEY_FILE)


def _new_entry() -> tuple[str, dict[str, str]]:
    now = dt.datetime.now(tz=dt.UTC)
    key_id = f"bk-{now:%Y%m%d}-{secrets.token_hex(4)}"
    entry = {
        "material": base64.b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii"),
        "created": now.isoformat(timespec="seconds"),
    }
    return key_id, entry


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupKeyError(
            f"The backup key file {path} does not exist. Create one with `wellkept backup "
            "keygen` (new installations), or put back the escrowed copy to open old backups."
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupKeyError(
            f"The backup key file {path} cannot be read ({exc}). Put back the escrowed copy."
        ) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise BackupKeyError(f"{path} is not a Wellkept backup key file.")
    if data.get("current") not in data.get("keys", {}):
        raise BackupKeyError(f"The backup key file {path} names no current key.")
    return data


def _write(path: Path, data: dict, *, exclusive: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    payload = json.dumps(data, indent=2, sort_keys=True).encode("utf-8")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    tmp = path if exclusive else path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, flags, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    if not exclusive:
        os.replace(tmp, path)


def key_exists() -> bool:
    return key_path().is_file()


def key_create() -> BackupKey:
    """Create the backup key file; refuse to replace one (its backups would be lost)."""
    path = key_path()
    key_id, entry = _new_entry()
    data = {"format": FORMAT, "current": key_id, "keys": {key_id: entry}}
    try:
        _write(path, data, exclusive=True)
    except FileExistsError:
        raise BackupKeyError(
            f"{path} already exists; refusing to replace a backup key (every backup made "
            "under it would become unreadable). Use `wellkept backup keygen --rotate` to add "
            "a new current key."
        ) from None
    return BackupKey(key_id, base64.b64decode(entry["material"]))


def key_rotate() -> BackupKey:
    """Add a new current key; older keys stay so that older backups still open."""
    path = key_path()
    data = _read(path)
    key_id, entry = _new_entry()
    data["keys"][key_id] = entry
    data["current"] = key_id
    _write(path, data, exclusive=False)
    return BackupKey(key_id, base64.b64decode(entry["material"]))


def current_key() -> BackupKey:
    data = _read(key_path())
    key_id = data["current"]
    return BackupKey(key_id, base64.b64decode(data["keys"][key_id]["material"]))


def key_for(key_id: str) -> BackupKey:
    """Return the key with ``key_id`` or say plainly which key the backup needs."""
    data = _read(key_path())
    entry = data["keys"].get(key_id)
    if entry is None:
        held = ", ".join(sorted(data["keys"])) or "none"
        raise BackupKeyError(
            f"This backup was encrypted under backup key {key_id}, which the key file "
            f"{key_path()} does not hold (it holds: {held}). Put back the escrowed key file "
            "that holds it."
        )
    return BackupKey(key_id, base64.b64decode(entry["material"]))
