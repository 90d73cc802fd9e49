"""The `wellkept keys` command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from wellkept.accounts.models import User
from wellkept.vault.keyring import get_keyring
from wellkept.vault.models import DataKey
from wellkept.vault.services import ERASED, dek_cache

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("keys", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_status_lists_keys_and_usage() -> None:
    User.objects.create_user("a@example.org")
    output = run("status")
    assert f"{get_keyring().current_kek_id()} (current): 1 data keys" in output
    assert "shredded subjects: 0" in output


def test_rotate_dry_run_reports_and_changes_nothing() -> None:
    User.objects.create_user("a@example.org")
    before = get_keyring().kek_ids()
    output = run("rotate", "--dry-run")
    assert "would create a new key-encryption key and rewrap 1 data keys" in output
    assert get_keyring().kek_ids() == before


def test_rotate_rewraps_and_prints_a_summary() -> None:
    User.objects.create_user("a@example.org")
    User.objects.create_user("b@example.org")
    output = run("rotate", "--no-progress")
    new = get_keyring().current_kek_id()
    assert f"rotated: new key {new}, 2 data keys rewrapped" in output
    assert set(DataKey.objects.values_list("kek_id", flat=True)) == {new}


def test_shred_destroys_the_subject_key() -> None:
    user = User.objects.create_user("a@example.org")
    assert "would destroy" in run("shred", user.dek_subject, "--dry-run")
    assert not DataKey.objects.get(subject=user.dek_subject).is_shredded
    assert "shredded" in run("shred", user.dek_subject)
    dek_cache.clear()
    assert User.objects.get(pk=user.pk).email is ERASED
    assert "already shredded" in run("shred", user.dek_subject)


def test_shred_of_an_unknown_subject_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="No data key for subject"):
        run("shred", "participant:nope")


def test_retire_in_use_is_a_clear_error(settings) -> None:
    settings.WELLKEPT_KEK_RETIRE_GRACE_SECONDS = 0
    User.objects.create_user("a@example.org")
    old = get_keyring().current_kek_id()
    get_keyring().create_kek()
    with pytest.raises(CommandError, match="still wrapped"):
        run("retire", old)


def test_init_refuses_to_replace_an_existing_keyring() -> None:
    get_keyring().current_kek_id()
    with pytest.raises(CommandError, match="already exists"):
        run("init")
