"""Checking authenticator-app codes: the time window, expiry and single use.

allauth accepts a code only in its own 30-second step unless a tolerance is
set, and then also the step ahead; its single-use guard is a cache entry that
lives one step, so with any tolerance a code could be replayed in the next
step. Here, as RFC 6238 (section 5.2) suggests for the delay between reading
a code and sending it, the previous step is accepted too, never a future
one; each authenticator remembers the last step it accepted (in its row, so
every server and a restart agree) and refuses that step and any earlier one.
A code from a few steps back is recognised only to say "expired, use the new
code" instead of "wrong": it never signs anyone in.
"""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass

from allauth.mfa import app_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.db import transaction

from wellkept import clock

# The step the code is in now, and the one before: a code read in the last
# seconds of its window still works after the typing and the round trip.
ACCEPTED_STEPS_BACK = 1
# Codes this many steps old (five minutes) are told apart from wrong ones.
RECOGNISED_STEPS_BACK = 10
LAST_STEP_KEY = "wellkept_last_step"


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    EXPIRED = "expired"
    USED = "used"
    WRONG = "wrong"


MESSAGES = {
    Outcome.EXPIRED: ("This code has expired. Type the new code your authenticator app shows now."),
    Outcome.USED: (
        "This code has already been used. Wait for the next code in your authenticator "
        "app (a new one appears every 30 seconds) and type that one."
    ),
}


@dataclass(frozen=True)
class Check:
    outcome: Outcome
    step: int | None = None


def current_step() -> int:
    return int(clock.now().timestamp()) // app_settings.TOTP_PERIOD


def _normalised(code: str) -> str:
    return "".join(code.split())


def check_code(secret: str, code: str, *, last_step: int | None = None) -> Check:
    """Say whether ``code`` is good now for ``secret``, expired, already used or wrong."""
    typed = _normalised(code)
    if not typed.isdigit() or len(typed) != app_settings.TOTP_DIGITS:
        return Check(Outcome.WRONG)
    now = current_step()
    matched = None
    # Every candidate is computed and compared, newest first, in constant time.
    for back in range(RECOGNISED_STEPS_BACK + 1):
        expected = format_hotp_value(hotp_value(secret, now - back))
        if hmac.compare_digest(typed.encode(), expected.encode()) and matched is None:
            matched = now - back
    if matched is None:
        return Check(Outcome.WRONG)
    if matched < now - ACCEPTED_STEPS_BACK:
        return Check(Outcome.EXPIRED, matched)
    if last_step is not None and matched <= last_step:
        return Check(Outcome.USED, matched)
    return Check(Outcome.ACCEPTED, matched)


def authenticator_use_code(*, authenticator: Authenticator, code: str) -> Outcome:
    """Check a code against a stored authenticator app and, if good, spend its step."""
    with transaction.atomic():
        # The row lock makes two submissions of one code queue: the second
        # finds the step spent.
        locked = Authenticator.objects.select_for_update().get(pk=authenticator.pk)
        secret = get_adapter().decrypt(locked.data["secret"])
        last = locked.data.get(LAST_STEP_KEY)
        result = check_code(secret, code, last_step=last if isinstance(last, int) else None)
        if result.outcome is Outcome.ACCEPTED and result.step is not None:
            authenticator_spend_step(authenticator=locked, step=result.step)
            authenticator.data = locked.data
    return result.outcome


def authenticator_spend_step(*, authenticator: Authenticator, step: int) -> None:
    """Record ``step`` as used, so that neither it nor an earlier code works again."""
    authenticator.data = {**authenticator.data, LAST_STEP_KEY: step}
    authenticator.save(update_fields=["data"])
