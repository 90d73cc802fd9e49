"""Database sessions stored under a hash of their key: a copied table opens no session.

The browser's cookie holds a random key; the session row (and allauth's
list of a person's sessions) holds only ``h$`` + SHA-256 of it. Someone who
copies the database, a dump or a backup finds no value they could put in a
cookie: the key is 32 random characters, so the hash cannot be turned back,
and a cookie that holds a stored form (``h$...``) is ignored outright.

Set with ``SESSION_ENGINE = "wellkept.accounts.sessions"``, with
``SessionMiddleware`` below in place of Django's; allauth's session list is
kept under the same stored form (``record_user_session`` and
``is_current_session``, installed in AccountsConfig.ready()).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

STORED_PREFIX = "h$"
# The stored form fits the 40 characters of django_session and allauth's table.
_DIGEST_CHARS = 38
# What Django's own keys look like (get_random_string(32, a-z0-9)).
_COOKIE_KEY = re.compile(r"[a-z0-9]{32}")


def stored_key(key: str) -> str:
    """Return the form a session key is stored under (idempotent)."""
    if key.startswith(STORED_PREFIX):
        return key
    return (
        STORED_PREFIX + hashlib.sha256(key.encode("ascii", "replace")).hexdigest()[:_DIGEST_CHARS]
    )


class SessionStore(DatabaseSessionStore):
    """Django's database store, reading and writing rows under ``stored_key``.

    The constructor, ``exists`` and ``delete`` take either the cookie's key
    or a stored form (allauth keeps the stored form in its session list and
    hands it back to end a session).
    """

    @property
    def stored_key(self) -> str | None:
        key = self.session_key
        return stored_key(key) if key else None

    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if not key:
            return None
        found = self.model.objects.filter(
            session_key=stored_key(key), expire_date__gt=timezone.now()
        ).first()
        if found is None:
            self._session_key = None
        return found

    async def _aget_session_from_db(self) -> Any:
        key = self.session_key
        if not key:
            return None
        found = await self.model.objects.filter(
            session_key=stored_key(key), expire_date__gt=timezone.now()
        ).afirst()
        if found is None:
            self._session_key = None
        return found

    def exists(self, session_key: str) -> bool:
        return bool(self.model.objects.filter(session_key=stored_key(session_key)).exists())

    async def aexists(self, session_key: str) -> bool:
        return bool(await self.model.objects.filter(session_key=stored_key(session_key)).aexists())

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        return self.model(
            session_key=stored_key(self._get_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=self.get_expiry_date(),
        )

    async def acreate_model_instance(self, data: dict[str, Any]) -> Any:
        return self.model(
            session_key=stored_key(await self._aget_or_create_session_key()),  # type: ignore[attr-defined]
            session_data=self.encode(data),
            expire_date=await self.aget_expiry_date(),
        )

    def delete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key:
            self.model.objects.filter(session_key=stored_key(key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        key = session_key or self.session_key
        if key:
            await self.model.objects.filter(session_key=stored_key(key)).adelete()


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, taking only a cookie that looks like a key we issue.

    A stored form pasted into a cookie (from a copied table) is ignored: the
    request starts without a session, exactly as with an unknown key.
    """

    def process_request(self, request: HttpRequest) -> None:
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if key is not None and not _COOKIE_KEY.fullmatch(key):
            key = None
        request.session = self.SessionStore(key)


def record_user_session(manager: Any, request: HttpRequest) -> None:
    """allauth's UserSessionManager.create_from_request, keyed by the stored form.

    allauth calls it from its middleware and its sign-in and password
    signals; each would otherwise write the cookie's key in clear into its
    own table.
    """
    if not request.user.is_authenticated:
        raise ValueError("Only a signed-in request has a session to list.")
    if not request.session.session_key:
        request.session.save()
    from allauth.account.adapter import get_adapter
    from allauth.usersessions.models import UserSession
    from allauth.usersessions.signals import session_client_changed

    key = stored_key(request.session.session_key or "")
    agent_max = UserSession._meta.get_field("user_agent").max_length or 200
    user_agent = request.META.get("HTTP_USER_AGENT", "")[:agent_max]
    ip = get_adapter().get_client_ip(request)
    with transaction.atomic():
        session, created = UserSession.objects.get_or_create(
            session_key=key, defaults={"user": request.user, "ip": ip, "user_agent": user_agent}
        )
        if created:
            return
        before = (session.ip, session.user_agent)
        session.user = request.user
        session.ip = ip
        session.user_agent = user_agent
        session.last_seen_at = timezone.now()
        session.save(update_fields=["user", "ip", "user_agent", "last_seen_at"])
    if before != (session.ip, session.user_agent):
        previous = UserSession(
            session_key=session.session_key,
            user=session.user,
            ip=before[0],
            user_agent=before[1],
            data=session.data,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
        )
        session_client_changed.send(
            sender=UserSession, request=request, from_session=previous, to_session=session
        )


def is_current_session(user_session: Any) -> bool:
    """allauth's UserSession.is_current, comparing stored forms."""
    from allauth.core import context

    current = context.request.session.session_key
    return bool(current) and user_session.session_key == stored_key(current)
