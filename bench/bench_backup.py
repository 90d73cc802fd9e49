"""Backup and restore throughput, against the bare SQLite backup API plus AES-GCM.

A synthetic hospital of 30,000 participants gets about a million check-ins:
200 participants' year is seeded through the real bulk path
(``seed_checkins``: scored, encrypted responses), then those rows are copied,
with new ids, onto the other participants until the target is reached. The
copies carry real ciphertexts (the same sizes and entropy as real rows), but
bound to the rows they were made for: they would not decrypt, which a
backup never does. Then, in the same run and on the same file:

* ``backup create``: online snapshot, chunked AES-256-GCM under the backup
  key, manifest (row counts of every table, checksums), audit entry;
* ``backup verify``: authenticate every chunk, check both checksums;
* ``backup restore --force``: verify while decrypting, write the database
  back page by page, check the restored audit chain against the
  checkpoints, re-apply the tombstone journal, audit, verify again;
* baseline: ``sqlite3.Connection.backup`` to a file, then AES-256-GCM of
  that file in 1 MiB chunks (no framing, no manifest); and back: decrypt,
  then ``backup`` into the live database.

Printed: MB (the database file), seconds, MB/s, and the ratio to the
baseline. Sizes: WELLKEPT_BENCH_BACKUP_CHECKINS (default 1000000),
WELLKEPT_BENCH_BACKUP_PARTICIPANTS (30000), WELLKEPT_BENCH_BACKUP_BASE (200).

    .venv/bin/python bench/run.py bench_backup
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 1 << 20


def _seed(participants: int, base: int, target: int) -> int:
    """Seed ``base`` participants' year through the real path, then copy it to the others."""
    import uuid

    from django.db import connection, transaction

    from wellkept.assessments.models import CheckIn, Response, today
    from wellkept.demo import bulk as seeding
    from wellkept.demo.bulk.checkins import CHECKIN_COLUMNS, RESPONSE_COLUMNS, _insert

    org, _ = seeding.synthetic_organisation(slug="bench-backup")
    programme = seeding.programme_ensure(actor=seeding.SEED_ACTOR, organisation=org)
    notice = seeding.notice_ensure(
        actor=seeding.SEED_ACTOR, organisation=org, contact=seeding.SYNTHETIC_CONTACT
    )
    ids = seeding.seed_participants(
        organisation=org,
        notice=notice,
        count=participants,
        enrolled_on=today(),
        rng=random.Random(7),
    )
    seeding.seed_checkins(
        organisation=org,
        programme=programme,
        participants=seeding.participants_by_id(ids[:base]),
        weeks=52,
        end=today(),
        rng=random.Random(8),
    )
    # Raw rows, as stored: UUIDs as 32 hex digits (SQLite), ciphertexts as text.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(CHECKIN_COLUMNS)} FROM assessments_checkin")  # noqa: S608
        checkins = cursor.fetchall()
        cursor.execute(f"SELECT {', '.join(RESPONSE_COLUMNS)} FROM assessments_response")  # noqa: S608
        responses: dict[object, list[tuple]] = {}
        for row in cursor.fetchall():
            responses.setdefault(row[1], []).append(row)
    others = iter(uuid.UUID(str(pid)).hex for pid in ids[base:])
    total = len(checkins)
    while total < target:
        try:
            owner = {pid: next(others) for pid in {row[1] for row in checkins}}
        except StopIteration:
            raise SystemExit(
                f"bench_backup: {participants} participants hold only {total:,} check-ins; "
                "raise WELLKEPT_BENCH_BACKUP_PARTICIPANTS"
            ) from None
        new_checkins, new_responses = [], []
        for row in checkins:
            checkin_id = uuid.uuid4().hex
            person = owner[row[1]]
            new_checkins.append((checkin_id, person, *row[2:5], uuid.uuid4().hex, *row[6:]))
            for r in responses.get(row[0], []):
                new_responses.append((uuid.uuid4().hex, checkin_id, person, *r[3:]))
        with transaction.atomic():
            _insert(CheckIn, CHECKIN_COLUMNS, new_checkins)
            _insert(Response, RESPONSE_COLUMNS, new_responses)
        total += len(new_checkins)
    return CheckIn.objects.count()


