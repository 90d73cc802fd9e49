"""Helpers for browser journeys."""

from __future__ import annotations

import datetime as dt


def current_code(secret: str) -> str:
    """The code an authenticator app would show now (RFC 6238, as allauth checks it)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    counter = int(dt.datetime.now(tz=dt.UTC).timestamp()) // 30
    return format_hotp_value(hotp_value(secret, counter))
