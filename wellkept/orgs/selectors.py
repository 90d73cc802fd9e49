"""Read-only queries about organisations, units, memberships and participants."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from wellkept.orgs.models import (
    Clinician,
    Organisation,
    Participant,
    Role,
    ShiftType,
    StaffMembership,
    Unit,
)
from wellkept.orgs.pseudonyms import login_link_for

# Staff roles that are not clinicians' roles: the practice's front desk
# books and files, billing bills. The clinicians' programme is not offered
# to them, unless they were also invited as a clinician.
NOT_OFFERED_THE_PROGRAMME = frozenset({Role.FRONT_DESK, Role.BILLING})


def user_roles(user: Any) -> set[Role]:
    """Return the staff roles the user holds anywhere (empty for participants)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return {
        Role(r) for r in StaffMembership.objects.filter(user=user).values_list("role", flat=True)
    }


def user_is_staff(user: Any) -> bool:
    """True when the user holds any staff role, which makes MFA mandatory."""
    if not getattr(user, "is_authenticated", False):
        return False
    return StaffMembership.objects.filter(user=user).exists()


def user_has_role(user: Any, *, organisation: Organisation, role: Role) -> bool:
    """True when the user holds ``role`` in ``organisation``."""
    if not getattr(user, "is_authenticated", False):
        return False
    return StaffMembership.objects.filter(user=user, organisation=organisation, role=role).exists()


def organisations_where(user: Any, role: Role | str) -> QuerySet[Organisation]:
    """Organisations in which the user holds ``role``, by name."""
    return (
        Organisation.objects.filter(memberships__user_id=user.pk, memberships__role=Role(role))
        .distinct()
        .order_by("name")
    )


def organisation_choice(
    user: Any, slug: str | None, roles: Iterable[Role | str]
) -> Organisation | None:
    """The organisation a page is for: the one ``slug`` names, else the user's first with a role.

    A slug is looked up whoever asks: the policy decides next whether this
    person may see that organisation's page, and audits a refusal.
    """
    if slug:
        return Organisation.objects.filter(slug=slug).first()
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Organisation.objects.filter(
            memberships__user_id=user.pk, memberships__role__in=[Role(r) for r in roles]
        )
        .distinct()
        .order_by("name")
        .first()
    )


def affiliated_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations whose programme the user may join: as a clinician or clinical staff."""
    # Here rather than in assessments: consent's pages need the same answer,
    # and consent sits below assessments.
    if not getattr(user, "is_authenticated", False):
        return Organisation.objects.none()
    ids = set(Clinician.objects.filter(user=user).values_list("organisation_id", flat=True))
    ids |= set(
        StaffMembership.objects.filter(user=user)
        .exclude(role__in=NOT_OFFERED_THE_PROGRAMME)
        .values_list("organisation_id", flat=True)
    )
    return Organisation.objects.filter(pk__in=ids).order_by("name")


def participant_for_user(*, user: Any, organisation: Organisation) -> Participant | None:
    """Return the user's participant row in the organisation, or None when not enrolled.

    Found through the keyed login link only: without the keyring's pseudonym
    secret there is no query that gets from a login to a token.
    """
    if not getattr(user, "is_authenticated", False):
        return None
    link = login_link_for(user_pk=user.pk, organisation_pk=organisation.pk)
    return (
        Participant.objects.filter(organisation=organisation, login_link=link)
        .select_related("unit", "shift_type")
        .first()
    )


def organisations_named(slug: str | None) -> list[Organisation]:
    """Return the organisation with ``slug``, or all of them for None; raise a clear ValueError.

    For commands taking ``--organisation SLUG``: the message lists the
    slugs there are, so a typo is fixed at once.
    """
    if slug is None:
        return list(Organisation.objects.order_by("slug"))
    found = Organisation.objects.filter(slug=slug).first()
    if found is None:
        known = ", ".join(Organisation.objects.order_by("slug").values_list("slug", flat=True))
        raise ValueError(f"No organisation {slug!r}. Known organisations: {known or 'none yet'}.")
    return [found]


def units_for_org(organisation: Organisation) -> QuerySet[Unit]:
    """Return the organisation's units, depth first in path order."""
    return Unit.objects.filter(organisation=organisation).order_by("path")


def unit_descendants(unit: Unit, *, include_self: bool = False) -> QuerySet[Unit]:
    """Return every unit below ``unit`` (and ``unit`` itself if asked), in one query."""
    units = Unit.objects.filter(organisation_id=unit.organisation_id, path__startswith=unit.path)
    if not include_self:
        units = units.exclude(pk=unit.pk)
    return units.order_by("path")


def shift_types_for_org(organisation: Organisation) -> QuerySet[ShiftType]:
    """Return the organisation's shift types by name."""
    return ShiftType.objects.filter(organisation=organisation).order_by("name")


def demo_organisation() -> Organisation | None:
    """Return the organisation created by `wellkept seed_demo`, if there is one."""
    return Organisation.objects.filter(is_demo=True).first()


class PolicyPeople:
    """Roles, organisations and own tokens for the policy (``access.people``), read from here.

    Registered in ``OrgsConfig.ready()``: ``access`` sits below ``orgs`` and
    asks through this instead of importing the models.
    """

    def staff_roles(self, user_pk: Any, organisation_id: Any) -> frozenset[str]:
        held = StaffMembership.objects.filter(user_id=user_pk)
        if organisation_id is not None:
            held = held.filter(organisation_id=organisation_id)
        return frozenset(str(r) for r in held.values_list("role", flat=True))

    def is_enrolled(self, user_pk: Any, organisation_id: Any) -> bool:
        link = login_link_for(user_pk=user_pk, organisation_pk=organisation_id)
        return Participant.objects.filter(organisation_id=organisation_id, login_link=link).exists()

    def owns_participant(self, user_pk: Any, organisation_id: Any, participant_id: Any) -> bool:
        link = login_link_for(user_pk=user_pk, organisation_pk=organisation_id)
        return Participant.objects.filter(pk=participant_id, login_link=link).exists()

    def organisations(self, user_pk: Any) -> list[Any]:
        staff = set(
            StaffMembership.objects.filter(user_id=user_pk).values_list(
                "organisation_id", flat=True
            )
        )
        # Enrolment is found only through the keyed link, one per organisation.
        everyone = list(Organisation.objects.values_list("pk", flat=True))
        links = [login_link_for(user_pk=user_pk, organisation_pk=o) for o in everyone]
        enrolled = set(
            Participant.objects.filter(login_link__in=links).values_list(
                "organisation_id", flat=True
            )
        )
        return sorted(staff | enrolled, key=str)

    def own_token(self, user_pk: Any) -> str | None:
        orgs = self.organisations(user_pk)
        links = [login_link_for(user_pk=user_pk, organisation_pk=o) for o in orgs]
        return (
            Participant.objects.filter(login_link__in=links)
            .order_by("token")
            .values_list("token", flat=True)
            .first()
        )
