"""Reads of the practice. Every read of a client goes through the policy and is audited.

- ``client_list``: the clients the person may see (``visible``: one audited
  decision for the list), optionally found by name through the blind index.
- ``get_client_for``: one client, or 404 for missing and forbidden alike.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Max, Q
from django.http import HttpRequest

from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts.models import User, readable_email
from wellkept.actors import Caller, SystemActor
from wellkept.orgs.models import Organisation, Role
from wellkept.practice import names
from wellkept.practice.models import (
    AppointmentStatus,
    Client,
    ClientAssignment,
    ClientStatus,
    Guardian,
)

PURPOSE = Purpose.CLINICAL_CARE


def client_list(
    *,
    actor: Caller,
    organisation: Organisation,
    search: str = "",
    request: HttpRequest | None = None,
) -> list[Client]:
    """Return the practice's clients the actor may see, by code; ``search`` matches whole words.

    Every word of ``search`` must be one of the client's name words (legal or
    preferred), compared through the blind index: exact words only, no
    prefixes, no misspellings.
    """
    rows = visible(
        actor,
        Action.READ,
        Client.objects.filter(organisation=organisation),
        PURPOSE,
        request=request,
    )
    if search.strip():
        tokens = names.name_tokens(organisation.pk, search)
        if not tokens:
            return []
        for token in tokens:
            # One join per word: each word must match one of the client's tokens.
            rows = rows.filter(name_tokens__token=token)
    return list(rows.order_by("code").distinct())


def get_client_for(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action | None = None,
    purpose: Purpose = PURPOSE,
) -> Client:
    """Return the practice's client the actor may ``action``, or 404; one audited decision.

    Without an ``action``, the one the served view declares on practice
    administration (``@policy``), else READ.
    """
    return get_for(
        actor=actor,
        queryset=Client.objects.filter(organisation=organisation).select_related("organisation"),
        pk=pk,
        action=action or declared_action(ResourceKind.PRACTICE_ADMIN, Action.READ),
        purpose=purpose,
        request=request,
    )


def guardians(client: Client) -> list[Guardian]:
    """The client's guardians (for a client already read through ``get_client_for``)."""
    return list(Guardian.objects.filter(client=client))


def current_therapists(client: Client) -> list[User]:
    """The therapists working with the client now (for a client already read)."""
    return [
        a.therapist
        for a in ClientAssignment.objects.filter(client=client, until__isnull=True)
        .select_related("therapist")
        .order_by("since")
    ]


def therapists(organisation: Organisation) -> list[User]:
    """The practice's therapists, to choose from when assigning a client."""
    return list(
        User.objects.filter(
            memberships__organisation=organisation, memberships__role=Role.SPECIALIST
        )
        .distinct()
        .order_by("date_joined")
    )


def staff_label(user: User) -> str:
    """How a colleague is named on the practice's pages: display name, else e-mail."""
    name = user.display_name if isinstance(user.display_name, str) else ""
    return name or readable_email(user) or "Unnamed account"


def practices_of(user: Any, roles: frozenset[str]) -> list[Organisation]:
    """The organisations where the user holds one of ``roles``, by name (to switch practice)."""
    return list(
        Organisation.objects.filter(memberships__user_id=user.pk, memberships__role__in=roles)
        .distinct()
        .order_by("name")
    )


# --- retention (read by lifecycle's retention job) ----------------------------------

ADULT_AGE = 18


@dataclass(frozen=True)
class DischargedClient:
    """What retention needs of a discharged client: never a name, never the date of birth."""

    client: Client
    last_contact: dt.date
    # The 18th birthday, or None for a client who was an adult at their last
    # contact; ``dt.date.max`` when the date of birth cannot be read, so a
    # record whose age is unknown is never cut short.
    comes_of_age: dt.date | None


def _birthday(date_of_birth: dt.date, years: int) -> dt.date:
    try:
        return date_of_birth.replace(year=date_of_birth.year + years)
    except ValueError:
        # Born on 29 February: of age on 1 March in a common year.
        return dt.date(date_of_birth.year + years, 3, 1)


def _comes_of_age(client: Client, last_contact: dt.date) -> dt.date | None:
    raw = client.date_of_birth
    try:
        born = dt.date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        born = None
    if born is None:
        return dt.date.max
    of_age = _birthday(born, ADULT_AGE)
    return of_age if of_age > last_contact else None


def discharged_for_retention(
    *, actor: SystemActor, organisation: Organisation
) -> list[DischargedClient]:
    """Return the practice's discharged clients with their last contact; one audited decision.

    Last contact is the later of the discharge and the last attended
    appointment. The date of birth is decrypted here, in memory, only to
    tell when a minor comes of age: it never leaves this function.
    """
    rows = (
        visible(
            actor,
            Action.READ,
            Client.objects.filter(organisation=organisation, status=ClientStatus.DISCHARGED),
            Purpose.SERVICE_ADMINISTRATION,
        )
        .annotate(
            last_attended=Max(
                "appointments__start",
                filter=Q(appointments__status=AppointmentStatus.ATTENDED),
            )
        )
        .order_by("code")
    )
    found = []
    for client in rows:
        # The database gives every discharged client a discharge day.
        last = client.discharged_on or client.created_at.astimezone(dt.UTC).date()
        attended = getattr(client, "last_attended", None)
        if attended is not None:
            # Days in UTC: a day's difference either way does not matter
            # against a period counted in months.
            last = max(last, attended.astimezone(dt.UTC).date())
        found.append(
            DischargedClient(
                client=client, last_contact=last, comes_of_age=_comes_of_age(client, last)
            )
        )
    return found