def _baseline_backup(db: Path, work: Path, key: bytes) -> float:
    started = time.perf_counter()
    copy = work / "baseline.sqlite3"
    source = sqlite3.connect(db)
    target = sqlite3.connect(copy)
    source.backup(target)
    target.close()
    source.close()
    aead = AESGCM(key)
    with copy.open("rb") as plain, (work / "baseline.enc").open("wb") as out:
        index = 0
        while chunk := plain.read(CHUNK):
            out.write(aead.encrypt(index.to_bytes(12, "big"), chunk, None))
            index += 1
        out.flush()
        os.fsync(out.fileno())
    copy.unlink()
    return time.perf_counter() - started


def _baseline_restore(db: Path, work: Path, key: bytes) -> float:
    from django.db import connection

    started = time.perf_counter()
    plain_path = work / "baseline-restore.sqlite3"
    aead = AESGCM(key)
    with (work / "baseline.enc").open("rb") as sealed, plain_path.open("wb") as plain:
        index = 0
        while chunk := sealed.read(CHUNK + 16):
            plain.write(aead.decrypt(index.to_bytes(12, "big"), chunk, None))
            index += 1
    connection.close()
    source = sqlite3.connect(plain_path)
    target = sqlite3.connect(db)
    source.backup(target)
    target.close()
    source.close()
    plain_path.unlink()
    return time.perf_counter() - started


def run() -> None:
    from django.db import connection

    from wellkept.actors import SystemActor
    from wellkept.lifecycle.backup import services

    if connection.vendor != "sqlite":
        print("bench_backup: SQLite only (the baseline is the SQLite backup API); skipped")
        return
    participants = int(os.environ.get("WELLKEPT_BENCH_BACKUP_PARTICIPANTS", "30000"))
    target = int(os.environ.get("WELLKEPT_BENCH_BACKUP_CHECKINS", "1000000"))
    base = min(participants, int(os.environ.get("WELLKEPT_BENCH_BACKUP_BASE", "200")))
    started = time.perf_counter()
    checkins = _seed(participants, base, target)
    seeded = time.perf_counter() - started
    connection.close()
    db = Path(connection.settings_dict["NAME"])
    mb = db.stat().st_size / 1e6
    actor = SystemActor("bench backup")
    key = AESGCM.generate_key(bit_length=256)
    with tempfile.TemporaryDirectory(prefix="wellkept-bench-backup-") as tmp:
        work = Path(tmp)
        base_backup = _baseline_backup(db, work, key)
        t = time.perf_counter()
        created = services.backup_create(actor=actor, path=work / "bench.wkbackup")
        ours_backup = time.perf_counter() - t
        t = time.perf_counter()
        services.backup_verify(path=created.path)
        ours_verify = time.perf_counter() - t
        base_restore = _baseline_restore(db, work, key)
        t = time.perf_counter()
        restored = services.backup_restore(actor=actor, path=created.path, force=True)
        ours_restore = time.perf_counter() - t
        encrypted_mb = created.path.stat().st_size / 1e6
    if restored.audit is None or not restored.audit.intact:
        raise SystemExit("bench_backup: the restored audit chain does not verify")

    print(
        f"backup: {checkins:,} check-ins from {participants:,} participants "
        f"(seeded in {seeded:.0f} s); database file {mb:.1f} MB, backup file {encrypted_mb:.1f} MB"
    )
    print(f"  {'operation':<58} {'MB':>8} {'s':>8} {'MB/s':>8} {'ratio':>7}")
    rows = [
        ("baseline backup: sqlite3 backup API + AES-256-GCM", base_backup, base_backup),
        ("wellkept backup create (snapshot, chunks, manifest)", ours_backup, base_backup),
        ("wellkept backup verify (every chunk, both checksums)", ours_verify, base_backup),
        ("baseline restore: AES-256-GCM decrypt + backup API", base_restore, base_restore),
        ("wellkept backup restore (verify, restore, re-apply, audit)", ours_restore, base_restore),
    ]
    for label, seconds, against in rows:
        print(
            f"  {label:<58} {mb:8.1f} {seconds:8.2f} {mb / seconds:8.1f} {seconds / against:6.2f}x"
        )
