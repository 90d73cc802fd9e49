"""The manifest: what a backup holds, authenticated under the backup key.

It sits next to the backup file (``<file>.manifest.json``) in clear, so an
operator can see what a file is without any key, and holds no personal value:
times, sizes, checksums, schema versions, row counts per table, the audit
chain head and the tombstone journal position. Its HMAC (a key derived from
the backup key) makes every field trustworthy once verified; the backup file
is bound to it through its id and its SHA-256.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from wellkept.lifecycle.backup.keys import BackupKey, key_for
from wellkept.lifecycle.backup.stream import BackupFormatError

FORMAT = "wellkept-backup-manifest-v1"
SUFFIX = ".manifest.json"


@dataclass(frozen=True)
class Manifest:
    backup_id: str
    created_at: str
    vendor: str
    snapshot: str
    key_id: str
    schema: dict[str, str]
    row_counts: dict[str, int]
    audit_head: dict[str, Any]
    tombstones: dict[str, Any]
    plain_size: int
    plain_sha256: str
    file_size: int
    file_sha256: str
    chunks: int
    chunk_size: int
    wellkept_version: str = ""
    mac: str = field(default="", compare=False)

    def payload(self) -> bytes:
        body = asdict(self)
        body.pop("mac")
        return json.dumps([FORMAT, body], sort_keys=True, separators=(",", ":")).encode("utf-8")

    def signed(self, key: BackupKey) -> Manifest:
        mac = hmac.new(key.manifest_key, self.payload(), hashlib.sha256).hexdigest()
        return Manifest(**{**asdict(self), "mac": mac})

    def is_authentic(self, key: BackupKey) -> bool:
        return hmac.compare_digest(self.signed(key).mac.encode(), self.mac.encode())

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **asdict(self)}, indent=2, sort_keys=True) + "\n"


def manifest_path(backup: Path) -> Path:
    return backup.with_name(backup.name + SUFFIX)


def manifest_write(backup: Path, manifest: Manifest) -> Path:
    path = manifest_path(backup)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(manifest.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    return path


def manifest_read(backup: Path) -> Manifest:
    """Read the manifest next to ``backup`` and check its MAC under the backup key."""
    path = manifest_path(backup)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupFormatError(
            f"The manifest {path} is missing. A backup is two files, "
            f"{backup.name} and {path.name}: keep them together."
        ) from None
    except (OSError, ValueError) as exc:
        raise BackupFormatError(f"The manifest {path} cannot be read ({exc}).") from None
    if not isinstance(data, dict) or data.pop("format", None) != FORMAT:
        raise BackupFormatError(f"{path} is not a Wellkept backup manifest.")
    try:
        manifest = Manifest(**data)
    except TypeError:
        raise BackupFormatError(f"The manifest {path} is damaged (unexpected fields).") from None
    key = key_for(str(manifest.key_id))
    if not manifest.is_authentic(key):
        raise BackupFormatError(
            f"The manifest {path} fails its MAC: it was edited, or it was not written under "
            f"backup key {manifest.key_id}. Do not use this backup."
        )
    return manifest
