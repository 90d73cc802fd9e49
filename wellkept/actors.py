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


Actor: TypeAlias = "User | SystemActor"
