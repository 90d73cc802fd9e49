"""AES-256-GCM in authenticated chunks: the backup file format.

Layout::

    MAGIC (8 bytes) | header length (4, big-endian) | header (JSON)
    then per chunk: ciphertext length (4, big-endian) | ciphertext + tag

Each backup has its own random file key, wrapped under the backup key in the
header, so chunk nonces can simply count (a nonce never repeats under one
key). Every chunk's associated data holds a digest of the header, the chunk
index and a final-chunk flag: a swapped header, reordered or repeated chunks,
a chunk from another backup, or a file cut at a chunk boundary all fail
authentication. Nothing is trusted before its tag checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from wellkept.lifecycle.backup.keys import BackupKey, key_for

MAGIC = b"WKBKUP\x00\x01"
CHUNK_SIZE = 1 << 20
TAG_BYTES = 16
MAX_HEADER = 64 * 1024
FILE_KEY_AD = b"wellkept-backup-file-key\x00"


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...


class BackupFormatError(Exception):
    """The file is not a Wellkept backup, or it was damaged, cut short or tampered with."""


@dataclass(frozen=True)
class Header:
    backup_id: str
    key_id: str
    wrapped_file_key: str
    chunk_size: int

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "format": 1,
                "cipher": "AES-256-GCM",
                "backup_id": self.backup_id,
                "key_id": self.key_id,
                "wrapped_file_key": self.wrapped_file_key,
                "chunk_size": self.chunk_size,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode("ascii")


@dataclass(frozen=True)
class StreamStats:
    plain_size: int
    plain_sha256: str
    chunks: int


def _nonce(index: int) -> bytes:
    return index.to_bytes(12, "big")


def _ad(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + struct.pack(">QB", index, 1 if final else 0)


def _read_exactly(source: Readable, size: int) -> bytes:
    """Read ``size`` bytes, or fewer only at end of input (pipes return short reads)."""
    parts: list[bytes] = []
    wanted = size
    while wanted:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def encrypt(
    source: Readable,
    target: Writable,
    *,
    key: BackupKey,
    backup_id: str,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], object] | None = None,
) -> StreamStats:
    """Encrypt ``source`` into ``target`` chunk by chunk; return sizes and a plaintext digest."""
    file_key = AESGCM.generate_key(bit_length=256)
    wrap_nonce = secrets.token_bytes(12)
    wrapped = wrap_nonce + AESGCM(key.wrap_key).encrypt(
        wrap_nonce, file_key, FILE_KEY_AD + backup_id.encode()
    )
    header = Header(backup_id, key.key_id, base64.b64encode(wrapped).decode("ascii"), chunk_size)
    header_bytes = header.to_bytes()
    target.write(MAGIC + struct.pack(">I", len(header_bytes)) + header_bytes)
    header_digest = hashlib.sha256(MAGIC + header_bytes).digest()
    aead = AESGCM(file_key)
    digest = hashlib.sha256()
    size = 0
    index = 0
    pending = _read_exactly(source, chunk_size)
    while True:
        # One chunk of look-ahead: a chunk is final only if nothing follows it.
        following = _read_exactly(source, chunk_size) if len(pending) == chunk_size else b""
        final = not following
        sealed = aead.encrypt(_nonce(index), pending, _ad(header_digest, index, final))
        target.write(struct.pack(">I", len(sealed)) + sealed)
        digest.update(pending)
        size += len(pending)
        if progress is not None:
            progress(len(pending))
        index += 1
        if final:
            break
        pending = following
    return StreamStats(size, digest.hexdigest(), index)


def read_header(source: Readable) -> tuple[Header, bytes]:
    """Read and parse the header; return it with the digest chunks are bound to."""
    magic = source.read(len(MAGIC))
    if magic != MAGIC:
        raise BackupFormatError("This is not a Wellkept backup file (its first bytes are wrong).")
    raw_length = source.read(4)
    if len(raw_length) != 4:
        raise BackupFormatError("The backup file is cut short inside its header.")
    (length,) = struct.unpack(">I", raw_length)
    if length > MAX_HEADER:
        raise BackupFormatError("The backup header is damaged (impossible length).")
    header_bytes = source.read(length)
    if len(header_bytes) != length:
        raise BackupFormatError("The backup file is cut short inside its header.")
    try:
        data = json.loads(header_bytes)
        header = Header(
            str(data["backup_id"]),
            str(data["key_id"]),
            str(data["wrapped_file_key"]),
            int(data["chunk_size"]),
        )
    except (ValueError, KeyError, TypeError):
        raise BackupFormatError("The backup header is damaged (unreadable).") from None
    if data.get("format") != 1 or not 0 < header.chunk_size <= 64 * CHUNK_SIZE:
        raise BackupFormatError("The backup header names an unknown format.")
    return header, hashlib.sha256(MAGIC + header_bytes).digest()


def _file_key(header: Header) -> bytes:
    key = key_for(header.key_id)
    try:
        wrapped = base64.b64decode(header.wrapped_file_key, validate=True)
        return AESGCM(key.wrap_key).decrypt(
            wrapped[:12], wrapped[12:], FILE_KEY_AD + header.backup_id.encode()
        )
    except (ValueError, InvalidTag):
        raise BackupFormatError(
            f"The backup's file key does not open under backup key {header.key_id}: the "
            "header was tampered with, or the key file holds a different key under that id."
        ) from None


def decrypt(
    source: Readable,
    *,
    expected_backup_id: str | None = None,
    progress: Callable[[int], object] | None = None,
) -> Iterator[bytes]:
    """Yield the plaintext chunk by chunk, each only after its tag verified.

    Raises BackupFormatError for any damage, including a missing final chunk
    or bytes after it. A consumer must treat what it received as unusable
    until the generator has finished without error.
    """
    header, header_digest = read_header(source)
    if expected_backup_id is not None and header.backup_id != expected_backup_id:
        raise BackupFormatError(
            "The backup file does not belong to this manifest (different backup ids)."
        )
    aead = AESGCM(_file_key(header))
    index = 0
    limit = header.chunk_size + TAG_BYTES
    while True:
        raw_length = source.read(4)
        if not raw_length:
            raise BackupFormatError(
                f"The backup file is truncated: it ends after chunk {index} without its final "
                "chunk."
            )
        if len(raw_length) != 4:
            raise BackupFormatError(f"The backup file is truncated inside chunk {index}.")
        (length,) = struct.unpack(">I", raw_length)
        if not TAG_BYTES <= length <= limit:
            raise BackupFormatError(f"Chunk {index} of the backup is damaged (bad length).")
        sealed = _read_exactly(source, length)
        if len(sealed) != length:
            raise BackupFormatError(f"The backup file is truncated inside chunk {index}.")
        plain, final = _open_chunk(aead, sealed, header_digest, index)
        if progress is not None:
            progress(len(plain))
        yield plain
        index += 1
        if final:
            break
    if source.read(1):
        raise BackupFormatError("The backup file has extra bytes after its final chunk.")


def _open_chunk(
    aead: AESGCM, sealed: bytes, header_digest: bytes, index: int
) -> tuple[bytes, bool]:
    for final in (False, True):
        try:
            return aead.decrypt(_nonce(index), sealed, _ad(header_digest, index, final)), final
        except InvalidTag:
            continue
    raise BackupFormatError(
        f"Chunk {index} of the backup fails authentication: the file was altered, or chunks "
        "were reordered or taken from another backup."
    )
