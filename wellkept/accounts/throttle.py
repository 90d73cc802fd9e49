"""Exponential back-off against password and code guessing, kept in the cache.

Failures are counted per (account, client address) and per client address.
After a few free failures each further one doubles the wait (1 s, 2 s, 4 s,
... capped at 15 minutes). Nothing locks an account for good: the wait is
bounded, the counters forget an hour after the last failure, and because the
account counter is keyed with the client address, someone guessing from
elsewhere slows themselves down, not the owner. The per-address counter
catches one address trying many accounts; its free allowance is generous
because a whole hospital may sit behind one NAT address.

Keys hold keyed hashes (the vault's blind index), so the cache, which may be
a shared Redis, never holds an e-mail or IP address in clear. An unknown
account gets exactly the same counters and messages as a known one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.core.cache import cache

from wellkept import clock
from wellkept.accounts.models import normalise_email
from wellkept.vault.services import blind_index

PAIR_FREE_FAILURES = 3
ADDRESS_FREE_FAILURES = 30
BASE_DELAY_SECONDS = 1
MAX_DELAY_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 60 * 60

_PREFIX = "wellkept:throttle"


@dataclass(frozen=True)
class _Counter:
    key: str
    free: int


@dataclass(frozen=True)
class Throttle:
    """The counters that guard one kind of attempt from one place."""

    pair: _Counter
    address: _Counter

    @property
    def counters(self) -> tuple[_Counter, _Counter]:
        return (self.pair, self.address)


def _throttle(scope: str, account: str, ip: str) -> Throttle:
    ip_hash = blind_index("throttle.ip", ip)
    pair_hash = blind_index(f"throttle.{scope}", f"{account}|{ip}")
    return Throttle(
        pair=_Counter(f"{_PREFIX}:{scope}:{pair_hash}", PAIR_FREE_FAILURES),
        address=_Counter(f"{_PREFIX}:ip:{ip_hash}", ADDRESS_FREE_FAILURES),
    )


def for_password(*, email: str, ip: str) -> Throttle:
    """Counters for password attempts on an address, known or not."""
    return _throttle("password", normalise_email(email), ip)


def for_mfa(*, user_id: object, ip: str) -> Throttle:
    """Counters for second-factor codes (TOTP and recovery codes) of one account."""
    return _throttle("mfa", str(user_id), ip)


def delay_after(failures: int, free: int) -> int:
    """Seconds to wait after ``failures`` consecutive failures."""
    over = failures - free
    if over <= 0:
        return 0
    return min(BASE_DELAY_SECONDS * 2 ** min(over - 1, 30), MAX_DELAY_SECONDS)


def _state(counter: _Counter) -> tuple[int, float]:
    state = cache.get(counter.key)
    if not isinstance(state, tuple) or len(state) != 2:
        return 0, 0.0
    failures, last = state
    if clock.now().timestamp() - last > FORGET_AFTER_SECONDS:
        return 0, 0.0
    return int(failures), float(last)


def retry_after(throttle: Throttle) -> int:
    """Seconds until another attempt is allowed (0: allowed now)."""
    now = clock.now().timestamp()
    wait = 0.0
    for counter in throttle.counters:
        failures, last = _state(counter)
        if failures:
            wait = max(wait, last + delay_after(failures, counter.free) - now)
    return max(0, math.ceil(wait))


def register_failure(throttle: Throttle) -> None:
    """Count a failed attempt on every counter."""
    now = clock.now().timestamp()
    for counter in throttle.counters:
        failures, _last = _state(counter)
        # Read-modify-write, not atomic: concurrent guesses may each count
        # once instead of twice, which only lets an attacker gain one step.
        cache.set(
            counter.key, (failures + 1, now), timeout=FORGET_AFTER_SECONDS + MAX_DELAY_SECONDS
        )


def reset(throttle: Throttle) -> None:
    """Forget the account's failures after a success from this address.

    The per-address counter is left to expire on its own: otherwise an
    attacker could sign in to their own account now and then to keep
    guessing at everyone else's.
    """
    cache.delete(throttle.pair.key)


def refusal_message(seconds: int) -> str:
    """The one message shown while waiting, whether or not the account exists."""
    if seconds < 60:
        amount = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        amount = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"Too many failed attempts. Wait {amount}, then try again."
