"""Data keys: creation, rotation, retirement, shredding, blind indexes."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.vault import services
from wellkept.vault.keyring import KeyringError, LocalFileKeyring, get_keyring, reset_keyring
from wellkept.vault.models import DataKey
from wellkept.vault.services import ERASED, Binding

pytestmark = pytest.mark.django_db
ACTOR = SystemActor("tests")


def make_user(email: str, name: str = "") -> User:
    return User.objects.create_user(email, None, display_name=name)


def reload(user: User) -> User:
    services.dek_cache.clear()
    return User.objects.get(pk=user.pk)


def raw_column(table: str, column: str, pk: object) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE id = %s",  # noqa: S608 (test constants)
            [pk.hex if connection.vendor == "sqlite" else pk],
        )
        return str(cursor.fetchone()[0])


def test_it_creates_one_data_key_per_subject() -> None:
    first = services.datakey_get_or_create(subject="user:a")
    again = services.datakey_get_or_create(subject="user:a")
    other = services.datakey_get_or_create(subject="user:b")
    assert first.pk == again.pk != other.pk
    assert first.kek_id == get_keyring().current_kek_id()
    assert len(bytes(first.wrapped)) == 12 + 32 + 16


def test_it_stores_values_only_as_ciphertext() -> None:
    user = make_user("grace.hopper@example.org", "Grace Hopper")
    stored = raw_column("accounts_user", "email", user.pk)
    assert stored.startswith("wk1$")
    assert "grace" not in stored.lower()
    assert reload(user).email == "grace.hopper@example.org"
    assert reload(user).display_name == "Grace Hopper"


def test_it_refuses_a_ciphertext_copied_to_another_row() -> None:
    alice = make_user("alice@example.org")
    bob = make_user("bob@example.org")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE accounts_user SET email = %s WHERE id = %s",
            [
                raw_column("accounts_user", "email", alice.pk),
                bob.pk.hex if connection.vendor == "sqlite" else bob.pk,
            ],
        )
    with pytest.raises(services.crypto.DecryptionError):
        _ = reload(bob).email


def test_it_refuses_a_ciphertext_copied_to_another_field() -> None:
    carol = make_user("carol@example.org", "Carol")
    pk = carol.pk.hex if connection.vendor == "sqlite" else carol.pk
    with connection.cursor() as cursor:
        cursor.execute("UPDATE accounts_user SET display_name = email WHERE id = %s", [pk])
    with pytest.raises(services.crypto.DecryptionError):
        _ = reload(carol).display_name


def test_it_refuses_plain_text_through_queryset_update() -> None:
    make_user("dora@example.org")
    with pytest.raises(ValueError, match="encrypted"):
        User.objects.update(display_name="Dora in clear")


def test_it_refuses_to_filter_on_encrypted_content() -> None:
    from django.core.exceptions import FieldError

    with pytest.raises(FieldError):
        list(User.objects.filter(email="x@example.org"))


def test_it_reads_a_shredded_subject_as_erased_and_leaves_others_readable() -> None:
    erin = make_user("erin@example.org", "Erin")
    frank = make_user("frank@example.org", "Frank")
    services.datakey_shred(actor=ACTOR, subject=erin.dek_subject)
    assert reload(erin).email is ERASED
    assert str(reload(erin).display_name) == "[erased]"
    assert reload(frank).email == "frank@example.org"
    datakey = DataKey.objects.get(subject=erin.dek_subject)
    assert datakey.wrapped is None
    assert datakey.shredded_at is not None


def test_it_forgets_a_shredded_key_held_in_the_cache() -> None:
    gina = make_user("gina@example.org")
    assert User.objects.get(pk=gina.pk).email == "gina@example.org"  # warms the cache
    services.datakey_shred(actor=ACTOR, subject=gina.dek_subject)
    assert User.objects.get(pk=gina.pk).email is ERASED


def test_it_shreds_idempotently_and_reports_unknown_subjects() -> None:
    hana = make_user("hana@example.org")
    first = services.datakey_shred(actor=ACTOR, subject=hana.dek_subject)
    second = services.datakey_shred(actor=ACTOR, subject=hana.dek_subject)
    assert first is not None
    assert second is not None
    assert first.shredded_at == second.shredded_at
    assert services.datakey_shred(actor=ACTOR, subject="user:nobody") is None


def test_it_refuses_to_store_new_values_for_an_erased_subject() -> None:
    ivan = make_user("ivan@example.org")
    services.datakey_shred(actor=ACTOR, subject=ivan.dek_subject)
    with pytest.raises(services.VaultError, match="erased"):
        services.encrypt_text(
            "new", binding=Binding("accounts.user", str(ivan.pk), "email", ivan.dek_subject)
        )


def test_rotation_rewraps_every_key_without_touching_the_data() -> None:
    users = [make_user(f"user{i}@example.org", f"Name {i}") for i in range(5)]
    old_kek = get_keyring().current_kek_id()
    before = {u.pk: raw_column("accounts_user", "email", u.pk) for u in users}
    wrapped_before = {d.pk: bytes(d.wrapped) for d in DataKey.objects.all()}

    result = services.keys_rotate(actor=ACTOR)

    assert result.rewrapped == result.total == len(wrapped_before)
    assert result.new_kek_id != old_kek
    for datakey in DataKey.objects.all():
        assert datakey.kek_id == result.new_kek_id
        assert bytes(datakey.wrapped) != wrapped_before[datakey.pk]
    for user in users:
        assert raw_column("accounts_user", "email", user.pk) == before[user.pk]
        assert reload(user).email == f"user{users.index(user)}@example.org"


def test_rotation_skips_shredded_keys() -> None:
    kept = make_user("kept@example.org")
    gone = make_user("gone@example.org")
    services.datakey_shred(actor=ACTOR, subject=gone.dek_subject)
    result = services.keys_rotate(actor=ACTOR)
    assert result.rewrapped == 1
    assert reload(kept).email == "kept@example.org"
    assert reload(gone).email is ERASED


def test_rotation_dry_run_changes_nothing() -> None:
    make_user("jo@example.org")
    keyring = get_keyring()
    keks = keyring.kek_ids()
    result = services.keys_rotate(actor=ACTOR, dry_run=True)
    assert result.dry_run
    assert result.total == 1
    assert result.rewrapped == 0
    assert keyring.kek_ids() == keks


def test_retiring_a_key_still_in_use_is_refused(settings) -> None:
    settings.WELLKEPT_KEK_RETIRE_GRACE_SECONDS = 0
    make_user("kim@example.org")
    old = get_keyring().current_kek_id()
    get_keyring().create_kek()
    with pytest.raises(services.VaultError, match="still wrapped"):
        services.kek_retire(actor=ACTOR, kek_id=old)


def test_retiring_after_rotation_keeps_every_value_readable(settings) -> None:
    settings.WELLKEPT_KEK_RETIRE_GRACE_SECONDS = 0
    lee = make_user("lee@example.org")
    old = get_keyring().current_kek_id()
    services.keys_rotate(actor=ACTOR)
    services.kek_retire(actor=ACTOR, kek_id=old)
    assert old not in get_keyring().kek_ids()
    assert reload(lee).email == "lee@example.org"


def test_unwrap_falls_back_to_other_keys_when_the_recorded_id_is_wrong() -> None:
    mo = make_user("mo@example.org")
    get_keyring().create_kek()
    DataKey.objects.filter(subject=mo.dek_subject).update(kek_id="kek-unknown")
    assert reload(mo).email == "mo@example.org"


def test_a_foreign_keyring_cannot_open_the_data(settings, tmp_path) -> None:
    LocalFileKeyring(tmp_path / "other.json", create=True).current_kek_id()
    nia = make_user("nia@example.org")
    settings.WELLKEPT_KEYRING_FILE = tmp_path / "other.json"
    reset_keyring()
    with pytest.raises(services.VaultError, match="cannot be unwrapped"):
        _ = reload(nia).email


def test_a_lost_key_file_is_not_replaced_while_data_keys_exist(settings, tmp_path) -> None:
    nia = make_user("nia@example.org")
    settings.WELLKEPT_KEYRING_FILE = tmp_path / "lost.json"
    reset_keyring()
    with pytest.raises(KeyringError, match="is missing, but the database holds 1 data keys"):
        _ = reload(nia).email
    assert not (tmp_path / "lost.json").exists()


def test_a_missing_key_file_gives_a_clear_error_when_creation_is_off(settings, tmp_path) -> None:
    settings.WELLKEPT_KEYRING_FILE = tmp_path / "absent.json"
    settings.WELLKEPT_KEYRING_CREATE = False
    reset_keyring()
    with pytest.raises(KeyringError, match="does not exist"):
        get_keyring().current_kek_id()


def test_a_corrupt_key_file_gives_a_clear_error(tmp_path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    with pytest.raises(KeyringError, match="cannot be read"):
        LocalFileKeyring(path, create=False).current_kek_id()
    path.write_text(json.dumps({"format": 1, "current": "x", "keys": {}}))
    with pytest.raises(KeyringError, match="no current key"):
        LocalFileKeyring(path, create=False).current_kek_id()


def test_the_key_file_is_private(settings) -> None:
    get_keyring().current_kek_id()
    assert settings.WELLKEPT_KEYRING_FILE.stat().st_mode & 0o077 == 0


def test_blind_indexes_are_deterministic_keyed_and_namespaced(settings, tmp_path) -> None:
    a = services.blind_index("user.email", "x@example.org")
    assert a == services.blind_index("user.email", "x@example.org")
    assert a != services.blind_index("invite.email", "x@example.org")
    settings.WELLKEPT_KEYRING_FILE = tmp_path / "other.json"
    reset_keyring()
    assert a != services.blind_index("user.email", "x@example.org")


@pytest.mark.django_db(transaction=True)
def test_a_key_created_in_a_rolled_back_transaction_is_never_reused(monkeypatch) -> None:
    """SQLite hands a rolled-back row id out again, possibly to another process.

    This process must not keep the rolled-back key under that id, or it would
    seal the other subject's values with a key no row holds.
    """
    from django.db import transaction

    class Rollback(Exception):
        pass

    def store_then_fail() -> None:
        with transaction.atomic():
            services.encrypt_text("lost", binding=Binding("t.t", "r", "f", "user:rolled-back"))
            raise Rollback

    with pytest.raises(Rollback):
        store_then_fail()

    # "Another process" (its own cache) creates the next data key.
    ours = services.dek_cache
    monkeypatch.setattr(services, "dek_cache", services._DekCache())
    services.datakey_get_or_create(subject="user:other-process")
    monkeypatch.setattr(services, "dek_cache", ours)

    binding = Binding("t.t", "r2", "f", "user:other-process")
    sealed = services.encrypt_text("kept", binding=binding)
    services.dek_cache.clear()
    assert services.decrypt_text(sealed, binding=binding) == "kept"


def test_retiring_right_after_a_rotation_waits_for_the_grace_period(settings) -> None:
    settings.WELLKEPT_KEK_RETIRE_GRACE_SECONDS = 3600
    make_user("olu@example.org")
    old = get_keyring().current_kek_id()
    services.keys_rotate(actor=ACTOR)
    with pytest.raises(services.VaultError, match="less than 1:00:00 ago"):
        services.kek_retire(actor=ACTOR, kek_id=old)
    assert old in get_keyring().kek_ids()


def test_retiring_the_current_key_is_refused(settings) -> None:
    settings.WELLKEPT_KEK_RETIRE_GRACE_SECONDS = 0
    with pytest.raises(services.VaultError, match="current key-encryption key"):
        services.kek_retire(actor=ACTOR, kek_id=get_keyring().current_kek_id())


def test_a_running_process_notices_a_rotation_made_by_another(tmp_path) -> None:
    path = tmp_path / "shared.json"
    worker = LocalFileKeyring(path, create=True)
    worker.RECHECK_SECONDS = 0
    old = worker.current_kek_id()
    operator = LocalFileKeyring(path, create=False)
    new = operator.create_kek()
    assert new != old
    kek_id, _wrapped = worker.wrap(b"k" * 32, context=b"ctx")
    assert kek_id == new


@pytest.mark.django_db(transaction=True)
def test_a_key_shredded_in_the_same_transaction_is_not_cached_again() -> None:
    from django.db import transaction

    pia = make_user("pia@example.org")
    services.dek_cache.clear()
    with transaction.atomic():
        assert User.objects.get(pk=pia.pk).email == "pia@example.org"  # schedules a cache put
        services.datakey_shred(actor=ACTOR, subject=pia.dek_subject)
    assert User.objects.get(pk=pia.pk).email is ERASED


@pytest.fixture
def own_key_cache(monkeypatch):
    """Give the test an empty key cache of its own."""
    # The shared one remembers the key ids earlier tests shredded, and SQLite
    # hands those ids out again once their transactions rolled back.
    monkeypatch.setattr(services, "dek_cache", services._DekCache())


def test_it_unwraps_many_subjects_keys_with_one_query(
    django_capture_on_commit_callbacks, django_assert_num_queries, own_key_cache
) -> None:
    people = [make_user(f"p{n}@example.org", f"Person {n}") for n in range(3)]
    with django_capture_on_commit_callbacks(execute=True), django_assert_num_queries(1):
        unwrapped = services.datakeys_unwrap(subjects=[p.dek_subject for p in people])
    assert unwrapped == 3
    rows = list(User.objects.filter(pk__in=[p.pk for p in people]).order_by("display_name"))
    with django_assert_num_queries(0):
        assert [str(r.display_name) for r in rows] == ["Person 0", "Person 1", "Person 2"]
    with django_assert_num_queries(0):
        assert services.datakeys_unwrap(subjects=[p.dek_subject for p in people]) == 0


def test_it_skips_shredded_and_unknown_keys_when_unwrapping_many(
    django_capture_on_commit_callbacks, own_key_cache
) -> None:
    kept, erased = make_user("kept@example.org"), make_user("erased@example.org")
    services.datakey_shred(actor=ACTOR, subject=erased.dek_subject)
    with django_capture_on_commit_callbacks(execute=True):
        unwrapped = services.datakeys_unwrap(
            subjects=[kept.dek_subject, erased.dek_subject, "user:nobody"]
        )
    assert unwrapped == 1
    assert User.objects.get(pk=erased.pk).email is ERASED
    assert User.objects.get(pk=kept.pk).email == "kept@example.org"


def test_it_unwraps_nothing_ahead_when_keys_are_not_cached(settings) -> None:
    settings.WELLKEPT_DEK_CACHE_SECONDS = 0
    ada = make_user("ada@example.org")
    assert services.datakeys_unwrap(subjects=[ada.dek_subject]) == 0
