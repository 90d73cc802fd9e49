"""Organisations, their unit tree, shift types, staff roles and participants.

A Participant is a clinician in the wellbeing programme. It has no name and
no column that points at a login: see ``wellkept.orgs.pseudonyms`` for how a
login finds its participant row, and why only the key file makes that possible.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from wellkept import clock
from wellkept.orgs.pseudonyms import LOGIN_LINK_LENGTH, TOKEN_LENGTH, new_participant_token


def enrolment_day() -> dt.date:
    """Return today's date in UTC, the only precision an enrolment is recorded with."""
    return clock.now().astimezone(dt.UTC).date()


class Role(models.TextChoices):
    """Staff roles from DESIGN.md. Participants are not staff: see Participant."""

    LEADER = "leader", "Leader"
    WELLBEING_OFFICER = "wellbeing_officer", "Wellbeing officer"
    SPECIALIST = "specialist", "Specialist / therapist"
    FRONT_DESK = "front_desk", "Front desk"
    # The practice's money side: demographics, schedule and bills, never clinical.
    BILLING = "billing", "Billing"
    # Reads and co-signs supervisees' clients' records; never psychotherapy notes.
    CLINICAL_SUPERVISOR = "clinical_supervisor", "Clinical supervisor"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    SYSTEM_ADMIN = "system_admin", "System administrator"


class InviteeRole(models.TextChoices):
    """What an invitation makes of its invitee: a clinician, or one of the staff roles."""

    CLINICIAN = "clinician", "Clinician (may join the wellbeing programme)"
    LEADER = Role.LEADER.value, Role.LEADER.label
    WELLBEING_OFFICER = Role.WELLBEING_OFFICER.value, Role.WELLBEING_OFFICER.label
    SPECIALIST = Role.SPECIALIST.value, Role.SPECIALIST.label
    FRONT_DESK = Role.FRONT_DESK.value, Role.FRONT_DESK.label
    BILLING = Role.BILLING.value, Role.BILLING.label
    CLINICAL_SUPERVISOR = Role.CLINICAL_SUPERVISOR.value, Role.CLINICAL_SUPERVISOR.label
    PRIVACY_OFFICER = Role.PRIVACY_OFFICER.value, Role.PRIVACY_OFFICER.label
    SYSTEM_ADMIN = Role.SYSTEM_ADMIN.value, Role.SYSTEM_ADMIN.label


class UnitKind(models.TextChoices):
    """Levels of the unit tree, outermost first."""

    HOSPITAL = "hospital", "Hospital"
    DIVISION = "division", "Division"
    DEPARTMENT = "department", "Department"
    UNIT = "unit", "Unit"

    @property
    def depth(self) -> int:
        """Position in the nesting order: a child must be deeper than its parent."""
        return list(UnitKind).index(self)


class RoleCategory(models.TextChoices):
    """The clinical role a participant reports; used to group aggregates."""

    PHYSICIAN = "physician", "Physician"
    NURSE = "nurse", "Nurse"
    RESIDENT = "resident", "Resident"
    ADVANCED_PRACTICE = "advanced_practice", "Advanced practice"
    ALLIED_HEALTH = "allied_health", "Allied health"
    OTHER = "other", "Other"


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    # Set only by `wellkept seed_demo`. Demo-only helpers (such as printing a
    # TOTP code) check it, so they can never act on a real organisation.
    is_demo = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return self.name


class Unit(models.Model):
    """A node of an organisation's tree: hospital, division, department or unit.

    ``path`` is the chain of slugs from the root, each followed by "/"
    (``st-brigids/medicine/cardiology/``), so every descendant of a unit is
    one ``path__startswith`` query and ordering by path lists the tree depth
    first. The trailing slash keeps ``cardiology/`` from matching
    ``cardiology-research/``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    kind = models.CharField(max_length=16, choices=UnitKind.choices)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60)
    path = models.CharField(max_length=400, editable=False)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["organisation", "path"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "path"], name="unit_unique_path"),
            models.CheckConstraint(
                name="unit_kind_valid", condition=models.Q(kind__in=UnitKind.values)
            ),
            # Only hospitals are roots, and a hospital is always a root. The
            # rest of the nesting order, and that a parent belongs to the same
            # organisation, need the parent's row: unit_create checks them.
            models.CheckConstraint(
                name="unit_root_is_hospital",
                condition=(
                    models.Q(parent__isnull=True, kind=UnitKind.HOSPITAL)
                    | (models.Q(parent__isnull=False) & ~models.Q(kind=UnitKind.HOSPITAL))
                ),
            ),
            models.CheckConstraint(
                name="unit_path_ends_with_slash", condition=models.Q(path__endswith="/")
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 1


class ShiftType(models.Model):
    """A shift pattern an organisation reports on (day, night, rotating, ...)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="shift_types"
    )
    code = models.SlugField(max_length=32)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="shift_type_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


class StaffMembership(models.Model):
    """A user's staff role in one organisation. MFA is mandatory for every one."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="membership_unique_role"
            ),
            models.CheckConstraint(
                name="membership_role_valid", condition=models.Q(role__in=Role.values)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role} in {self.organisation_id}"


class Participant(models.Model):
    """A clinician enrolled in the wellbeing programme, known only by a token.

    Deliberately absent: a foreign key or any column holding the login, and
    any name. The row is found from a login through ``login_link`` (keyed
    HMAC, see ``wellkept.orgs.pseudonyms``); from the token back to a person
    only through a re-identification grant.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    token = models.CharField(
        max_length=TOKEN_LENGTH, unique=True, default=new_participant_token, editable=False
    )
    login_link = models.CharField(max_length=LOGIN_LINK_LENGTH, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="participants"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="participants")
    shift_type = models.ForeignKey(ShiftType, on_delete=models.PROTECT, related_name="participants")
    role_category = models.CharField(max_length=32, choices=RoleCategory.choices)
    # A day, not a timestamp: an exact enrolment time could be matched against
    # login and session times (which are stored by login) to link a token to
    # a person without the key file.
    enrolled_on = models.DateField(default=enrolment_day)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="participant_role_category_valid",
                condition=models.Q(role_category__in=RoleCategory.values),
            ),
            # A short or empty token or link would be guessable or collide.
            models.CheckConstraint(
                name="participant_token_length",
                condition=models.Q(Exact(Length("token"), TOKEN_LENGTH)),
            ),
            models.CheckConstraint(
                name="participant_login_link_length",
                condition=models.Q(Exact(Length("login_link"), LOGIN_LINK_LENGTH)),
            ),
        ]

    def __str__(self) -> str:
        return f"participant {self.token[:6]}…"

    @property
    def dek_subject(self) -> str:
        return f"participant:{self.token}"


class Clinician(models.Model):
    """A login the organisation invited as a clinician: it may join the wellbeing programme.

    Holding an account says nothing about taking part: whether this login
    enrolled is recorded only through the keyed link on Participant, and a
    clinician who declined leaves no row anywhere.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="clinician_of"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="clinicians"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation"], name="clinician_unique_membership"
            ),
        ]

    def __str__(self) -> str:
        return f"clinician in {self.organisation_id}"
