"""Session keys stored hashed: a copy of the database opens no live session.

Before: the session table (and allauth's list of sessions) held the cookie's
key in clear, so anyone who could copy the database file could put a key in
a cookie and be signed in as its owner (`curl -b wellkept_session=<key>
/me/data/` answered 200).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from allauth.usersessions.models import UserSession
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.urls import reverse

from wellkept.accounts.sessions import STORED_PREFIX, SessionStore, stored_key
from wellkept.accounts.tests.conftest import STRONG_PASSWORD

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("accounts:home")
COOKIE = settings.SESSION_COOKIE_NAME


def sign_in(user_email: str) -> Client:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": user_email, "password": STRONG_PASSWORD}
    )
    assert response.status_code == 302, response.content[:500]
    assert client.get(ACCOUNT).status_code == 200
    return client


def stolen_values() -> set[str]:
    """Every value an attacker with a copy of the two session tables could try as a cookie."""
    values: set[str] = set()
    for model in (Session, UserSession):
        for row in model.objects.values():
            values.update(str(v) for v in row.values() if v)
    return values


def signed_in_with(cookie: str) -> bool:
    thief = Client()
    thief.cookies[COOKIE] = cookie
    return bool(thief.get(ACCOUNT).status_code == 200)


def test_a_copied_session_table_signs_nobody_in(nina) -> None:
    client = sign_in("nina.nurse@stannes.example")
    key = client.cookies[COOKIE].value
    assert UserSession.objects.filter(user=nina).exists()
    values = stolen_values()
    assert key not in values
    assert stored_key(key) in values
    for value in values:
        assert not signed_in_with(value), value[:12]
    # The real cookie still works: it is only the copy that is useless.
    assert signed_in_with(key)


def test_the_database_file_never_holds_a_session_key(nina) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("reads the SQLite file's bytes")
    client = sign_in("nina.nurse@stannes.example")
    key = client.cookies[COOKIE].value.encode()
    name = Path(connection.settings_dict["NAME"])
    raw = b"".join(p.read_bytes() for p in (name, Path(f"{name}-wal")) if p.exists())
    assert key not in raw


def test_a_cookie_holding_a_stored_form_is_ignored(nina) -> None:
    client = sign_in("nina.nurse@stannes.example")
    stored = stored_key(client.cookies[COOKIE].value)
    assert stored.startswith(STORED_PREFIX)
    assert not signed_in_with(stored)


def test_signing_out_other_sessions_keeps_this_one(nina) -> None:
    here = sign_in("nina.nurse@stannes.example")
    there = sign_in("nina.nurse@stannes.example")
    assert UserSession.objects.filter(user=nina).count() == 2
    response = here.post(reverse("usersessions_list"))
    assert response.status_code == 302
    assert here.get(ACCOUNT).status_code == 200
    assert there.get(ACCOUNT).status_code == 302
    assert UserSession.objects.filter(user=nina).count() == 1


def test_the_store_finds_a_session_by_either_form() -> None:
    store = SessionStore()
    store["x"] = 1
    store.save()
    key = store.session_key
    assert key is not None
    assert Session.objects.filter(session_key=stored_key(key)).exists()
    assert not Session.objects.filter(session_key=key).exists()
    assert SessionStore(key)["x"] == 1
    assert store.exists(stored_key(key))
    SessionStore().delete(stored_key(key))
    assert not store.exists(key)


def test_existing_sessions_move_to_the_stored_form_and_keep_working(nina) -> None:
    client = sign_in("nina.nurse@stannes.example")
    key = client.cookies[COOKIE].value
    # As they were stored before the migration: under the cookie's key.
    Session.objects.filter(session_key=stored_key(key)).update(session_key=key)
    UserSession.objects.filter(session_key=stored_key(key)).update(session_key=key)
    migration = importlib.import_module(
        "wellkept.accounts.migrations.0004_hash_stored_session_keys"
    )
    migration.hash_keys(apps, None)
    assert key not in stolen_values()
    assert client.get(ACCOUNT).status_code == 200
