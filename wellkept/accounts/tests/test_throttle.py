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


def test_it_marks_one_address_trying_many_accounts_without_gating_them(frozen_clock):
    for n in range(throttle.ADDRESS_FREE_FAILURES + 1):
        throttle.register_failure(
            throttle.for_password(email=f"person{n}@stannes.example", ip=GUESSER_IP)
        )
    fresh_account = throttle.for_password(email="someone.new@stannes.example", ip=GUESSER_IP)
    # A shared address (a NAT, a proxy) must not lock everyone behind it: the
    # fresh account may still be tried, but a failure now reads as a refusal.
    assert throttle.retry_after(fresh_account) == 0
    assert throttle.address_retry_after(fresh_account) == 1
    throttle.register_failure(fresh_account)
    assert throttle.failure_refusal(fresh_account) == throttle.refusal_message(2)


def test_it_resets_the_account_counters_on_success_but_not_the_address_counter(frozen_clock):
    guard = throttle.for_password(email="nina.nurse@stannes.example", ip=GUESSER_IP)
    fail(guard, throttle.ADDRESS_FREE_FAILURES + 2)
    assert throttle.retry_after(guard) > 0
    throttle.reset(guard)
    assert throttle.retry_after(guard) == 0
    # The per-address mark remains, so signing in to one's own account
    # cannot be used to make guesses at others look ordinary again.
    assert throttle.address_retry_after(guard) == 2


def test_it_counts_password_failures_per_account_across_rotating_addresses(frozen_clock):
    email = "nina.nurse@stannes.example"
    for n in range(throttle.ACCOUNT_PASSWORD_FREE_FAILURES):
        guard = throttle.for_password(email=email, ip=f"203.0.113.{n + 1}")
        assert throttle.retry_after(guard) == 0
        throttle.register_failure(guard)
    throttle.register_failure(throttle.for_password(email=email, ip="198.51.100.99"))
    from_anywhere = throttle.for_password(email=email, ip="192.0.2.200")
    assert throttle.retry_after(from_anywhere) == 1


def test_it_allows_fewer_free_failures_for_mfa_codes_than_for_passwords(frozen_clock):
    for n in range(throttle.ACCOUNT_MFA_FREE_FAILURES + 1):
        throttle.register_failure(throttle.for_mfa(user_id="u-1", ip=f"203.0.113.{n + 1}"))
    assert throttle.retry_after(throttle.for_mfa(user_id="u-1", ip="192.0.2.1")) == 1
    assert throttle.ACCOUNT_MFA_FREE_FAILURES < throttle.ACCOUNT_PASSWORD_FREE_FAILURES


def test_it_bounds_and_then_forgets_the_per_account_wait(frozen_clock):
    for n in range(200):
        throttle.register_failure(throttle.for_mfa(user_id="u-1", ip=f"2001:db8:{n:x}::1"))
    guard = throttle.for_mfa(user_id="u-1", ip="192.0.2.1")
    assert throttle.retry_after(guard) == throttle.MAX_DELAY_SECONDS
    frozen_clock(throttle.MAX_DELAY_SECONDS)
    assert throttle.retry_after(guard) == 0
    frozen_clock(throttle.FORGET_AFTER_SECONDS)
    throttle.register_failure(guard)
    assert throttle.retry_after(guard) == 0


def test_it_groups_ipv6_addresses_by_their_64_bit_network(frozen_clock):
    email = "nina.nurse@stannes.example"
    for n in range(throttle.PAIR_FREE_FAILURES + 1):
        throttle.register_failure(throttle.for_password(email=email, ip=f"2001:db8:1:2::{n + 1:x}"))
    same_network = throttle.for_password(email=email, ip="2001:db8:1:2:ffff:ffff:ffff:fffe")
    other_network = throttle.for_password(email=email, ip="2001:db8:1:3::1")
    assert throttle.retry_after(same_network) == 1
    assert throttle.address_retry_after(other_network) == 0
    assert throttle.client_network("2001:db8:1:2:abcd::9") == "2001:db8:1:2::/64"
    assert throttle.client_network("::ffff:192.0.2.7") == "192.0.2.7"
    assert throttle.client_network("192.0.2.7") == "192.0.2.7"


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
