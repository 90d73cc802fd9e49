"""Treatment plans: per client, versioned, signed by the therapist and by the client.

A plan is problems, each with goals, each with measurable objectives
(what, how it is measured, the target, the date), each with the
interventions that serve it. The whole of it is one JSON document stored
as ciphertext under the client's own data key, so erasing the client
erases every version of their plan.

A plan is never edited once signed: a change is a new version, and the
version it replaces is kept, read-only, as "superseded". The client's
signature names the exact text it agreed to through the SHA-256 digest of
that version (``plan_digest``), kept with the typed name inside the
ciphertext.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from wellkept import clock
from wellkept.practice.models.clients import Client
from wellkept.vault.fields import EncryptedTextField


class PlanStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    # Replaced by a later signed version: kept, read-only, for the record.
    SUPERSEDED = "superseded", "Superseded by a later version"
    CLOSED = "closed", "Closed"


class TreatmentPlan(models.Model):
    """One version of a client's treatment plan. Its content is ciphertext."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="treatment_plans")
    version = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatment_plans"
    )
    status = models.CharField(max_length=16, choices=PlanStatus.choices, default=PlanStatus.DRAFT)
    # JSON list of problems -> goals -> objectives -> interventions.
    content = EncryptedTextField()
    # In clear, like an appointment's date: the reviews-due list and the
    # reminder job must find due plans without decrypting every row.
    review_date = models.DateField()
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    # JSON {"name", "date", "digest"}: the name the client typed is personal.
    client_signature = EncryptedTextField(blank=True)
    client_signed_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The review date the therapist was last reminded of: one reminder per
    # plan and review date, however often the job runs.
    review_reminded_for = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["client", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="plan_version_unique"),
            models.CheckConstraint(
                name="plan_status_valid", condition=models.Q(status__in=PlanStatus.values)
            ),
            models.CheckConstraint(
                name="plan_version_positive", condition=models.Q(version__gte=1)
            ),
            # A draft is unsigned; any other state was signed by the therapist.
            models.CheckConstraint(
                name="plan_signed_unless_draft",
                condition=models.Q(status=PlanStatus.DRAFT, signed_at__isnull=True)
                | (~models.Q(status=PlanStatus.DRAFT) & models.Q(signed_at__isnull=False)),
            ),
            # At most one draft and one active version per client.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status=PlanStatus.DRAFT),
                name="plan_one_draft_per_client",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(status=PlanStatus.ACTIVE),
                name="plan_one_active_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"plan {self.pk} v{self.version}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"
