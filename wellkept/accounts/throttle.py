"""Exponential back-off against password and code guessing, kept in the cache.

Three counters guard each attempt:

- **per account** (independent of the address): the real limit on guessing.
  Rotating addresses does not help, since an IPv6 /64 alone holds 2^64 of
  them. Second-factor codes get 5 free failures, passwords 10 (softer,
  because anyone who knows an e-mail address can trip it).
- **per (account, client network)**: 3 free failures, so one place guessing
  at one account is stopped sooner than the account as a whole.
- **per client network**: one place trying many accounts.

IPv6 addresses are grouped by /64, the block one subscriber usually gets;
IPv4 addresses (and IPv4-mapped IPv6) count one by one.

After its free failures each counter doubles the wait (1 s, 2 s, 4 s, ...
capped at 15 minutes) and forgets everything an hour after the last failure,
so no counter can lock an account for good: the wait is bounded, and an
attacker who keeps it armed must keep guessing at the capped rate (4 an hour).
A success resets the account's counters.

The per-network counter never refuses a correct password. Behind a reverse
proxy without WELLKEPT_TRUSTED_PROXY_COUNT, or a hospital NAT, every person
shares one address, and a refusing per-network counter would let anyone lock
the whole site with one wrong password every 15 minutes. So only the two
account counters are gates, checked before the credentials. The network
counter instead governs the *answer to a failure*: while the network is over
its allowance, a wrong password or code is answered with exactly the
"too many failed attempts, wait" message a refused attempt gets. A correct
password still signs in, unless its account is itself over its limit. This
keeps "no user enumeration": the counters and messages are the same for
unknown and known accounts, and from a busy network a wrong guess, an unknown
address and a refusal all look alike. Guessing stays bounded by the account
counters, which no shared address can defeat.

Keys hold keyed hashes (the vault's blind index), so the cache, which may be
a shared Redis, never holds an e-mail or IP address in clear.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from allauth.account.adapter import get_adapter
from django.core.cache import cache
from django.http import HttpRequest

from wellkept import clock
from wellkept.accounts.models import normalise_email
from wellkept.vault.services import blind_index

PAIR_FREE_FAILURES = 3
ACCOUNT_PASSWORD_FREE_FAILURES = 10
ACCOUNT_MFA_FREE_FAILURES = 5
ADDRESS_FREE_FAILURES = 30
BASE_DELAY_SECONDS = 1
MAX_DELAY_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 60 * 60
IPV6_PREFIX = 64

_PREFIX = "wellkept:throttle"


@dataclass(frozen=True)
class _Counter:
    key: str
    free: int


@dataclass(frozen=True)
class Throttle:
    """The counters that guard one kind of attempt on one account from one network."""

    pair: _Counter
    account: _Counter
    address: _Counter

    @property
    def gates(self) -> tuple[_Counter, _Counter]:
        """Counters that refuse an attempt before the credentials are checked."""
        return (self.pair, self.account)

    @property
    def counters(self) -> tuple[_Counter, _Counter, _Counter]:
        return (self.pair, self.account, self.address)


def client_ip(request: HttpRequest) -> str:
    """The client address allauth sees, honouring the trusted-proxy settings."""
    return str(get_adapter(request).get_client_ip(request))


def client_network(ip: str) -> str:
    """The unit counted per place: the address, or its /64 for IPv6."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return ip
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


def _throttle(scope: str, account: str, ip: str, *, account_free: int) -> Throttle:
    network = client_network(ip)
    network_hash = blind_index("throttle.ip", network)
    pair_hash = blind_index(f"throttle.{scope}", f"{account}|{network}")
    account_hash = blind_index(f"throttle.{scope}.account", account)
    return Throttle(
        pair=_Counter(f"{_PREFIX}:{scope}:{pair_hash}", PAIR_FREE_FAILURES),
        account=_Counter(f"{_PREFIX}:{scope}-account:{account_hash}", account_free),
        address=_Counter(f"{_PREFIX}:ip:{network_hash}", ADDRESS_FREE_FAILURES),
    )


def for_password(*, email: str, ip: str) -> Throttle:
    """Counters for password attempts on an address, known or not."""
    return _throttle(
        "password", normalise_email(email), ip, account_free=ACCOUNT_PASSWORD_FREE_FAILURES
    )


def for_api_token(*, prefix: str, ip: str) -> Throttle:
    """Counters for bearer-token attempts on one token prefix ("account") from one network."""
    return _throttle("api-token", prefix, ip, account_free=ACCOUNT_PASSWORD_FREE_FAILURES)


def for_mfa(*, user_id: object, ip: str) -> Throttle:
    """Counters for second-factor codes (TOTP and recovery codes) of one account."""
    return _throttle("mfa", str(user_id), ip, account_free=ACCOUNT_MFA_FREE_FAILURES)


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


def _wait(counters: tuple[_Counter, ...]) -> int:
    now = clock.now().timestamp()
    wait = 0.0
    for counter in counters:
        failures, last = _state(counter)
        if failures:
            wait = max(wait, last + delay_after(failures, counter.free) - now)
    return max(0, math.ceil(wait))


def retry_after(throttle: Throttle) -> int:
    """Seconds until the account counters allow another attempt (0: allowed now)."""
    return _wait(throttle.gates)


def address_retry_after(throttle: Throttle) -> int:
    """Seconds the client network is asked to wait; it never refuses a correct attempt."""
    return _wait((throttle.address,))


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


def failure_refusal(throttle: Throttle) -> str | None:
    """After a counted failure, the refusal to show instead of "wrong", if any.

    Once any counter is over its allowance a wrong attempt is answered like
    a refused one, so the two cannot be told apart.
    """
    wait = max(retry_after(throttle), address_retry_after(throttle))
    return refusal_message(wait) if wait else None


def reset(throttle: Throttle) -> None:
    """Forget the account's failures after a success.

    The per-network counter is left to expire on its own: otherwise an
    attacker could sign in to their own account now and then to keep
    guessing at everyone else's without the uniform answer.
    """
    cache.delete_many([throttle.pair.key, throttle.account.key])


def refusal_message(seconds: int) -> str:
    """The one message shown while waiting, whether or not the account exists."""
    if seconds < 60:
        amount = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        amount = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"Too many failed attempts. Wait {amount}, then try again."
