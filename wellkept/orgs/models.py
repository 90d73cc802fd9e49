from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from wellkept import clock


class Role(models.TextChoices):
    """Staff roles from DESIGN.md. Participants are not staff: see Participant."""

    LEADER = "leader", "Leader"
    WELLBEING_OFFICER = "wellbeing_officer", "Wellbeing officer"
    SPECIALIST = "specialist", "Specialist / therapist"
    FRONT_DESK = "front_desk", "Front desk"
    PRIVACY_OFFICER = "privacy_officer", "Privacy officer"
    SYSTEM_ADMIN = "system_admin", "System administrator"


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=clock.now)

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
