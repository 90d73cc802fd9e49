"""Who is acting: a signed-in user, or a named command or background job.

Services take ``actor=`` so that commands and jobs are attributed (and, with
the audit trail, audited) exactly like web requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from wellkept.accounts.models import User


@dataclass(frozen=True)
class SystemActor:
    """A management command or scheduled job acting on its own authority."""

    name: str

    @property
    def pk(self) -> None:
        return None

    def __str__(self) -> str:
        return f"system:{self.name}"


@dataclass(frozen=True)
class PseudonymousActor:
    """A participant acting on their own token-level data, known by the token only.

    Audit entries for such actions must not carry the login's user id: an
    entry holding both the user id and the token would be a login -> token
    link readable from the database, which invariant 2 forbids.
    """

    token: str

    @property
    def pk(self) -> None:
        return None

    def __str__(self) -> str:
        return f"participant:{self.token}"


Actor: TypeAlias = "User | SystemActor | PseudonymousActor"

Caller: TypeAlias = "Actor | AnonymousUser"
"""Whoever asks, a signed-in person or not: what the policy, the audit trail
and the guards take, since they are where an anonymous attempt is refused
and recorded. Every service takes ``Actor``: the views that call them are
guarded, and their ``AuthenticatedRequest`` carries a ``User``."""


class AuthenticatedRequest(HttpRequest):
    """A request a guard has let through: its ``user`` is a signed-in person.

    For the type checker only; nothing is constructed. A guard
    (``access.guards``: ``signed_in``, or the audience guards
    ``privacy_officer_only``, ``team_only``, ``leaders_only``, which serve a
    view only once the person holds a role in the page's organisation and
    the policy allowed them) lets no anonymous caller through, so the view's
    ``request.user`` is a ``User`` and the services it calls take
    ``actor: Actor``.
    """

    user: User


class NotAPerson(PermissionDenied):
    """The action needs a signed-in person, and the actor is a command, a token or nobody."""


def person(actor: Caller) -> User:
    """Return the signed-in user behind ``actor``, or refuse anyone else.

    For services that record who acted in a foreign key (a requester, a
    decider): a command, a participant's token or an anonymous caller is no
    row to point at.
    """
    from django.contrib.auth.models import AnonymousUser

    if isinstance(actor, SystemActor | PseudonymousActor | AnonymousUser):
        raise NotAPerson("Only a signed-in person can do this.")
    return actor
