"""Back-off after failed attempts: grows, caps, expires, resets, and never names the account."""

from __future__ import annotations

import pytest

from wellkept.accounts import throttle

pytestmark = pytest.mark.django_db

GUESSER_IP = "203.0.113.7"
OWNER_IP = "198.51.100.20"


def fail(guard: throttle.Throttle, times: int) -> None:
    for _ in range(times):
        throttle.register_failure(guard)


def test_it_lets_a_few_mistakes_through_without_waiting(frozen_clock):
    guard = throttle.for_password(email="nina.nurse@stannes.example", ip=OWNER_IP)
    fail(guard, throttle.PAIR_FREE_FAILURES)
    assert throttle.retry_after(guard) == 0


def test_it_doubles_the_wait_after_each_further_failure(frozen_clock):
    guard = throttle.for_password(email="nina.nurse@stannes.example", ip=GUESSER_IP)
    fail(guard, throttle.PAIR_FREE_FAILURES)
    waits = []
    for _ in range(4):
        throttle.register_failure(guard)
        waits.append(throttle.retry_after(guard))
    assert waits == [1, 2, 4, 8]


def test_it_caps_the_wait_at_15_minutes(frozen_clock):
    guard = throttle.for_password(email="nina.nurse@stannes.example", ip=GUESSER_IP)
    fail(guard, 40)
    assert throttle.retry_after(guard) == 15 * 60


def test_it_allows_another_attempt_once_the_wait_is_over(frozen_clock):
    guard = throttle.for_password(email="nina.nurse@stannes.example", ip=GUESSER_IP)
    fail(guard, throttle.PAIR_FREE_FAILURES + 3)
    assert throttle.retry_after(guard) == 4
    frozen_clock(4)
    assert throttle.retry_after(guard) == 0


def test_it_forgets_failures_after_an_hour_so_nobody_is_locked_out_for_good(frozen_clock):
    guard = throttle.for_password(email="nina.nurse@stannes.example", ip=GUESSER_IP)
    fail(guard, 40)
    frozen_clock(throttle.FORGET_AFTER_SECONDS + 1)
    assert throttle.retry_after(guard) == 0
    # And the count starts again from the free allowance.
    throttle.register_failure(guard)
    assert throttle.retry_after(guard) == 0


def test_it_does_not_slow_down_the_owner_on_another_address(frozen_clock):
    email = "nina.nurse@stannes.example"
    fail(throttle.for_password(email=email, ip=GUESSER_IP), 10)
    assert throttle.retry_after(throttle.for_password(email=email, ip=OWNER_IP)) == 0


def test_it_slows_one_address_trying_many_accounts(frozen_clock):
    for n in range(throttle.ADDRESS_FREE_FAILURES + 1):
        throttle.register_failure(
            throttle.for_password(email=f"person{n}@stannes.example", ip=GUESSER_IP)
        )
    fresh_account = throttle.for_password(email="someone.new@stannes.example", ip=GUESSER_IP)
    assert throttle.retry_after(fresh_account) == 1


def test_it_resets_the_account_counter_on_success_but_not_the_address_counter(frozen_clock):
    guard = throttle.for_password(email="nina.nurse@stannes.example", ip=GUESSER_IP)
    fail(guard, throttle.ADDRESS_FREE_FAILURES + 2)
    throttle.reset(guard)
    # The per-address back-off remains, so signing in to one's own account
    # cannot be used to keep guessing at others.
    assert throttle.retry_after(guard) == 2


def test_it_treats_address_case_and_spaces_as_the_same_account(frozen_clock):
    fail(throttle.for_password(email="Nina.Nurse@StAnnes.example ", ip=GUESSER_IP), 5)
    same = throttle.for_password(email="nina.nurse@stannes.example", ip=GUESSER_IP)
    assert throttle.retry_after(same) > 0


def test_it_keeps_no_address_in_clear_in_the_cache_keys():
    guard = throttle.for_password(email="nina.nurse@stannes.example", ip=GUESSER_IP)
    for counter in guard.counters:
        assert "nina" not in counter.key
        assert GUESSER_IP not in counter.key


def test_it_words_the_refusal_in_seconds_then_minutes():
    assert throttle.refusal_message(1) == "Too many failed attempts. Wait 1 second, then try again."
    assert "Wait 30 seconds" in throttle.refusal_message(30)
    assert "Wait 15 minutes" in throttle.refusal_message(900)
