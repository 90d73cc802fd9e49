"""System checks for the keyring, and the start-up refusal built on them.

A missing key file where data keys exist, or a key file that cannot be read,
stops every start in every mode (development included): `wellkept` commands
exit 1 with the sentence before doing anything (wellkept.__main__), and the
WSGI application refuses to load (wellkept.wsgi). Production adds the file's
mode and place.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.db import DatabaseError

from wellkept.vault.keyring import (
    KeyringError,
    LocalFileKeyring,
    data_keys_in_database,
    get_keyring,
    missing_key_file_sentence,
)


def key_file_problem() -> tuple[str, str] | None:
    """Return (check id, sentence) when the key file cannot serve this database, in any mode."""
    keyring = get_keyring()
    if not isinstance(keyring, LocalFileKeyring):
        # A KMS provider: nothing on local disk to look at.
        return None
    if not keyring.exists():
        if settings.PRODUCTION or not settings.WELLKEPT_KEYRING_CREATE:
            return (
                "wellkept.E010",
                f"The key-encryption key file {keyring.path} does not exist. Restore it from "
                "key escrow, or set WELLKEPT_KEYRING_FILE. Production never creates keys on "
                "its own.",
            )
        wrapped = data_keys_in_database()
        if wrapped:
            return "wellkept.E010", missing_key_file_sentence(keyring.path, wrapped)
        return None
    try:
        held = set(keyring.kek_ids())
    except KeyringError as exc:
        return "wellkept.E011", str(exc)
    foreign = _kek_ids_in_use() - held
    if foreign:
        return (
            "wellkept.E014",
            f"The key file {keyring.path} does not hold the key-encryption keys that wrapped "
            f"this database's data keys ({', '.join(sorted(foreign))}): it is another "
            "installation's key file, or an old copy. Restore the matching key file from "
            "your key escrow.",
        )
    return None


def _kek_ids_in_use() -> set[str]:
    from wellkept.vault.models import DataKey

    try:
        return set(
            DataKey.objects.filter(shredded_at__isnull=True)
            .exclude(kek_id="")
            .values_list("kek_id", flat=True)
            .distinct()
        )
    except DatabaseError:
        return set()


@checks.register(checks.Tags.security)
def check_keyring(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse a missing, unreadable or foreign key file; in production also a careless one."""
    problem = key_file_problem()
    if problem is not None:
        return [checks.Error(problem[1], id=problem[0])]
    if not settings.PRODUCTION:
        return []
    keyring = get_keyring()
    if isinstance(keyring, LocalFileKeyring):
        db_dir = sqlite_folder_holding(keyring.path, settings.DATABASES["default"])
        if db_dir is not None:
            # A file-level backup of the database folder would carry the key
            # that opens it.
            return [
                checks.Error(
                    f"The key file {keyring.path} lies inside the database folder {db_dir}.",
                    hint="Keep keys apart from data: set WELLKEPT_KEYRING_FILE to a path "
                    "outside that folder (and outside every backup of it).",
                    id="wellkept.E013",
                )
            ]
        if keyring.path.stat().st_mode & 0o077:
            return [
                checks.Error(
                    f"The key file {keyring.path} is readable by other users.",
                    hint=f"Run: chmod 600 {keyring.path}",
                    id="wellkept.E012",
                )
            ]
    return []


def sqlite_folder_holding(key_path: Path, database: Mapping[str, Any]) -> Path | None:
    """Return the SQLite database's folder when the key file lies inside it."""
    if not str(database.get("ENGINE", "")).endswith("sqlite3"):
        return None
    db_dir = Path(str(database["NAME"])).resolve().parent
    return db_dir if key_path.resolve().is_relative_to(db_dir) else None
