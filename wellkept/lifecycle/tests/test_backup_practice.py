"""A restore and the practice: a pnote stays its author's, an erased client stays erased.

Issue 18: a psychotherapy note cannot be read "after a backup restore
without its author". Tess keeps a note about Ada and Theo one about Ben;
the practice is backed up; Ben is erased; the database is lost and the
backup restored into an empty one. Ada's note is back as ciphertext, for
Tess alone; Ben's is not back at all, because his erasure left a tombstone
that the restore re-applies (the backup still held his keys, wrapped).
"""

from __future__ import annotations

import shutil
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from tests.test_canary_journey import stored_bytes
from wellkept.access.policy import decide_break_glass
from wellkept.access.purposes import Purpose
from wellkept.accounts.tests.conftest import record_authentication
from wellkept.audit.events import Outcome
from wellkept.audit.models import AuditEntry
from wellkept.practice import services
from wellkept.practice.models import Client, PsychotherapyNote
from wellkept.practice.scopes import pnote_resource
from wellkept.practice.tests.conftest import SETUP, build_practice, raw_column, signed_in
from wellkept.vault.models import DataKey
from wellkept.vault.services import dek_cache

pytestmark = pytest.mark.django_db(transaction=True)

ADA_PNOTE = "Private Lorikeetcanary impression"
BEN_PNOTE = "Private Cassowarycanary doubt"


@pytest.fixture(autouse=True)
def outside_files(tmp_path: Path, settings) -> Path:
    settings.WELLKEPT_BACKUP_KEY_FILE = tmp_path / "keys" / "backup.key"
    (tmp_path / "backups").mkdir()
    if connection.vendor == "postgresql" and shutil.which("pg_dump") is None:
        pytest.skip("PostgreSQL backups need pg_dump and pg_restore on PATH; not installed here")
    return tmp_path


def backup(*args: str) -> str:
    out = StringIO()
    call_command("backup", *args, "--no-progress", stdout=out, stderr=out)
    return out.getvalue()


def fresh(user):
    browser = signed_in(user)
    record_authentication(browser, user, "mfa", at=time.time(), type="totp")
    return browser


def test_it_restores_a_pnote_for_its_author_alone_and_never_an_erased_clients(
    outside_files: Path,
) -> None:
    practice = build_practice()
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    kept = services.pnote_write(actor=practice.people["tess"], client=ada, body=ADA_PNOTE)
    gone = services.pnote_write(actor=practice.people["theo"], client=ben, body=BEN_PNOTE)
    target = outside_files / "backups" / "practice.wkbackup"
    backup("create", str(target))
    services.client_erase(actor=SETUP, client=ben)
    # The drill sees the tombstone in the backup before any restore needs it.
    assert "1 participants or practice clients would be erased again" in backup(
        "drill", "--dir", str(target.parent)
    )

    call_command("flush", interactive=False, verbosity=0)
    out = backup("restore", str(target))
    dek_cache.clear()

    assert "(and 1 erased practice clients)" in out
    # Ben and his note did not come back, and every key that opened them is
    # shredded again (the backup held them, wrapped).
    assert not Client.objects.filter(pk=ben.pk).exists()
    assert not PsychotherapyNote.objects.filter(pk=gone.pk).exists()
    for subject in (ben.dek_subject, gone.dek_subject):
        assert DataKey.objects.get(subject=subject).is_shredded
    # Ada's note is back, and only as ciphertext.
    assert ADA_PNOTE not in raw_column(PsychotherapyNote, kept.pk, "body")
    stored = stored_bytes(outside_files)
    assert ADA_PNOTE.encode() not in stored
    assert BEN_PNOTE.encode() not in stored

    pnotes = reverse("practice:pnotes", args=[ada.pk]) + "?org=harbour"
    # Its author reads it, once the second factor is fresh.
    assert signed_in(practice.people["tess"]).get(pnotes).status_code == 302
    assert ADA_PNOTE in fresh(practice.people["tess"]).get(pnotes).text
    # Nobody else, each with a fresh second factor too: "not found", audited.
    for who in ("sue", "fran", "priya", "amira"):
        user = practice.people[who]
        assert fresh(user).get(pnotes).status_code == 404
        assert AuditEntry.objects.filter(actor_id=str(user.pk), outcome=Outcome.DENIED).exists()
    # Nor through break-glass, whoever asks.
    resource = pnote_resource(ada, kept.author_id, kept.pk)
    for who in ("tess", "theo", "sue"):
        decision = decide_break_glass(
            actor=practice.people[who], resource=resource, purpose=Purpose.SAFETY_EMERGENCY
        )
        assert not decision.allowed
