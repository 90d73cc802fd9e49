"""System checks for the keyring."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from wellkept.vault.keyring import KeyringError, LocalFileKeyring, get_keyring


@checks.register(checks.Tags.security)
def check_keyring(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to run in production without an existing, readable key file."""
    if not settings.PRODUCTION:
        return []
    keyring = get_keyring()
    if isinstance(keyring, LocalFileKeyring):
        if not keyring.exists():
            return [
                checks.Error(
                    f"The key-encryption key file {keyring.path} does not exist.",
                    hint="Restore it from key escrow, or set WELLKEPT_KEYRING_FILE. Production "
                    "never creates keys on its own.",
                    id="wellkept.E010",
                )
            ]
        try:
            keyring.current_kek_id()
        except KeyringError as exc:
            return [checks.Error(str(exc), id="wellkept.E011")]
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
