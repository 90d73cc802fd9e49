"""Production mode refuses to run without each safety setting."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from wellkept.vault.checks import check_keyring, sqlite_folder_holding
from wellkept.vault.keyring import LocalFileKeyring, reset_keyring
from wellkept.web.checks import check_production_settings

GOOD = {
    "PRODUCTION": True,
    "DEBUG": False,
    "SECRET_KEY": secrets.token_urlsafe(64),
    "WELLKEPT_SECRET_KEY_FROM_ENV": True,
    "SECURE_SSL_REDIRECT": True,
    "SECURE_HSTS_SECONDS": 31536000,
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
    "SESSION_COOKIE_SECURE": True,
    "CSRF_COOKIE_SECURE": True,
    "ALLOWED_HOSTS": ["wellkept.example.org"],
    "WELLKEPT_BASE_URL": "https://wellkept.example.org",
    "CACHES": {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}},
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "EMAIL_USE_TLS": True,
    "EMAIL_USE_SSL": False,
}


def ids_with(**changes: object) -> set[str]:
    with override_settings(**{**GOOD, **changes}):
        return {message.id for message in check_production_settings()}


def test_a_complete_production_configuration_passes() -> None:
    assert ids_with() == set()


def test_development_mode_is_not_checked() -> None:
    assert ids_with(PRODUCTION=False, DEBUG=True, SECURE_SSL_REDIRECT=False) == set()


@pytest.mark.parametrize(
    ("change", "check_id"),
    [
        ({"DEBUG": True}, "wellkept.E001"),
        ({"WELLKEPT_SECRET_KEY_FROM_ENV": False}, "wellkept.E002"),
        ({"SECRET_KEY": "short"}, "wellkept.E002"),
        ({"SECRET_KEY": "django-insecure-" + "x" * 60}, "wellkept.E002"),
        ({"SECURE_SSL_REDIRECT": False}, "wellkept.E003"),
        ({"SECURE_HSTS_SECONDS": 0}, "wellkept.E004"),
        ({"SECURE_HSTS_SECONDS": 31535999}, "wellkept.E004"),
        ({"SECURE_HSTS_INCLUDE_SUBDOMAINS": False}, "wellkept.E005"),
        ({"SESSION_COOKIE_SECURE": False}, "wellkept.E006"),
        ({"CSRF_COOKIE_SECURE": False}, "wellkept.E006"),
        ({"ALLOWED_HOSTS": []}, "wellkept.E007"),
        ({"ALLOWED_HOSTS": ["*"]}, "wellkept.E007"),
        ({"WELLKEPT_BASE_URL": "http://wellkept.example.org"}, "wellkept.E008"),
        (
            {"CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}},
            "wellkept.W001",
        ),
        ({"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}, "wellkept.E009"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}, "wellkept.E009"),
        ({"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend"}, "wellkept.E009"),
        ({"EMAIL_USE_TLS": False}, "wellkept.W002"),
    ],
)
def test_each_missing_setting_is_refused(change: dict[str, object], check_id: str) -> None:
    assert ids_with(**change) == {check_id}


def test_production_refuses_a_missing_key_file(settings, tmp_path: Path) -> None:
    settings.PRODUCTION = True
    settings.WELLKEPT_KEYRING_FILE = tmp_path / "absent.json"
    settings.WELLKEPT_KEYRING_CREATE = False
    reset_keyring()
    assert [m.id for m in check_keyring()] == ["wellkept.E010"]
    assert not (tmp_path / "absent.json").exists()


@pytest.mark.django_db
def test_production_refuses_a_key_file_others_can_read(settings, tmp_path: Path) -> None:
    path = tmp_path / "keyring.json"
    LocalFileKeyring(path, create=True).current_kek_id()
    path.chmod(0o644)
    settings.PRODUCTION = True
    settings.WELLKEPT_KEYRING_FILE = path
    reset_keyring()
    assert [m.id for m in check_keyring()] == ["wellkept.E012"]


def test_production_refuses_a_key_file_inside_the_database_folder(tmp_path: Path) -> None:
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(tmp_path / "db.sqlite3")}
    inside = tmp_path / "keys" / "keyring.json"
    outside = tmp_path.parent / "elsewhere" / "keyring.json"
    assert sqlite_folder_holding(inside, sqlite) == tmp_path.resolve()
    assert sqlite_folder_holding(outside, sqlite) is None
    postgres = {"ENGINE": "django.db.backends.postgresql", "NAME": "wellkept"}
    assert sqlite_folder_holding(inside, postgres) is None


@pytest.mark.django_db
def test_the_default_layout_is_refused_in_production(settings, tmp_path: Path) -> None:
    """The development layout keeps var/keys/ beside var/wellkept.sqlite3: not in production."""
    if not settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("the layout rule is about the SQLite file")
    key_file = Path(settings.DATABASES["default"]["NAME"]).parent / "keys" / "check-e013.json"
    LocalFileKeyring(key_file, create=True).current_kek_id()
    settings.PRODUCTION = True
    settings.WELLKEPT_KEYRING_FILE = key_file
    reset_keyring()
    try:
        assert [m.id for m in check_keyring()] == ["wellkept.E013"]
    finally:
        key_file.unlink()


def _wellkept(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("WELLKEPT_", "DATABASE_URL"))}
    return subprocess.run(
        [sys.executable, "-m", "wellkept", *args],
        env={**base, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    key_file = tmp_path / "keys" / "keyring.json"
    LocalFileKeyring(key_file, create=True).current_kek_id()
    return {
        "WELLKEPT_ENV": "production",
        "WELLKEPT_SECRET_KEY": secrets.token_urlsafe(64),
        "WELLKEPT_ALLOWED_HOSTS": "wellkept.example.org",
        "WELLKEPT_BASE_URL": "https://wellkept.example.org",
        "WELLKEPT_KEYRING_FILE": str(key_file),
        "WELLKEPT_VAR_DIR": str(tmp_path / "var"),
        # A file here and a database elsewhere (check wellkept.E030); the
        # check reads the configuration, it does not connect.
        "WELLKEPT_AUDIT_CHECKPOINT_SINKS": (
            f"file://{tmp_path}/var/audit/checkpoints.jsonl,"
            "postgres://anchor_writer@anchor.example.org/wellkept_anchor"
        ),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "WELLKEPT_EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "WELLKEPT_EMAIL_HOST": "smtp.example.org",
        "WELLKEPT_EMAIL_TLS": "1",
    }


def test_check_deploy_passes_at_warning_level_in_production(tmp_path: Path) -> None:
    result = _wellkept(
        ["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path), tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_and_names_every_problem(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["WELLKEPT_SECRET_KEY"]
    env["WELLKEPT_KEYRING_FILE"] = str(tmp_path / "missing.json")
    env["WELLKEPT_HSTS_SECONDS"] = "3600"
    result = _wellkept(["check", "--deploy"], env, tmp_path)
    assert result.returncode != 0
    for check_id in ("wellkept.E002", "wellkept.E004", "wellkept.E010"):
        assert check_id in result.stderr
    assert "Traceback" not in result.stderr


def test_the_wsgi_application_refuses_to_start_unsafely(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    env["WELLKEPT_SECURE_COOKIES"] = "0"
    result = subprocess.run(
        [sys.executable, "-c", "import wellkept.wsgi"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("WELLKEPT_")}, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "refuses to start" in result.stderr
    assert "wellkept.E006" in result.stderr


def test_a_bad_environment_value_is_a_sentence_not_a_traceback(tmp_path: Path) -> None:
    result = _wellkept(["check"], {"WELLKEPT_SESSION_IDLE_SECONDS": "soon"}, tmp_path)
    assert result.returncode == 2
    assert "WELLKEPT_SESSION_IDLE_SECONDS='soon' is not a whole number" in result.stderr
    assert "Traceback" not in result.stderr
