"""Who a signed-in person is to the policy: their roles, organisations and own token.

Staff memberships, organisations and the keyed login -> participant link
live in ``orgs``, a layer above ``access``. Rather than import them, the
policy asks the ``People`` source that ``orgs`` registers at ``ready()``
(``register_people``), the same inversion as the consent check. With nothing
registered a person holds no role, owns no participant and belongs to no
organisation, so every decision that needs one of those is refused.
"""

from __future__ import annotations

from typing import Any, Protocol


class People(Protocol):
    """What the policy needs to know about a signed-in person, by their login's primary key."""

    def staff_roles(self, user_pk: Any, organisation_id: Any) -> frozenset[str]:
        """The staff roles held in the organisation, or anywhere when it is None."""

    def is_enrolled(self, user_pk: Any, organisation_id: Any) -> bool:
        """True when the login has a participant row in the organisation (keyed link)."""

    def owns_participant(self, user_pk: Any, organisation_id: Any, participant_id: Any) -> bool:
        """True when the participant row is the login's own (keyed link)."""

    def organisations(self, user_pk: Any) -> list[Any]:
        """The organisations the login is staff in or enrolled in, in a stable order."""

    def own_token(self, user_pk: Any) -> str | None:
        """The token of one of the login's own participant rows, or None."""


class _Nobody:
    """The source used until ``orgs`` registers one: nobody holds anything."""

    def staff_roles(self, user_pk: Any, organisation_id: Any) -> frozenset[str]:
        return frozenset()

    def is_enrolled(self, user_pk: Any, organisation_id: Any) -> bool:
        return False

    def owns_participant(self, user_pk: Any, organisation_id: Any, participant_id: Any) -> bool:
        return False

    def organisations(self, user_pk: Any) -> list[Any]:
        return []

    def own_token(self, user_pk: Any) -> str | None:
        return None


NOBODY: People = _Nobody()
_PEOPLE: list[People] = []


def register_people(source: People) -> None:
    """Set where the policy learns roles, organisations and own tokens (from orgs' ready())."""
    _PEOPLE[:] = [source]


def registered() -> bool:
    """True once a source is registered; until then the policy grants no role at all."""
    return bool(_PEOPLE)


def people() -> People:
    """The registered source, or one under which nobody holds anything (deny by default)."""
    return _PEOPLE[0] if _PEOPLE else NOBODY
