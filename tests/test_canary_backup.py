"""Canary for backups: no planted value, not even one the database keeps in clear, in a backup.

Personal values are already ciphertext in the database (invariant 1); a
backup adds a second layer, so it must not show even what the database
stores in clear by design (an organisation's name, a pseudonymous token, an
audit reference). The test plants distinctive values through the services,
checks that the detector finds them in the database and in the decrypted
snapshot (so the test can fail), then greps every byte of the backup file, its
manifest and everything else left in the backup folder and next to the
database: nothing may appear, in any of the forms a value could leak in.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from tests.test_canary import database_bytes
from wellkept.actors import SystemActor
from wellkept.assessments.tests.fixtures import Hospital, hospital, join, make_clinician
from wellkept.lifecycle.backup import stream
from wellkept.lifecycle.backup.manifest import manifest_path
from wellkept.orgs import services as org_services
from wellkept.orgs.models import UnitKind

pytestmark = pytest.mark.django_db(transaction=True)

__all__ = ["hospital"]

CANARY_EMAIL = "ptarmigan.backup-canary@canary-hospital.invalid"
CANARY_NAME = "Gwendolyn Backupcanary-Ptarmigan"
# Stored in clear in the database by design: a backup must still hide it.
CANARY_UNIT = "Canary Ward Xylofax"


@pytest.fixture(autouse=True)
def outside_files(tmp_path: Path, settings) -> Path:
    settings.WELLKEPT_BACKUP_KEY_FILE = tmp_path / "keys" / "backup.key"
    settings.WELLKEPT_TOMBSTONE_FILE = tmp_path / "lifecycle" / "tombstones.jsonl"
    (tmp_path / "backups").mkdir()
    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("PostgreSQL backups need pg_dump on PATH; not installed here")
    return tmp_path


def forms_of(value: str) -> list[bytes]:
    raw = value.encode()
    return [raw, raw.lower(), value.encode("utf-16-le"), base64.b64encode(raw)]


def planted(h: Hospital) -> list[str]:
    user = make_clinician(h.organisation, CANARY_EMAIL)
    user.display_name = CANARY_NAME
    user.save(update_fields=["display_name"])
    participant = join(h, user, follow_up=True)
    org_services.unit_create(
        actor=SystemActor("canary"),
        organisation=h.organisation,
        name=CANARY_UNIT,
        kind=UnitKind.UNIT,
        parent=h.ward.parent,
    )
    return [CANARY_EMAIL, "ptarmigan", CANARY_NAME, "Backupcanary", CANARY_UNIT, participant.token]


def written_bytes(folder: Path, backup: Path) -> dict[str, bytes]:
    """Every file in the backup folder, plus anything a backup left next to the database."""
    found = {str(p): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert str(backup) in found
    assert str(manifest_path(backup)) in found
    if connection.vendor == "sqlite":
        db_dir = Path(connection.settings_dict["NAME"]).parent
        leftovers = list(db_dir.glob(".wellkept-backup-*"))
        assert leftovers == [], f"plaintext scratch copies left behind: {leftovers}"
    return found


def scan(files: dict[str, bytes], values: list[str]) -> None:
    for name, data in files.items():
        for value in values:
            for needle in forms_of(value):
                assert needle not in data, f"{value!r} found in clear in {name}"


def decrypted(backup: Path) -> bytes:
    """The backup's plaintext as text a reader would grep (pg_dump compresses its data)."""
    with backup.open("rb") as source:
        plain = b"".join(stream.decrypt(source))
    if connection.vendor != "postgresql":
        return plain
    tool = shutil.which("pg_restore")
    if tool is None:
        pytest.skip("pg_restore is needed to read a PostgreSQL dump; not installed here")
    script = subprocess.run([tool, "--file=-"], input=plain, capture_output=True, check=True)
    return script.stdout


def test_no_planted_value_appears_in_a_backup_or_its_manifest(
    hospital: Hospital, outside_files: Path
) -> None:
    values = planted(hospital)
    backup = outside_files / "backups" / "canary.wkbackup"
    call_command("backup", "create", str(backup), "--no-progress", stdout=StringIO())
    call_command("backup", "drill", "--dir", str(backup.parent), "--no-progress", stdout=StringIO())

    # The detector works: the clear-by-design values are in the database and
    # in the decrypted snapshot, so a plaintext backup would fail this test.
    plain = decrypted(backup)
    for value in (CANARY_UNIT, values[-1]):
        assert value.encode() in database_bytes()
        assert value.encode() in plain
    scan(written_bytes(outside_files / "backups", backup), values)


def test_the_scan_finds_a_value_in_a_file_that_is_not_encrypted(
    hospital: Hospital, outside_files: Path
) -> None:
    """Prove the scan itself: the same check fails on a plaintext copy."""
    planted(hospital)
    backup = outside_files / "backups" / "canary.wkbackup"
    call_command("backup", "create", str(backup), "--no-progress", stdout=StringIO())
    (outside_files / "backups" / "leak.bin").write_bytes(decrypted(backup))

    files = written_bytes(outside_files / "backups", backup)

    with pytest.raises(AssertionError, match="found in clear"):
        scan(files, [CANARY_UNIT])
