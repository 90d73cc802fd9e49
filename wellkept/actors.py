"""Who is acting: a signed-in user, or a named command or background job.

Services take ``actor=`` so that commands and jobs are attributed (and, with
the audit trail, audited) exactly like web requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
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
