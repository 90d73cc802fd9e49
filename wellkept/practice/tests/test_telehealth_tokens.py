"""Jitsi room tokens: the claims Jitsi's token authentication reads, scope, window and signature."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from wellkept.practice import telehealth_tokens as tokens
from wellkept.practice.models import new_room_name
from wellkept.practice.telehealth_tokens import JitsiServer

SERVER = JitsiServer(
    url="https://meet.harbour.example",
    app_id="harbour-wellkept",
    secret="a-test-secret-that-is-long-enough-for-hs256-0123456789",
)
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def token(room="wk-room", start=NOW, minutes=50, moderator=False, name="C-7K3Q9", jitsi=SERVER):
    return tokens.room_token(
        room=room,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        display_name=name,
        moderator=moderator,
        jitsi=jitsi,
    )


def decode(raw, jitsi=SERVER):
    return jwt.decode(raw, jitsi.secret, algorithms=["HS256"], audience="jitsi")


def test_it_signs_the_claims_jitsi_token_authentication_expects():
    start = NOW + dt.timedelta(minutes=5)
    raw = token(start=start, minutes=50)
    assert jwt.get_unverified_header(raw) == {"alg": "HS256", "typ": "JWT"}
    claims = decode(raw)
    assert claims["aud"] == "jitsi"
    assert claims["iss"] == "harbour-wellkept"
    assert claims["sub"] == "meet.harbour.example"
    assert claims["room"] == "wk-room"
    assert claims["nbf"] == int((start - dt.timedelta(minutes=15)).timestamp())
    assert claims["exp"] == int((start + dt.timedelta(minutes=50 + 30)).timestamp())
    assert claims["context"]["user"]["name"] == "C-7K3Q9"
    assert claims["moderator"] is False


def test_it_makes_only_the_therapist_a_moderator():
    assert decode(token(moderator=True, name="Tess"))["moderator"] is True
    assert decode(token(moderator=True, name="Tess"))["context"]["user"]["name"] == "Tess"
    assert decode(token(moderator=False))["context"]["user"]["moderator"] is False


def test_it_refuses_a_token_signed_with_another_secret():
    forged = token(jitsi=JitsiServer(SERVER.url, SERVER.app_id, "x" * 40))
    with pytest.raises(jwt.InvalidSignatureError):
        decode(forged)
    with pytest.raises(jwt.InvalidSignatureError):
        tokens.verify(forged, room="wk-room", at=NOW, jitsi=SERVER)


def test_it_refuses_a_token_for_another_room():
    with pytest.raises(jwt.InvalidTokenError, match="another room"):
        tokens.verify(token(room="wk-room"), room="wk-other", at=NOW, jitsi=SERVER)


def test_a_token_for_a_past_appointment_has_expired():
    yesterday = NOW - dt.timedelta(days=1)
    with pytest.raises(jwt.ExpiredSignatureError):
        decode(token(start=yesterday))


def test_a_token_for_next_week_is_not_yet_valid():
    with pytest.raises(jwt.ImmatureSignatureError):
        decode(token(start=NOW + dt.timedelta(days=7)))


@pytest.mark.parametrize(
    ("offset", "valid"),
    [
        (dt.timedelta(minutes=-16), False),
        (dt.timedelta(minutes=-15), True),
        (dt.timedelta(minutes=50 + 29), True),
        (dt.timedelta(minutes=50 + 30), False),
    ],
)
def test_it_opens_only_within_the_appointments_window(offset, valid):
    raw = token(start=NOW, minutes=50)
    if valid:
        assert (
            tokens.verify(raw, room="wk-room", at=NOW + offset, jitsi=SERVER)["room"] == "wk-room"
        )
    else:
        with pytest.raises(jwt.InvalidTokenError):
            tokens.verify(raw, room="wk-room", at=NOW + offset, jitsi=SERVER)


def test_it_puts_the_token_where_jitsi_meet_reads_it():
    assert tokens.join_url("wk-room", "abc", jitsi=SERVER) == (
        "https://meet.harbour.example/wk-room?jwt=abc"
    )


def test_room_names_are_random_and_carry_no_meaning():
    names = {new_room_name() for _ in range(200)}
    assert len(names) == 200
    assert all(len(n) == 35 and n.startswith("wk-") for n in names)


def test_it_says_what_to_do_when_the_server_is_not_configured(settings):
    settings.WELLKEPT_JITSI_URL = ""
    with pytest.raises(tokens.TelehealthNotConfigured, match="WELLKEPT_JITSI_URL"):
        tokens.server()
