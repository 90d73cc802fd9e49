"""Room tokens for the practice's Jitsi Meet (issue 19): one appointment, one room, one window.

Jitsi's token authentication (prosody ``mod_auth_token``) accepts an HS256
JWT signed with the app secret it shares with us, whose claims say: who
issued it (``iss``, the app id), for which audience (``aud``, "jitsi"),
for which Jitsi domain (``sub``), for which room (``room``), and when
(``nbf``/``exp``). A token here names exactly one appointment's room and
is valid only from shortly before its start to shortly after its end, so a
link forwarded or leaked later opens nothing. ``moderator`` is true for
the therapist only: with ``enableUserRolesBasedOnToken`` the therapist
admits the client from the lobby.

The token is never stored: it is derived again whenever a link is shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jwt
from django.conf import settings

# The window a token opens: a little before the start (the therapist sets up,
# the client tests their camera), a little after the end (a session that runs over).
EARLY = dt.timedelta(minutes=15)
LATE = dt.timedelta(minutes=30)
AUDIENCE = "jitsi"
ALGORITHM = "HS256"


class TelehealthNotConfigured(Exception):
    """The practice has not set up its Jitsi server (WELLKEPT_JITSI_*)."""


@dataclass(frozen=True)
class JitsiServer:
    url: str
    app_id: str
    secret: str

    @property
    def domain(self) -> str:
        return urlsplit(self.url).hostname or ""


def configured() -> bool:
    return bool(settings.WELLKEPT_JITSI_URL)


def server() -> JitsiServer:
    """The configured Jitsi server, read at call time (settings can change under tests)."""
    if not configured():
        raise TelehealthNotConfigured(
            "The practice's video server is not set up yet: ask the administrator to set "
            "WELLKEPT_JITSI_URL, WELLKEPT_JITSI_APP_ID and WELLKEPT_JITSI_APP_SECRET."
        )
    return JitsiServer(
        url=settings.WELLKEPT_JITSI_URL,
        app_id=settings.WELLKEPT_JITSI_APP_ID,
        secret=settings.WELLKEPT_JITSI_APP_SECRET,
    )


def window(start: dt.datetime, end: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When a token for an appointment from ``start`` to ``end`` is valid."""
    return start - EARLY, end + LATE


def room_token(
    *,
    room: str,
    start: dt.datetime,
    end: dt.datetime,
    display_name: str,
    moderator: bool,
    jitsi: JitsiServer | None = None,
) -> str:
    """Sign a token that opens ``room`` within the appointment's window, and nothing else."""
    jitsi = jitsi or server()
    not_before, expires = window(start, end)
    claims: dict[str, Any] = {
        "aud": AUDIENCE,
        "iss": jitsi.app_id,
        "sub": jitsi.domain,
        "room": room,
        "nbf": int(not_before.timestamp()),
        "exp": int(expires.timestamp()),
        "moderator": moderator,
        "context": {"user": {"name": display_name, "moderator": moderator}},
    }
    return jwt.encode(claims, jitsi.secret, algorithm=ALGORITHM, headers={"typ": "JWT"})


def join_url(room: str, token: str, jitsi: JitsiServer | None = None) -> str:
    """The address that opens the room with the token, as Jitsi Meet reads it (``?jwt=``)."""
    jitsi = jitsi or server()
    return f"{jitsi.url}/{room}?jwt={token}"


def verify(
    token: str, *, room: str, at: dt.datetime, jitsi: JitsiServer | None = None
) -> dict[str, Any]:
    """Check a token as the Jitsi server does (signature, audience, issuer, time, room)."""
    jitsi = jitsi or server()
    claims: dict[str, Any] = jwt.decode(
        token,
        jitsi.secret,
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=jitsi.app_id,
        # The window is judged below against ``at`` (the clock seam), not the wall clock.
        options={
            "require": ["aud", "iss", "sub", "room", "nbf", "exp"],
            "verify_exp": False,
            "verify_nbf": False,
        },
    )
    moment = int(at.timestamp())
    if moment < claims["nbf"]:
        raise jwt.ImmatureSignatureError("The token is not yet valid.")
    if moment >= claims["exp"]:
        raise jwt.ExpiredSignatureError("The token has expired.")
    if claims.get("room") != room or claims.get("sub") != jitsi.domain:
        raise jwt.InvalidTokenError("The token is for another room or server.")
    return claims
