"""Plant distinctive personal values, then grep every byte the database wrote.

Invariant 1: a database file, its WAL, or a dump never shows a personal value.
On SQLite the test reads the main file and the -wal file as they are on disk;
on PostgreSQL it reads every table as text, which is what a dump would show.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.apps import apps
from django.db import connection

from wellkept.accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)

CANARY_EMAIL = "zebracanary.quokka@canary-hospital.invalid"
CANARY_NAME = "Zephyrine Quillfeather-Canary"
CANARY_PASSWORD = "canary-password-marmalade-octopus-42"
CANARY_INVITEE = "xylophone.invitee@canary-hospital.invalid"


def database_bytes() -> bytes:
    """Everything the database holds, as an attacker with the files or a dump would see it."""
    if connection.vendor == "sqlite":
        name = Path(connection.settings_dict["NAME"])
        chunks = [
            path.read_bytes()
            for path in (name, Path(f"{name}-wal"), Path(f"{name}-journal"))
            if path.exists()
        ]
        return b"".join(chunks)
    parts: list[bytes] = []
    with connection.cursor() as cursor:
        for model in apps.get_models(include_auto_created=True):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (table names come from Django)
            parts.extend(repr(row).encode() for row in cursor.fetchall())
    return b"\n".join(parts)


def needles(value: str) -> list[bytes]:
    """The forms in which a value could leak: as is, lower-cased, UTF-16, base64."""
    raw = value.encode()
    return [raw, raw.lower(), value.encode("utf-16-le"), base64.b64encode(raw)]


def assert_absent(value: str) -> None:
    data = database_bytes()
    for needle in needles(value):
        assert needle not in data, f"{value!r} found in the database bytes"


def test_no_personal_value_or_secret_is_written_in_clear() -> None:
    user = User.objects.create_user(CANARY_EMAIL, CANARY_PASSWORD, display_name=CANARY_NAME)
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    recovery = RecoveryCodes.activate(user)
    codes = recovery.get_unused_codes()

    # The values are really there (the test can fail), and readable through the vault.
    assert User.objects.get(pk=user.pk).email == CANARY_EMAIL.lower()
    assert database_bytes()

    for value in (
        CANARY_EMAIL,
        "zebracanary",
        CANARY_NAME,
        "Quillfeather",
        CANARY_PASSWORD,
        secret,
    ):
        assert_absent(value)
    from allauth.mfa.adapter import get_adapter

    seed = get_adapter().decrypt(recovery.instance.data["seed"])
    for value in (seed, *codes):
        assert_absent(value)


def test_invitations_sessions_and_tokens_hold_no_personal_value(client) -> None:
    from django.contrib.sessions.models import Session

    from wellkept.accounts.services import invitation_create
    from wellkept.actors import SystemActor
    from wellkept.orgs.models import Organisation, Role

    organisation = Organisation.objects.create(name="Canary General", slug="canary-general")
    issued = invitation_create(
        actor=SystemActor("canary"),
        organisation=organisation,
        email=CANARY_INVITEE,
        role=Role.LEADER,
    )
    User.objects.create_user(CANARY_EMAIL, CANARY_PASSWORD)
    response = client.post("/accounts/login/", {"login": CANARY_EMAIL, "password": CANARY_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200

    token = issued.url.rstrip("/").rsplit("/", 1)[-1]
    for value in (CANARY_INVITEE, "xylophone", token, CANARY_EMAIL, CANARY_PASSWORD):
        assert_absent(value)
    # Session data is signed and may be compressed on disk: read it decoded.
    for session in Session.objects.all():
        decoded = repr(session.get_decoded()).lower()
        assert "zebracanary" not in decoded
        assert CANARY_PASSWORD not in decoded


def test_the_grep_finds_a_value_that_is_stored_in_clear() -> None:
    """Prove the detector works: a clear value in an ordinary column is found."""
    from wellkept.orgs.models import Organisation

    Organisation.objects.create(name="Zanzibar Canary Clinic", slug="canary-detector")
    with pytest.raises(AssertionError, match="found in the database bytes"):
        assert_absent("Zanzibar Canary Clinic")
