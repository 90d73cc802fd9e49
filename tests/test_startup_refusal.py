"""Start-up refuses an unusable key file in every mode, and a refused start stops gunicorn.

Before: a missing key file was silently recreated in development (every old
data key stopped opening, sign-in failed), a corrupt one let the server
start and answer 500, and under gunicorn a refused production start made
workers exit and respawn forever with the port bound.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.processes import environment, python
from wellkept.vault.checks import check_keyring, key_file_problem
from wellkept.vault.keyring import KeyringError, LocalFileKeyring, get_keyring, reset_keyring
from wellkept.vault.services import Binding, encrypt_text

# -- in process: the check and the keyring --------------------------------------------


@pytest.mark.django_db
def test_a_missing_key_file_where_data_keys_exist_is_refused_not_recreated(settings) -> None:
    encrypt_text("x", binding=Binding("t", "1", "f", "participant:abc"))
    path = Path(settings.WELLKEPT_KEYRING_FILE)
    path.unlink()
    reset_keyring()
    assert [m.id for m in check_keyring()] == ["wellkept.E010"]
    assert "holds 1 data keys" in check_keyring()[0].msg
    with pytest.raises(KeyringError, match="Restore the key file"):
        get_keyring().current_kek_id()
    assert not path.exists()


@pytest.mark.django_db
def test_a_new_installation_still_gets_its_key_file_in_development(settings) -> None:
    path = Path(settings.WELLKEPT_KEYRING_FILE)
    path.unlink()
    reset_keyring()
    assert key_file_problem() is None
    assert get_keyring().current_kek_id().startswith("kek-")
    assert path.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "content",
    ["{broken", json.dumps({"format": 9}), json.dumps({"format": 1, "keys": {}, "current": "x"})],
    ids=["not json", "not a keyring", "no current key"],
)
def test_an_unreadable_key_file_is_refused(settings, content: str) -> None:
    Path(settings.WELLKEPT_KEYRING_FILE).parent.mkdir(parents=True, exist_ok=True)
    Path(settings.WELLKEPT_KEYRING_FILE).write_text(content)
    reset_keyring()
    assert [m.id for m in check_keyring()] == ["wellkept.E011"]


@pytest.mark.django_db
def test_another_installations_key_file_is_refused(settings, tmp_path: Path) -> None:
    other = tmp_path / "other.json"
    LocalFileKeyring(other, create=True).current_kek_id()
    encrypt_text("x", binding=Binding("t", "1", "f", "participant:abc"))
    settings.WELLKEPT_KEYRING_FILE = other
    reset_keyring()
    (message,) = check_keyring()
    assert message.id == "wellkept.E014"
    assert "another installation's key file" in message.msg


# -- real processes: the command, the WSGI module, gunicorn --------------------------


def wellkept(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return python(env, "-m", "wellkept", *args)


@pytest.fixture(scope="module")
def installation(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A development installation whose database holds a data key."""
    var_dir = tmp_path_factory.mktemp("installation") / "var"
    env = environment(var_dir)
    assert wellkept(env, "migrate", "-v", "0").returncode == 0
    made = python(
        {**env, "DJANGO_SETTINGS_MODULE": "wellkept.settings"},
        "-c",
        "import django; django.setup(); "
        "from wellkept.accounts.models import User; "
        "User.objects.create_user('ana@example.org', 'x' * 20)",
    )
    assert made.returncode == 0, made.stderr
    return var_dir


def test_a_development_command_stops_with_a_sentence_when_the_key_file_is_missing(
    installation: Path, tmp_path: Path
) -> None:
    env = environment(installation, WELLKEPT_KEYRING_FILE=str(tmp_path / "absent.json"))
    result = wellkept(env, "runserver", "127.0.0.1:0", "--noreload")
    assert result.returncode == 1
    assert "refuses to start" in result.stderr
    assert "is missing, but the database holds 1 data keys" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "absent.json").exists()


def test_a_development_command_stops_with_a_sentence_when_the_key_file_is_corrupt(
    installation: Path, tmp_path: Path
) -> None:
    broken = tmp_path / "keyring.json"
    broken.write_text("{not json")
    env = environment(installation, WELLKEPT_KEYRING_FILE=str(broken))
    result = wellkept(env, "migrate")
    assert result.returncode == 1
    assert "wellkept.E011" in result.stderr
    assert "cannot be read" in result.stderr


def test_the_wsgi_module_refuses_to_load_in_development(installation: Path, tmp_path: Path) -> None:
    env = environment(installation, WELLKEPT_KEYRING_FILE=str(tmp_path / "absent.json"))
    result = python(env, "-c", "import wellkept.wsgi")
    assert result.returncode != 0
    assert "StartupRefused: wellkept refuses to start" in result.stderr


def refused_production(tmp_path: Path) -> dict[str, str]:
    """A production environment that fails its checks: no key file at all."""
    return environment(
        tmp_path / "var",
        WELLKEPT_ENV="production",
        WELLKEPT_SECRET_KEY=secrets.token_urlsafe(64),
        WELLKEPT_ALLOWED_HOSTS="wellkept.example.org",
        WELLKEPT_BASE_URL="https://wellkept.example.org",
        WELLKEPT_KEYRING_FILE=str(tmp_path / "missing-keyring.json"),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def gunicorn(env: dict[str, str], *options: str) -> tuple[int, str, float]:
    began = time.monotonic()
    bind = f"127.0.0.1:{free_port()}"
    result = python(
        env, "-m", "gunicorn", *options, "--bind", bind, "--workers", "2", "wellkept.wsgi"
    )
    return result.returncode, result.stderr, time.monotonic() - began


def test_gunicorn_with_our_configuration_refuses_before_binding(tmp_path: Path) -> None:
    code, log, _ = gunicorn(refused_production(tmp_path), "-c", "python:wellkept.gunicorn_conf")
    assert code == 1
    assert "wellkept refuses to start" in log
    assert "wellkept.E010" in log
    assert "Listening at" not in log
    assert "Booting worker" not in log


def test_gunicorn_without_it_stops_the_master_when_the_workers_refuse(tmp_path: Path) -> None:
    code, log, took = gunicorn(refused_production(tmp_path))
    # gunicorn's "worker failed to boot" (exit 3): the master halts instead
    # of starting new workers, each of which would refuse again, forever.
    assert code != 0, log[-2000:]
    assert "wellkept refuses to start" in log
    assert log.count("Booting worker") <= 2, log[-2000:]
    assert took < 60
