"""Production system checks: Wellkept refuses to run without these.

Registered without ``deploy=True`` so they run on every management command
and at WSGI start-up (wellkept.wsgi), not only under ``check --deploy``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks

from wellkept.audit.sinks import local_paths

ONE_YEAR = 365 * 24 * 3600


@checks.register(checks.Tags.security)
def check_production_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not settings.PRODUCTION:
        return []
    errors: list[checks.CheckMessage] = []

    def refuse(check_id: str, msg: str, hint: str) -> None:
        errors.append(checks.Error(msg, hint=hint, id=check_id))

    if settings.DEBUG:
        refuse("wellkept.E001", "DEBUG is on in production.", "Unset WELLKEPT_DEBUG.")
    key = settings.SECRET_KEY
    if (
        not settings.WELLKEPT_SECRET_KEY_FROM_ENV
        or len(key) < 50
        or len(set(key)) < 5
        or key.startswith("django-insecure")
    ):
        refuse(
            "wellkept.E002",
            "No real secret key is configured.",
            "Set WELLKEPT_SECRET_KEY (or WELLKEPT_SECRET_KEY_FILE) to 50+ random characters, "
            "e.g. from: python -c 'import secrets; print(secrets.token_urlsafe(64))'.",
        )
    if not settings.SECURE_SSL_REDIRECT:
        refuse(
            "wellkept.E003",
            "HTTP is not redirected to HTTPS.",
            "Set WELLKEPT_SECURE_SSL_REDIRECT=1 and serve over HTTPS.",
        )
    if settings.SECURE_HSTS_SECONDS < ONE_YEAR:
        refuse(
            "wellkept.E004",
            f"HSTS lasts {settings.SECURE_HSTS_SECONDS} seconds; at least one year is required.",
            f"Set WELLKEPT_HSTS_SECONDS={ONE_YEAR} or more.",
        )
    if not settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        refuse(
            "wellkept.E005",
            "HSTS does not cover subdomains.",
            "Set WELLKEPT_HSTS_INCLUDE_SUBDOMAINS=1.",
        )
    if not (settings.SESSION_COOKIE_SECURE and settings.CSRF_COOKIE_SECURE):
        refuse(
            "wellkept.E006",
            "Session and CSRF cookies may be sent over plain HTTP.",
            "Set WELLKEPT_SECURE_COOKIES=1.",
        )
    if not settings.ALLOWED_HOSTS or "*" in settings.ALLOWED_HOSTS:
        refuse(
            "wellkept.E007",
            "WELLKEPT_ALLOWED_HOSTS is empty or a wildcard.",
            "Set WELLKEPT_ALLOWED_HOSTS to the host names users type, e.g. wellkept.example.org.",
        )
    if not settings.WELLKEPT_BASE_URL.startswith("https://"):
        refuse(
            "wellkept.E008",
            "WELLKEPT_BASE_URL is not an https:// address; links in e-mails would be insecure.",
            "Set WELLKEPT_BASE_URL=https://your-host.",
        )
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2] if "." in settings.EMAIL_BACKEND else ""
    if backend in {"console", "locmem", "dummy", "filebased"}:
        # Invitation and password-reset links would land in a log or a file.
        refuse(
            "wellkept.E009",
            f"E-mail goes to the {backend} backend, not to people.",
            "Set WELLKEPT_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and the "
            "WELLKEPT_EMAIL_* settings of your mail relay.",
        )
    elif not (settings.EMAIL_USE_TLS or settings.EMAIL_USE_SSL):
        errors.append(
            checks.Warning(
                "E-mail to the relay is not encrypted; invitation links would cross the "
                "network in clear.",
                hint="Set WELLKEPT_EMAIL_TLS=1 (STARTTLS) or WELLKEPT_EMAIL_SSL=1.",
                id="wellkept.W002",
            )
        )
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        errors.append(
            checks.Warning(
                "The cache is per-process, so login throttling is not shared between workers.",
                hint="Set REDIS_URL (for example redis://127.0.0.1:6379/0).",
                id="wellkept.W001",
            )
        )
    return errors


# SQLite's companions of a database file: each holds pages of it.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_paths(database: Mapping[str, Any] | None = None) -> list[Path]:
    """Every file and folder Wellkept keeps on this host that must be the service's alone."""

    candidates: list[Path] = [Path(settings.VAR_DIR)]
    database = settings.DATABASES["default"] if database is None else database
    if str(database.get("ENGINE", "")).endswith("sqlite3"):
        name = str(database["NAME"])
        candidates += [Path(name + suffix) for suffix in _SQLITE_COMPANIONS]
    for sink_file in local_paths():
        candidates.append(sink_file.parent)
        candidates += [Path(str(sink_file) + suffix) for suffix in _SQLITE_COMPANIONS]
    # The key file's folder; the file itself has its own check (wellkept.E012).
    candidates.append(Path(settings.WELLKEPT_KEYRING_FILE).parent)
    for setting in (
        "WELLKEPT_BACKUP_KEY_FILE",
        "WELLKEPT_TOMBSTONE_FILE",
        "WELLKEPT_SCHEDULER_STATE_FILE",
    ):
        path = Path(getattr(settings, setting))
        candidates += [path.parent, path]
    backups = Path(settings.WELLKEPT_BACKUP_DIR)
    candidates.append(backups)
    if backups.is_dir():
        candidates += sorted(backups.iterdir())
    seen: set[Path] = set()
    found: list[Path] = []
    for path in candidates:
        if path not in seen and path.exists():
            seen.add(path)
            found.append(path)
    return found


@checks.register(checks.Tags.security)
def check_file_modes(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse to run in production while another user could read (or write) our files."""
    if not settings.PRODUCTION:
        return []
    return file_mode_errors(private_paths())


def file_mode_errors(paths: list[Path]) -> list[checks.CheckMessage]:
    # A copied database, WAL, backup, journal or checkpoint file is exactly
    # the thief's prize the encryption and the checkpoints are built against.
    open_to_others = [p for p in paths if p.stat().st_mode & 0o077]
    if not open_to_others:
        return []
    listed = ", ".join(f"{p} ({p.stat().st_mode & 0o777:o})" for p in open_to_others[:8])
    more = f" and {len(open_to_others) - 8} more" if len(open_to_others) > 8 else ""
    return [
        checks.Error(
            f"Files only Wellkept may read are open to other users: {listed}{more}.",
            hint="Give them to the service's user alone, e.g. chmod -R go-rwx "
            f"{settings.VAR_DIR} (and the same for the other paths named).",
            id="wellkept.E040",
        )
    ]
