"""Canary, end to end: plant values through the real forms, then scan every byte written.

An administrator signs in with MFA and invites a colleague through the form;
the colleague opens the link, chooses a password and enrols an authenticator
app through the forms; someone asks for a password reset. Then the test
reads, as an attacker with access to the machine would:

- the SQLite file and its WAL as they are on disk, or on PostgreSQL the
  output of ``pg_dump`` of the test database;
- every log line the run produced (a file handler on the root logger);
- the audit trail's SIEM export;

and fails if any planted value appears in any of them. Later features add
their fields to ``PLANTED``.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.orgs.models import Organisation, Role, StaffMembership

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN_EMAIL = "admin.canary@canary-general.invalid"
ADMIN_PASSWORD = "canary admin lighthouse walrus"
INVITEE_EMAIL = "quetzalcoatl.invitee-canary@canary-general.invalid"
INVITEE_PASSWORD = "porcupine-canary-password-saxophone"
RESET_EMAIL = "unknown.zanzibar-canary@canary-general.invalid"


def code_for(secret: str) -> str:
    counter = int(clock.now().timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Everything logged during the test, at every level, as a log file would hold it."""
    path = tmp_path / "wellkept.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    # Loggers that do not propagate (Django's security and server loggers).
    extra = [logging.getLogger(n) for n in ("django.security", "django.server", "django.request")]
    for logger in extra:
        logger.addHandler(handler)
    yield path
    for logger in extra:
        logger.removeHandler(handler)
    root.removeHandler(handler)
    root.setLevel(previous)
    handler.close()


def stored_bytes(tmp_path: Path) -> bytes:
    """The database as an attacker sees it: files on disk, or a pg_dump."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        name = Path(settings_dict["NAME"])
        parts = [p.read_bytes() for p in (name, Path(f"{name}-wal")) if p.exists()]
        return b"".join(parts)
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail(
            "pg_dump is needed to scan a PostgreSQL dump: apt-get install postgresql-client"
        )
    env = {**os.environ, "PGPASSWORD": str(settings_dict.get("PASSWORD") or "")}
    result = subprocess.run(
        [
            pg_dump,
            "--data-only",
            "--host",
            str(settings_dict.get("HOST") or "127.0.0.1"),
            "--port",
            str(settings_dict.get("PORT") or 5432),
            "--username",
            str(settings_dict.get("USER") or "postgres"),
            str(settings_dict["NAME"]),
        ],
        capture_output=True,
        env=env,
        timeout=120,
        check=True,
    )
    return result.stdout


def audit_export_bytes(tmp_path: Path) -> bytes:
    path = tmp_path / "audit.jsonl"
    call_command(
        "audit",
        "export",
        "--since",
        "2000-01-01",
        "--format",
        "jsonl",
        "--output",
        str(path),
        stdout=StringIO(),
        stderr=StringIO(),
    )
    return path.read_bytes()


def forms_of(value: str) -> list[bytes]:
    raw = value.encode()
    return [raw, raw.lower(), value.encode("utf-16-le"), base64.b64encode(raw)]


def test_values_planted_through_the_forms_appear_nowhere(tmp_path: Path, log_file: Path) -> None:
    organisation = Organisation.objects.create(name="Canary General", slug="canary-general")
    admin = User.objects.create_user(ADMIN_EMAIL, ADMIN_PASSWORD)
    StaffMembership.objects.create(user=admin, organisation=organisation, role=Role.SYSTEM_ADMIN)
    admin_secret = generate_totp_secret()
    TOTP.activate(admin, admin_secret)

    # The administrator signs in with password and code, and invites a colleague.
    staff = Client()
    response = staff.post("/accounts/login/", {"login": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert response.status_code == 302
    response = staff.post("/accounts/2fa/authenticate/", {"code": code_for(admin_secret)})
    assert response.status_code == 302
    response = staff.post(
        "/manage/invitations/new/",
        {"email": INVITEE_EMAIL, "role": Role.LEADER, "organisation": str(organisation.pk)},
    )
    assert response.status_code == 302, response.content[:500]

    # The colleague follows the e-mailed link, sets a password, enrols TOTP.
    link = re.search(r"https?://\S+/accounts/invite/\S+/", mail.outbox[-1].body)
    assert link is not None
    invitee = Client()
    response = invitee.get(link.group(0).split("testserver", 1)[-1], follow=True)
    assert response.status_code == 200
    response = invitee.post(
        response.redirect_chain[-1][0] if response.redirect_chain else "/accounts/invite/accept/",
        {"password1": INVITEE_PASSWORD, "password2": INVITEE_PASSWORD},
    )
    assert response.status_code == 302, response.content[:500]
    page = invitee.get("/accounts/2fa/totp/activate/").content.decode()
    found = re.search(r'data-totp-secret="([A-Z2-7]+)"', page)
    assert found is not None
    invitee_secret = found.group(1)
    response = invitee.post("/accounts/2fa/totp/activate/", {"code": code_for(invitee_secret)})
    assert response.status_code == 302

    # Somebody asks for a password reset for an address that has no account.
    Client().post("/accounts/password/reset/", {"email": RESET_EMAIL})

    # The planted values are really in the system (the test can fail) ...
    assert User.objects.get_by_email(INVITEE_EMAIL) is not None

    planted = {
        "admin e-mail": ADMIN_EMAIL,
        "admin password": ADMIN_PASSWORD,
        "admin TOTP secret": admin_secret,
        "invitee e-mail": INVITEE_EMAIL,
        "invitee local part": "quetzalcoatl",
        "invitee password": INVITEE_PASSWORD,
        "invitee TOTP secret": invitee_secret,
        "reset request e-mail": RESET_EMAIL,
        "invitation token": link.group(0).rstrip("/").rsplit("/", 1)[-1],
    }
    logging.getLogger("wellkept.canary").info("canary scan starting")
    sources = {
        "database": stored_bytes(tmp_path),
        "logs": log_file.read_bytes(),
        "audit export": audit_export_bytes(tmp_path),
    }
    assert b"canary scan starting" in sources["logs"], "the log capture is not working"

    # ... and nowhere an attacker could read them.
    leaks = [
        f"{what} in the {where}"
        for where, data in sources.items()
        for what, value in planted.items()
        if any(form in data for form in forms_of(value))
    ]
    assert leaks == []


def test_the_scan_finds_a_value_that_leaks(tmp_path: Path, log_file: Path) -> None:
    """Prove each source is really scanned: a value logged or stored in clear is found."""
    logging.getLogger("wellkept.canary").warning("leaky %s", "okapi-canary-leak")
    Organisation.objects.create(name="okapi-canary-stored", slug="okapi-canary")
    assert b"okapi-canary-leak" in log_file.read_bytes()
    assert b"okapi-canary-stored" in stored_bytes(tmp_path)
    from wellkept.actors import SystemActor
    from wellkept.audit.events import EventType
    from wellkept.audit.services import audit_record

    audit_record(actor=SystemActor("canary"), event=EventType.RECORD_READ, reason="okapi-exported")
    assert b"okapi-exported" in audit_export_bytes(tmp_path)
