"""Files only the service can read: created 0600 in 0700 folders, and production refuses others.

Before: the SQLite file and its WAL were created 0644 in a 0755 var/, so any
local user could copy them (and, with session keys stored in clear, take
over live sessions).
"""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from django.test import override_settings

from tests.processes import environment, python
from wellkept.web.checks import check_file_modes, file_mode_errors, private_paths

# Run in a child with the usual 022 umask: migrate, start the trail, write a
# data key, erase nothing; then, with the database still open (so the WAL
# and SHM files exist), report the mode of everything under var/.
CHILD = """
import json, os, pathlib, sys
import django
django.setup()
from django.core.management import call_command
from django.db import connection
call_command("migrate", verbosity=0)
call_command("audit", "init", verbosity=0)
from wellkept.accounts.models import User
User.objects.create_user("ana@example.org", "x" * 20)
from wellkept.lifecycle.tombstones import tombstone_append
from wellkept import clock
tombstone_append(token="t", at=clock.now())
with connection.cursor() as cursor:
    cursor.execute("BEGIN IMMEDIATE")
    cursor.execute("SELECT COUNT(*) FROM accounts_user")
    modes = {
        str(p.relative_to(sys.argv[1])): oct(p.stat().st_mode & 0o777)
        for p in pathlib.Path(sys.argv[1]).rglob("*")
    }
    cursor.execute("COMMIT")
print(json.dumps(modes))
"""


@pytest.fixture(scope="module")
def created(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("modes")
    var_dir = root / "var"
    env = environment(var_dir, DJANGO_SETTINGS_MODULE="wellkept.settings")
    result = python(env, "-c", f"import os; os.umask(0o022); exec({CHILD!r})", str(var_dir))
    assert result.returncode == 0, result.stderr
    modes: dict[str, str] = json.loads(result.stdout.strip().splitlines()[-1])
    return modes


def test_every_file_is_created_for_the_service_alone(created: dict[str, str]) -> None:
    expected = {
        "wellkept.sqlite3",
        "wellkept.sqlite3-wal",
        "wellkept.sqlite3-shm",
        "keys/keyring.json",
        "keys/django-secret-key",
        "audit/checkpoints.jsonl",
        "audit/anchor.sqlite3",
        "lifecycle/tombstones.jsonl",
    }
    assert expected <= set(created), sorted(created)
    for name, mode in created.items():
        folder = not Path(name).suffix and name in {"keys", "audit", "lifecycle"}
        assert mode == ("0o700" if folder else "0o600"), (name, mode)


def test_production_refuses_files_others_can_read(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir(mode=0o700)
    database = var_dir / "wellkept.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o600)
    wal = var_dir / "wellkept.sqlite3-wal"
    wal.write_bytes(b"")
    wal.chmod(0o644)
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(database)}
    with override_settings(VAR_DIR=var_dir, WELLKEPT_BACKUP_DIR=tmp_path / "backups"):
        paths = private_paths(sqlite)
        assert {var_dir, database, wal} <= set(paths)
        (message,) = file_mode_errors(paths)
        assert message.id == "wellkept.E040"
        assert f"{wal} (644)" in message.msg
        assert f"{database} (" not in message.msg
        wal.chmod(0o600)
        var_dir.chmod(0o755)
        (message,) = file_mode_errors(private_paths(sqlite))
        assert f"{var_dir} (755)" in message.msg
        var_dir.chmod(0o700)
        assert file_mode_errors(private_paths(sqlite)) == []


def test_the_check_runs_in_production_only(tmp_path: Path) -> None:
    loose = tmp_path / "var"
    loose.mkdir()
    loose.chmod(0o755)
    with override_settings(PRODUCTION=False, VAR_DIR=loose):
        assert check_file_modes() == []
    with override_settings(PRODUCTION=True, VAR_DIR=loose):
        assert [m.id for m in check_file_modes()] == ["wellkept.E040"]
    assert stat.S_IMODE(loose.stat().st_mode) == 0o755
