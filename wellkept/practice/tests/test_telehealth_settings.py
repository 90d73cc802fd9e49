"""Telehealth configuration: bad Jitsi settings refuse to start, production needs a server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from wellkept.practice.checks import check_telehealth_configured
from wellkept.practice.tests.telehealth_helpers import video_appointment

SECRET = "s" * 40
LOAD = "import wellkept.settings as s; print(s.WELLKEPT_JITSI_APP_SECRET == 's' * 40)"


def load_settings(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WELLKEPT_JITSI")}
    clean.update(WELLKEPT_VAR_DIR=str(tmp_path / "var"), **env)
    return subprocess.run(
        [sys.executable, "-c", LOAD], env=clean, capture_output=True, text=True, check=False
    )


def test_a_complete_jitsi_configuration_loads_its_secret_from_a_file(tmp_path):
    secret = tmp_path / "jitsi-secret"
    secret.write_text(SECRET + "\n")
    done = load_settings(
        tmp_path,
        WELLKEPT_JITSI_URL="https://meet.example.org/",
        WELLKEPT_JITSI_APP_ID="wellkept",
        WELLKEPT_JITSI_APP_SECRET_FILE=str(secret),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"WELLKEPT_JITSI_URL": "https://meet.example.org"}, "together, or none of them"),
        (
            {
                "WELLKEPT_JITSI_URL": "ftp://meet.example.org",
                "WELLKEPT_JITSI_APP_ID": "wellkept",
                "WELLKEPT_JITSI_APP_SECRET": SECRET,
            },
            "must be the Jitsi Meet address",
        ),
        (
            {
                "WELLKEPT_JITSI_URL": "https://meet.example.org",
                "WELLKEPT_JITSI_APP_ID": "wellkept",
                "WELLKEPT_JITSI_APP_SECRET": "short",
            },
            "at least 32 characters",
        ),
    ],
)
def test_a_bad_jitsi_configuration_stops_the_start_with_a_sentence(tmp_path, env, said):
    done = load_settings(tmp_path, **env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr
    assert said in done.stderr


@pytest.mark.django_db
def test_production_with_video_appointments_needs_a_jitsi_server(practice, settings):
    settings.PRODUCTION = True
    settings.WELLKEPT_JITSI_URL = ""
    assert check_telehealth_configured() == []
    video_appointment(practice)
    assert [e.id for e in check_telehealth_configured()] == ["wellkept.E050"]
    settings.WELLKEPT_JITSI_URL = "https://meet.example.org"
    assert check_telehealth_configured() == []
    settings.PRODUCTION = False
    settings.WELLKEPT_JITSI_URL = ""
    assert check_telehealth_configured() == []
