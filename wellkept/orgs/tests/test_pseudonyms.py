"""Tokens are random; the login → token link needs the key file."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import pytest
from django.test import override_settings

from wellkept.orgs import pseudonyms
from wellkept.vault.keyring import LocalFileKeyring, reset_keyring


def test_it_makes_tokens_of_192_random_bits() -> None:
    tokens = [pseudonyms.new_participant_token() for _ in range(2000)]
    assert len(set(tokens)) == len(tokens)
    raw = [base64.urlsafe_b64decode(t) for t in tokens]
    assert {len(t) for t in tokens} == {pseudonyms.TOKEN_LENGTH}
    assert {len(r) for r in raw} == {24}
    # No byte position is fixed or structured (a counter, a timestamp, a
    # shard id): 2000 random draws hit nearly all 256 values everywhere.
    for position in range(24):
        assert len({r[position] for r in raw}) > 230


def test_it_links_a_login_with_a_keyed_mac_not_a_plain_hash() -> None:
    link = pseudonyms.login_link_for(user_pk="u-1", organisation_pk="o-1")
    assert len(link) == pseudonyms.LOGIN_LINK_LENGTH
    plain = hashlib.sha256(b"participant-login|o-1|u-1").hexdigest()
    assert link != plain


def test_it_gives_a_login_different_links_in_different_organisations() -> None:
    here = pseudonyms.login_link_for(user_pk="u-1", organisation_pk="o-1")
    there = pseudonyms.login_link_for(user_pk="u-1", organisation_pk="o-2")
    assert here != there


def test_it_cannot_compute_the_link_without_the_key_file(tmp_path: Path) -> None:
    link = pseudonyms.login_link_for(user_pk="u-1", organisation_pk="o-1")
    LocalFileKeyring(tmp_path / "another-keyring.json", create=True).current_kek_id()
    with override_settings(WELLKEPT_KEYRING_FILE=tmp_path / "another-keyring.json"):
        reset_keyring()
        assert pseudonyms.login_link_for(user_pk="u-1", organisation_pk="o-1") != link
    reset_keyring()
    assert pseudonyms.login_link_for(user_pk="u-1", organisation_pk="o-1") == link


@pytest.mark.parametrize("user_pk", ["u-1", "u-2"])
def test_it_computes_the_same_link_every_time(user_pk: str) -> None:
    first = pseudonyms.login_link_for(user_pk=user_pk, organisation_pk="o-1")
    assert pseudonyms.login_link_for(user_pk=user_pk, organisation_pk="o-1") == first
