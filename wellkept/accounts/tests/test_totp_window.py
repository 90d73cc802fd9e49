"""Authenticator-app codes: the previous step works, expired ones say so, none works twice."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import generate_totp_secret
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from wellkept.accounts import totp
from wellkept.accounts.tests.conftest import STRONG_PASSWORD, record_authentication, totp_code

pytestmark = pytest.mark.django_db

STEP = 30
# 2 seconds into a step: a code read at the end of the previous one is typed now.
START = dt.datetime(2026, 3, 2, 9, 0, 2, tzinfo=dt.UTC)
START_STEP = int(START.timestamp()) // STEP
EXPIRED = "This code has expired. Type the new code your authenticator app shows now."
USED = "This code has already been used."


@pytest.fixture
def clock(monkeypatch):
    """Stop wellkept.clock at START; call it with seconds to move on."""
    state = {"now": START}
    monkeypatch.setattr("wellkept.clock.now", lambda: state["now"])

    def move(seconds: float) -> None:
        state["now"] += dt.timedelta(seconds=seconds)

    return move


def code_at(secret: str, step: int) -> str:
    return totp_code(secret, at=step * STEP)


def second_step(client, user, code: str):
    """Sign in with the password, then send ``code`` to the second step."""
    client.post(reverse("account_login"), {"login": str(user.email), "password": STRONG_PASSWORD})
    return client.post(reverse("mfa_authenticate"), {"code": code})


def signed_in(client, user) -> bool:
    return client.session.get("_auth_user_id") == str(user.pk)


def test_it_accepts_a_code_from_the_step_that_just_ended(client, amira, clock):
    response = second_step(client, amira, code_at(amira.totp_secret, START_STEP - 1))
    assert response.status_code == 302
    assert signed_in(client, amira)


def test_it_says_expired_for_a_code_two_steps_old(client, amira, clock):
    response = second_step(client, amira, code_at(amira.totp_secret, START_STEP - 2))
    assert response.status_code == 200
    assert EXPIRED in response.content.decode()
    assert not signed_in(client, amira)


def test_it_never_accepts_a_code_from_the_next_step(client, amira, clock):
    response = second_step(client, amira, code_at(amira.totp_secret, START_STEP + 1))
    page = response.content.decode()
    assert not signed_in(client, amira)
    assert "Incorrect code" in page
    assert EXPIRED not in page


def test_it_calls_a_wrong_code_wrong(client, amira, clock):
    right = code_at(amira.totp_secret, START_STEP)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    page = second_step(client, amira, wrong).content.decode()
    assert "Incorrect code" in page
    assert EXPIRED not in page
    assert USED not in page


def test_a_code_works_once_even_while_it_is_still_in_its_window(client, amira, clock):
    code = code_at(amira.totp_secret, START_STEP - 1)
    assert second_step(client, amira, code).status_code == 302
    client.logout()
    # Still inside the two-step window, on another device: a replay.
    clock(10)
    other = type(client)()
    response = second_step(other, amira, code)
    assert USED in response.content.decode()
    assert not signed_in(other, amira)


def test_an_older_code_is_refused_once_a_newer_one_was_used(client, amira, clock):
    assert second_step(client, amira, code_at(amira.totp_secret, START_STEP)).status_code == 302
    client.logout()
    response = second_step(client, amira, code_at(amira.totp_secret, START_STEP - 1))
    assert USED in response.content.decode()
    assert not signed_in(client, amira)


def test_the_next_code_works_after_one_was_used(client, amira, clock):
    assert second_step(client, amira, code_at(amira.totp_secret, START_STEP)).status_code == 302
    client.logout()
    clock(STEP)
    assert second_step(client, amira, code_at(amira.totp_secret, START_STEP + 1)).status_code == 302


def test_two_simultaneous_uses_of_one_code_let_one_in(amira, clock):
    authenticator = Authenticator.objects.get(user=amira, type=Authenticator.Type.TOTP)
    code = code_at(amira.totp_secret, START_STEP)
    first = totp.authenticator_use_code(authenticator=authenticator, code=code)
    # The second reads the row afresh (under its lock), not the caller's copy.
    stale = Authenticator.objects.get(pk=authenticator.pk)
    stale.data = {"secret": stale.data["secret"]}
    second = totp.authenticator_use_code(authenticator=stale, code=code)
    assert (first, second) == (totp.Outcome.ACCEPTED, totp.Outcome.USED)


def test_recovery_codes_still_work_beside_the_app(client, amira, clock):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(amira).get_unused_codes()
    assert second_step(client, amira, codes[0]).status_code == 302
    assert signed_in(client, amira)


def test_it_accepts_the_previous_step_when_enrolling_and_spends_it(client, lena, clock):
    client.force_login(lena)
    record_authentication(client, lena, "password", at=START.timestamp())
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = page.split('data-totp-secret="', 1)[1].split('"', 1)[0]

    expired = client.post(reverse("mfa_activate_totp"), {"code": code_at(secret, START_STEP - 2)})
    assert EXPIRED in expired.content.decode()

    code = code_at(secret, START_STEP - 1)
    assert client.post(reverse("mfa_activate_totp"), {"code": code}).status_code == 302
    # The confirming code cannot sign anyone in afterwards.
    client.logout()
    response = second_step(client, lena, code)
    assert USED in response.content.decode()


@settings(max_examples=60, deadline=None)
@given(
    secret_bytes=st.binary(min_size=20, max_size=20),
    offset=st.integers(min_value=-3, max_value=12),
    last_back=st.one_of(st.none(), st.integers(min_value=-1, max_value=4)),
    second=st.integers(min_value=0, max_value=STEP - 1),
)
def test_only_the_current_and_previous_unspent_steps_are_ever_accepted(
    secret_bytes, offset, last_back, second
):
    import base64

    secret = base64.b32encode(secret_bytes).decode()
    now = START.replace(second=0) + dt.timedelta(seconds=second)
    step = int(now.timestamp()) // STEP
    code = code_at(secret, step - offset)
    last = None if last_back is None else step - last_back
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("wellkept.clock.now", lambda: now)
        result = totp.check_code(secret, code, last_step=last)
    if result.outcome is totp.Outcome.ACCEPTED:
        assert result.step in {step, step - 1}
        assert last is None or result.step > last
    # A code from the future or from long ago never works; one a few steps
    # old is recognised as expired (unless, by chance, it equals a newer code).
    if offset < 0 or offset > totp.RECOGNISED_STEPS_BACK:
        assert result.outcome is not totp.Outcome.ACCEPTED or code in {
            code_at(secret, step),
            code_at(secret, step - 1),
        }


def test_it_refuses_codes_that_are_not_six_digits():
    secret = generate_totp_secret()
    for typed in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert totp.check_code(secret, typed).outcome is totp.Outcome.WRONG
