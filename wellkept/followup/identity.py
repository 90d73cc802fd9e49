"""From a token back to a login: the one place the application makes that step.

Nothing in the database joins the two (see ``wellkept.orgs.pseudonyms``).
With the key file the application recomputes the keyed link of each login
of the organisation and keeps the one that matches. Two callers only: the
notices e-mailed to a participant (no person sees the address), and an
approved re-identification grant or break-glass, through the policy.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from wellkept.accounts.models import User, readable_email
from wellkept.orgs.models import Participant
from wellkept.orgs.pseudonyms import login_link_for
from wellkept.vault.services import is_erased


def login_for_participant(participant: Participant) -> User | None:
    """Return the login whose keyed link is this participant's, or None."""
    candidates = User.objects.filter(
        Q(clinician_of__organisation_id=participant.organisation_id)
        | Q(memberships__organisation_id=participant.organisation_id)
    ).distinct()
    for user in candidates.iterator():
        link = login_link_for(user_pk=user.pk, organisation_pk=participant.organisation_id)
        if link == participant.login_link:
            return user
    return None


@dataclass(frozen=True, repr=False)
class Identity:
    """Who is behind a token, as shown under a grant."""

    name: str
    email: str
    found: bool

    def __repr__(self) -> str:
        # Never the name or the address, should this object reach a log.
        return f"Identity(found={self.found})"


def identity_of(participant: Participant) -> Identity:
    """Return the name and address behind the token (for a granted caller only)."""
    user = login_for_participant(participant)
    if user is None:
        return Identity(name="", email="", found=False)
    name = user.display_name
    return Identity(
        name="" if is_erased(name) or not isinstance(name, str) else name,
        email=readable_email(user),
        found=True,
    )
