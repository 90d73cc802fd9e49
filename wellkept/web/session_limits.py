"""Idle and absolute session limits: the arithmetic, kept apart from HTTP.

An abandoned session on a shared ward computer is in the threat model. Two
limits bound it: the idle limit (no request for N seconds) and the absolute
limit (N seconds since sign-in, however busy). Both are read from settings on
every call, so an operator who shortens them does not wait for a restart.
Times are whole epoch seconds from ``wellkept.clock``, the one time seam.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from wellkept import clock

STARTED_KEY = "wellkept.session.started"
SEEN_KEY = "wellkept.session.seen"


class Expiry(enum.Enum):
    IDLE = "idle"
    ABSOLUTE = "absolute"


@dataclass(frozen=True)
class Limits:
    idle: int
    absolute: int

    @classmethod
    def current(cls) -> Limits:
        """Return the limits configured right now."""
        return cls(
            idle=int(settings.WELLKEPT_SESSION_IDLE_SECONDS),
            absolute=int(settings.WELLKEPT_SESSION_ABSOLUTE_SECONDS),
        )


@dataclass(frozen=True)
class Remaining:
    idle_seconds: int
    absolute_seconds: int

    @property
    def seconds(self) -> int:
        """Seconds until whichever limit comes first signs the person out."""
        return min(self.idle_seconds, self.absolute_seconds)

    @property
    def renewable(self) -> bool:
        """True when activity can still push the sign-out back."""
        return self.idle_seconds < self.absolute_seconds


def now_seconds() -> int:
    """Return the current time in whole epoch seconds."""
    return int(clock.now().timestamp())


def is_stamped(session: Any) -> bool:
    """True when the session carries both timestamps as integers."""
    return isinstance(session.get(STARTED_KEY), int) and isinstance(session.get(SEEN_KEY), int)


def stamp_start(session: Any, *, now: int) -> None:
    """Start both clocks for a session that has just become authenticated."""
    session[STARTED_KEY] = now
    session[SEEN_KEY] = now


def record_activity(session: Any, *, now: int) -> None:
    """Restart the idle clock; the absolute clock keeps running."""
    # Skip the write when nothing changed, so a burst of requests within one
    # second does not save the session row once per request.
    if session.get(SEEN_KEY) != now:
        session[SEEN_KEY] = now


def expiry(session: Any, *, now: int, limits: Limits) -> Expiry | None:
    """Return which limit the session has passed, if any (absolute wins a tie)."""
    if now - session[STARTED_KEY] >= limits.absolute:
        return Expiry.ABSOLUTE
    if now - session[SEEN_KEY] >= limits.idle:
        return Expiry.IDLE
    return None


def remaining(session: Any, *, now: int, limits: Limits) -> Remaining:
    """Return the seconds left before each limit, never below zero."""
    return Remaining(
        idle_seconds=max(0, session[SEEN_KEY] + limits.idle - now),
        absolute_seconds=max(0, session[STARTED_KEY] + limits.absolute - now),
    )


def describe_duration(seconds: int) -> str:
    """Return a duration in plain words, e.g. "15 minutes" or "12 hours"."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    if seconds >= 60:
        minutes = round(seconds / 60)
        return f"about {minutes} minute{'' if minutes == 1 else 's'}"
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def signed_out_message(reason: Expiry, *, limits: Limits) -> str:
    """Return the sentence shown on the sign-in page after a timeout."""
    if reason is Expiry.IDLE:
        return (
            f"You were signed out after {describe_duration(limits.idle)} without activity, "
            "to protect your information. Please sign in again."
        )
    return (
        f"You were signed out after {describe_duration(limits.absolute)}, the longest a "
        "session may last. Please sign in again."
    )
