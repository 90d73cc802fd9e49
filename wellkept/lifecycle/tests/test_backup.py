"""`wellkept backup`: create, verify, restore and drill, on the configured database.

Runs on SQLite by default and on PostgreSQL when DATABASE_URL points to one
(then pg_dump and pg_restore must be on PATH, or these tests skip saying so).
The round trip is the acceptance test of issue 7: a backup taken before an
erasure, restored afterwards, must not bring the erased person back, and must
give back every other record exactly.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import stat
import struct
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from wellkept.actors import SystemActor
from wellkept.assessments import services as assessments
from wellkept.assessments.models import CheckIn, Response
from wellkept.assessments.tests.fixtures import BURNOUT_OK, PHQ2_LOW, Hospital
from wellkept.audit import checkpoints
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.audit.verify import chain_verify
from wellkept.insights.models import Cell, EnrolmentCell
from wellkept.lifecycle.backup import stream
from wellkept.lifecycle.backup.manifest import manifest_path
from wellkept.lifecycle.models import TombstoneHead
from wellkept.lifecycle.services import participant_erase
from wellkept.lifecycle.tombstones import journal_path
from wellkept.orgs.models import Participant
from wellkept.vault.models import DataKey

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN = SystemActor("backup-tests")
# Changed by the erasure and by the restore in ways that legitimately differ
# between "erased once" and "restored, then erased again": the audit trail
# (the restore's own entries) and the signed receipts (one per erasure, each
# with its own id and signature), and the tombstone journal's head (the
# re-erasure appends one more tombstone).
LEGITIMATELY_DIFFERENT = {
    "audit_auditentry",
    "lifecycle_deletionreceipt",
    "lifecycle_tombstonehead",
}
# Rewritten under a fresh nonce when the erasure updates them: compared
# decrypted instead (see aggregates()).
RE_ENCRYPTED = {"insights_cell", "insights_enrolmentcell"}
# The time of the shred: "now" at the first erasure and again at the restore's.
IGNORED_COLUMNS = {"vault_datakey": {"shredded_at"}}


@pytest.fixture(autouse=True)
def outside_files(tmp_path: Path, settings) -> Path:
    """The backup key and the tombstone journal, outside the database, per test."""
    settings.WELLKEPT_BACKUP_KEY_FILE = tmp_path / "keys" / "backup.key"
    settings.WELLKEPT_TOMBSTONE_FILE = tmp_path / "lifecycle" / "tombstones.jsonl"
    settings.WELLKEPT_BACKUP_DIR = tmp_path / "backups"
    (tmp_path / "backups").mkdir()
    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("PostgreSQL backups need pg_dump and pg_restore on PATH; not installed here")
    return tmp_path


def pulse(hospital: Hospital, name: str) -> CheckIn:
    user, participant = hospital.people[name], hospital.participants[name]
    checkin = assessments.checkin_start(
        actor=user, participant=participant, schedule=hospital.pulse
    )
    for code, answers in (("phq2", PHQ2_LOW), ("burnout1", BURNOUT_OK)):
        assessments.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code=code, answers=answers
        )
    return assessments.checkin_submit(
        actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
    )


def logical_digest() -> dict[str, str]:
    """One digest per table over every row, independent of physical order.

    Columns that the erasure sets to "now" are left out (see IGNORED_COLUMNS).
    """
    digests = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - names from the catalogue
            names = [column[0] for column in cursor.description]
            keep = [i for i, n in enumerate(names) if n not in IGNORED_COLUMNS.get(table, ())]
            rows = sorted(
                repr(
                    tuple(bytes(row[i]) if isinstance(row[i], memoryview) else row[i] for i in keep)
                )
                for row in cursor.fetchall()
            )
            digests[table] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digests


def aggregates() -> dict[str, object]:
    """The aggregate store, decrypted: re-encryption gives new ciphertext, not new figures."""
    cells = {
        f"{c.organisation_id}/{c.instrument}/{c.grain}/{c.period_start}": json.loads(c.payload)
        for c in Cell.objects.all()
    }
    enrolment = {str(c.organisation_id): json.loads(c.payload) for c in EnrolmentCell.objects.all()}
    return {"cells": cells, "enrolment": enrolment}


def lose_the_database() -> None:
    """What a disaster leaves: a freshly installed, empty database."""
    call_command("flush", interactive=False, verbosity=0)


def run(*args: str) -> str:
    out = StringIO()
    quiet = [] if args[0] == "keygen" else ["--no-progress"]
    call_command("backup", *args, *quiet, stdout=out, stderr=out)
    return out.getvalue()


def create(tmp_path: Path, name: str = "b.wkbackup") -> Path:
    target = tmp_path / "backups" / name
    run("create", str(target))
    return target


def refused(*args: str) -> str:
    """Run a backup command that must fail; return its message."""
    out = StringIO()
    quiet = [] if args[0] == "keygen" else ["--no-progress"]
    with pytest.raises((CommandError, SystemExit)) as caught:
        call_command("backup", *args, *quiet, stdout=out, stderr=out)
    if isinstance(caught.value, SystemExit):
        assert caught.value.code == 1
        return out.getvalue()
    return str(caught.value)


def flip_byte(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def chunk_offsets(path: Path) -> list[int]:
    """Start offsets of every chunk record in a backup file."""
    data = path.read_bytes()
    (header_length,) = struct.unpack(">I", data[8:12])
    offset, found = 12 + header_length, []
    while offset < len(data):
        found.append(offset)
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        offset += 4 + length
    return found


# -- the round trip ---------------------------------------------------------


def test_it_restores_everything_but_the_erased_person(hospital: Hospital, outside_files) -> None:
    pulse(hospital, "joe")
    pulse(hospital, "sara")
    joe = hospital.participants["joe"]
    joe_token, joe_subject = joe.token, joe.dek_subject
    backup = create(outside_files)

    participant_erase(actor=ADMIN, participant=joe)
    source, source_aggregates = logical_digest(), aggregates()
    lose_the_database()
    out = run("restore", str(backup))

    assert "1 erased participants erased again" in out
    # Absent: no participant, check-in or response of Joe's came back.
    assert not Participant.objects.filter(token=joe_token).exists()
    assert not CheckIn.objects.filter(participant__token=joe_token).exists()
    assert (
        Response.objects.count()
        == Response.objects.filter(participant=hospital.participants["sara"]).count()
    )
    # Unreadable: the data key the backup held was shredded again.
    datakey = DataKey.objects.get(subject=joe_subject)
    assert datakey.is_shredded
    assert datakey.wrapped is None
    # Every other record is what the source held after the erasure.
    restored = logical_digest()
    differing = {t for t in source if source[t] != restored.get(t)}
    assert differing <= LEGITIMATELY_DIFFERENT | RE_ENCRYPTED, differing
    assert set(restored) == set(source)
    assert aggregates() == source_aggregates
    # The chain verifies, and the restore is recorded in it, after the re-erasure.
    assert chain_verify().intact
    last = AuditEntry.objects.order_by("-id")[:2]
    assert [e.event for e in reversed(last)] == [
        EventType.SUBJECT_ERASED,
        EventType.BACKUP_RESTORED,
    ]
    assert last[0].actor_label == "system:backup restore"


def test_it_records_the_restore_in_the_checkpoints_and_keeps_checking_them(
    hospital: Hospital, outside_files
) -> None:
    call_command("audit", "init", "--adopt", stdout=StringIO())
    backup = create(outside_files)
    pulse(hospital, "joe")
    call_command("audit", "checkpoint", stdout=StringIO())
    lose_the_database()

    out = run("restore", str(backup))

    assert "records the restore; the checkpoints from before it are kept" in out
    kinds = [c.kind for c in checkpoints.read_evidence().merged]
    assert kinds.count("rewind") == 1
    assert kinds[0] == "genesis"
    result = chain_verify()
    assert result.intact, result.problems
    # The entries written after the backup are counted as lost, not called forged.
    assert any("before a recorded restore" in notice for notice in result.notices)


def test_it_refuses_a_non_empty_installation_unless_forced(
    hospital: Hospital, outside_files
) -> None:
    backup = create(outside_files)
    pulse(hospital, "joe")

    message = refused("restore", str(backup))
    assert "not empty" in message
    assert "--force" in message
    assert CheckIn.objects.filter(participant=hospital.participants["joe"]).exists()

    run("restore", str(backup), "--force")
    assert not CheckIn.objects.exists()
    assert chain_verify().intact


def test_it_refuses_when_the_tombstone_journal_was_cut_back(
    hospital: Hospital, outside_files
) -> None:
    participant_erase(actor=ADMIN, participant=hospital.participants["joe"])
    backup = create(outside_files)
    lose_the_database()
    journal_path().write_text("")

    message = refused("restore", str(backup))

    assert "tombstone journal" in message
    assert "shorter" in message
    assert not Participant.objects.exists()


def test_it_refuses_when_the_tombstone_journal_was_edited(
    hospital: Hospital, outside_files
) -> None:
    backup = create(outside_files)
    participant_erase(actor=ADMIN, participant=hospital.participants["joe"])
    lose_the_database()
    line = json.loads(journal_path().read_text())
    line["digest"] = "0" * 64
    journal_path().write_text(json.dumps(line) + "\n")

    message = refused("restore", str(backup))

    assert "edited or forged" in message


def test_it_dry_runs_a_restore_without_changing_anything(hospital: Hospital, outside_files) -> None:
    backup = create(outside_files)
    pulse(hospital, "joe")
    before = logical_digest()

    out = run("restore", str(backup), "--force", "--dry-run")

    assert "dry run" in out
    assert "Nothing changed" in out
    assert logical_digest() == before


# -- verify: tampered, truncated, wrong key, not a backup ------------------------


def test_it_verifies_a_good_backup_and_writes_nothing_to_the_trail(
    hospital: Hospital, outside_files
) -> None:
    backup = create(outside_files)
    entries = AuditEntry.objects.count()

    out = run("verify", str(backup))

    assert "complete and untampered" in out
    assert AuditEntry.objects.count() == entries


@pytest.mark.parametrize("where", ["header", "first chunk", "last chunk", "last byte"])
def test_it_refuses_a_backup_with_one_byte_flipped(
    hospital: Hospital, outside_files, where: str
) -> None:
    backup = create(outside_files)
    offsets = chunk_offsets(backup)
    offset = {
        "header": 20,
        "first chunk": offsets[0] + 100,
        "last chunk": offsets[-1] + 10,
        "last byte": backup.stat().st_size - 1,
    }[where]
    flip_byte(backup, offset)

    for action in ("verify", "restore"):
        message = refused(action, str(backup), *(["--force"] if action == "restore" else []))
        assert any(word in message for word in ("damaged", "altered", "tampered", "checksum"))
        assert "Traceback" not in message
    assert Participant.objects.count() == 2


@pytest.mark.parametrize("cut", ["mid-chunk", "at a chunk boundary", "header only"])
def test_it_refuses_a_truncated_backup(hospital: Hospital, outside_files, cut: str) -> None:
    pulse(hospital, "joe")
    backup = create(outside_files)
    offsets = chunk_offsets(backup)
    data = backup.read_bytes()
    length = {
        "mid-chunk": offsets[-1] + 50,
        # Without the final flag, cutting off whole chunks would go unnoticed.
        "at a chunk boundary": offsets[-1],
        "header only": offsets[0],
    }[cut]
    backup.write_bytes(data[:length])

    assert "truncated" in refused("verify", str(backup))
    assert "truncated" in refused("restore", str(backup), "--force")
    assert CheckIn.objects.exists()


def test_it_detects_a_truncated_stream_even_with_a_matching_manifest(tmp_path: Path) -> None:
    # The manifest's checksum would catch a cut file too; the final-chunk flag
    # catches it on its own (the stream is authenticated without a manifest).
    from wellkept.lifecycle.backup.keys import key_create

    key = key_create()
    sealed = tmp_path / "s"
    with sealed.open("wb") as out:
        stream.encrypt(
            __import__("io").BytesIO(b"x" * 5000), out, key=key, backup_id="b", chunk_size=1000
        )
    offsets = chunk_offsets(sealed)
    sealed.write_bytes(sealed.read_bytes()[: offsets[-1]])

    with sealed.open("rb") as source, pytest.raises(stream.BackupFormatError, match="truncated"):
        b"".join(stream.decrypt(source))


def test_it_detects_reordered_chunks(tmp_path: Path) -> None:
    import io

    from wellkept.lifecycle.backup.keys import key_create

    key = key_create()
    out = io.BytesIO()
    stream.encrypt(
        io.BytesIO(b"a" * 1000 + b"b" * 1000 + b"c" * 500),
        out,
        key=key,
        backup_id="b",
        chunk_size=1000,
    )
    sealed = tmp_path / "s"
    sealed.write_bytes(out.getvalue())
    offsets = chunk_offsets(sealed)
    data = out.getvalue()
    swapped = data[: offsets[0]] + data[offsets[1] : offsets[2]] + data[offsets[0] : offsets[1]]
    swapped += data[offsets[2] :]

    with pytest.raises(stream.BackupFormatError, match=r"Chunk 0 .* fails authentication"):
        b"".join(stream.decrypt(io.BytesIO(swapped)))


def test_it_refuses_an_edited_manifest(hospital: Hospital, outside_files) -> None:
    backup = create(outside_files)
    manifest = json.loads(manifest_path(backup).read_text())
    # An attacker hiding tombstones from the restore's journal check.
    manifest["tombstones"]["lines"] += 5
    manifest_path(backup).write_text(json.dumps(manifest))

    assert "fails its MAC" in refused("verify", str(backup))
    assert "fails its MAC" in refused("restore", str(backup), "--force")


def test_it_refuses_a_backup_without_its_manifest(hospital: Hospital, outside_files) -> None:
    backup = create(outside_files)
    manifest_path(backup).unlink()

    assert "manifest" in refused("verify", str(backup))
    assert "missing" in refused("verify", str(backup))


def test_it_names_the_missing_key_for_a_backup_under_another_key(
    hospital: Hospital, outside_files, settings
) -> None:
    backup = create(outside_files)
    key_id = json.loads(manifest_path(backup).read_text())["key_id"]
    Path(settings.WELLKEPT_BACKUP_KEY_FILE).unlink()
    run("keygen")

    message = refused("verify", str(backup))

    assert key_id in message
    assert "escrowed" in message


def test_it_refuses_a_file_that_is_not_a_backup(outside_files) -> None:
    other = outside_files / "notes.txt"
    other.write_text("hello")

    assert "not a Wellkept backup" in refused("verify", str(other))
    assert "does not exist" in refused("verify", str(outside_files / "absent"))
    assert "directory" in refused("verify", str(outside_files))


# -- create, keys, drill -------------------------------------------------------------


def test_it_creates_the_key_on_first_use_and_says_to_escrow_it(
    hospital: Hospital, outside_files, settings
) -> None:
    target = outside_files / "backups" / "first.wkbackup"

    out = run("create", str(target))

    key = Path(settings.WELLKEPT_BACKUP_KEY_FILE)
    assert "Escrow a copy" in out
    assert str(key) in out
    for path in (key, target, manifest_path(target)):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert AuditEntry.objects.filter(event=EventType.BACKUP_CREATED).count() == 1


def test_it_records_what_the_backup_holds_in_the_manifest(
    hospital: Hospital, outside_files
) -> None:
    participant_erase(actor=ADMIN, participant=hospital.participants["joe"])
    head = AuditEntry.objects.order_by("-id").first()
    backup = create(outside_files)

    manifest = json.loads(manifest_path(backup).read_text())

    assert manifest["vendor"] == connection.vendor
    assert manifest["row_counts"]["orgs_participant"] == 1
    assert manifest["audit_head"] == {"id": head.id, "mac": head.mac}
    assert manifest["tombstones"]["lines"] == 1
    assert manifest["schema"]["lifecycle"]
    assert manifest["schema"]["audit"]
    assert manifest["file_size"] == backup.stat().st_size


def test_it_never_overwrites_a_backup(hospital: Hospital, outside_files) -> None:
    backup = create(outside_files)
    before = backup.read_bytes()

    assert "already exists" in refused("create", str(backup))
    assert backup.read_bytes() == before


def test_it_dry_runs_a_backup_without_writing(hospital: Hospital, outside_files, settings) -> None:
    out = run("create", str(outside_files / "backups"), "--dry-run")

    assert "dry run" in out
    assert "would create a new backup key" in out
    assert list((outside_files / "backups").iterdir()) == []
    assert not Path(settings.WELLKEPT_BACKUP_KEY_FILE).exists()


def test_it_refuses_to_replace_a_backup_key(outside_files) -> None:
    run("keygen")

    assert "refusing to replace" in refused("keygen")
    assert "new current backup key" in run("keygen", "--rotate")


def test_it_drills_the_latest_backup(hospital: Hospital, outside_files) -> None:
    create(outside_files, "older.wkbackup")
    pulse(hospital, "joe")
    latest = create(outside_files, "newer.wkbackup")
    participant_erase(actor=ADMIN, participant=hospital.participants["sara"])
    before = Participant.objects.count()

    out = run("drill", "--dir", str(outside_files / "backups"))

    manifest = json.loads(manifest_path(latest).read_text())
    assert "restore drill passed" in out
    assert manifest["backup_id"] in out
    assert "1 participants or practice clients would be erased again" in out
    drilled = AuditEntry.objects.filter(event=EventType.BACKUP_DRILLED).get()
    assert drilled.reason.startswith("passed in")
    # The live installation is untouched.
    assert Participant.objects.count() == before


def test_it_fails_a_drill_on_a_damaged_backup(hospital: Hospital, outside_files) -> None:
    backup = create(outside_files)
    flip_byte(backup, chunk_offsets(backup)[0] + 64)

    message = refused("drill", "--dir", str(outside_files / "backups"))

    assert "restore drill FAILED" in message
    assert "fails authentication" in message
    assert (
        AuditEntry.objects.filter(event=EventType.BACKUP_DRILLED).get().reason.startswith("failed")
    )


def test_it_fails_a_drill_when_the_newest_manifest_was_edited(
    hospital: Hospital, outside_files
) -> None:
    create(outside_files, "older.wkbackup")
    newest = create(outside_files, "newer.wkbackup")
    manifest = json.loads(manifest_path(newest).read_text())
    manifest["row_counts"]["orgs_participant"] += 1
    manifest_path(newest).write_text(json.dumps(manifest))

    message = refused("drill", "--dir", str(outside_files / "backups"))

    assert "fails its MAC" in message
    drilled = AuditEntry.objects.get(event=EventType.BACKUP_DRILLED)
    assert drilled.reason.startswith("failed")
    assert drilled.target == "backup-file:newer.wkbackup"


def test_it_says_what_to_do_when_there_is_no_backup_to_drill(outside_files) -> None:
    assert "wellkept backup create" in refused("drill", "--dir", str(outside_files / "backups"))


# -- the tombstone journal must be there and complete (issue 15) --------------------


def test_a_fresh_installation_without_the_journal_refuses_until_the_loss_is_accepted(
    hospital: Hospital, outside_files
) -> None:
    joe = hospital.participants["joe"]
    pulse(hospital, "joe")
    backup = create(outside_files)  # before any erasure: the journal is empty
    backup_id = json.loads(manifest_path(backup).read_text())["backup_id"]
    participant_erase(actor=ADMIN, participant=joe)
    # A new machine with the keys but without the journal (the attack).
    lose_the_database()
    journal_path().unlink()

    message = refused("restore", str(backup))

    assert "tombstone journal" in message
    assert "is missing" in message
    assert "would bring people who asked to be erased back" in message
    assert f"--accept-tombstone-loss {backup_id}" in message
    assert not Participant.objects.exists()
    assert "names 'some-other-backup'" in refused(
        "restore", str(backup), "--accept-tombstone-loss", "some-other-backup"
    )
    assert not Participant.objects.exists()

    out = StringIO()
    call_command(
        "backup",
        "restore",
        str(backup),
        "--accept-tombstone-loss",
        backup_id,
        "--no-progress",
        stdout=out,
        stderr=out,
    )

    assert "TOMBSTONE LOSS ACCEPTED" in out.getvalue()
    assert "erase them again as soon as you know who they are" in out.getvalue()
    # Accepted: Joe is back, and the override is in the restored trail.
    assert Participant.objects.filter(token=joe.token).exists()
    override = AuditEntry.objects.get(event=EventType.BACKUP_RESTORE_OVERRIDE)
    assert override.target == f"backup:{backup_id}"
    assert "is missing" in override.reason
    assert chain_verify().intact
    # A new, empty journal and a database head that agree: erasing works again.
    assert journal_path().exists()
    participant_erase(actor=ADMIN, participant=Participant.objects.get(token=joe.token))
    assert TombstoneHead.objects.get().lines == 1


def test_a_journal_put_back_from_an_old_copy_is_refused_against_the_database(
    hospital: Hospital, outside_files
) -> None:
    participant_erase(actor=ADMIN, participant=hospital.participants["sara"])
    backup = create(outside_files)
    old_copy = journal_path().read_bytes()
    participant_erase(actor=ADMIN, participant=hospital.participants["joe"])
    assert TombstoneHead.objects.get().lines == 2
    # The journal reaches what the backup saw, but not the erasure after it.
    journal_path().write_bytes(old_copy)

    message = refused("restore", str(backup), "--force")

    assert "shorter than this installation's database says" in message
    assert "2 lines" in message


def test_every_recorded_head_is_checked_including_another_sink(
    hospital: Hospital, outside_files, monkeypatch
) -> None:
    """A second place for heads plugs in at tombstone_heads_recorded: the restore obeys it."""
    from wellkept.lifecycle import tombstones

    backup = create(outside_files)
    manifest = json.loads(manifest_path(backup).read_text())
    assert manifest["tombstones"]["database_head"] == {"lines": 0, "mac": ""}
    lose_the_database()
    elsewhere = tombstones.RecordedHead(
        source="the off-site checkpoint", position=tombstones.JournalPosition(3, "f" * 64)
    )
    monkeypatch.setattr(tombstones, "tombstone_heads_recorded", lambda: [elsewhere])

    message = refused("restore", str(backup))

    assert "shorter than the off-site checkpoint says" in message
    drill = refused("drill", "--dir", str(outside_files / "backups"))
    assert "a restore of this backup would be refused" in drill
