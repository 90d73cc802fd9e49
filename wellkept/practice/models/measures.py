"""Measurement-based care: instruments assigned to a client, results recorded in session, alerts.

The instruments are the shipped ones (``assessments.instruments``); a
client's answers and scores are ciphertext under the client's own data
key, never linked to the wellbeing programme's pseudonymous tokens. Which
instrument a result is for stays in clear (like a note's template), so the
trend of one instrument is found without decrypting the others.

An answer on a safety item (PHQ-9 item 9 above "not at all") raises an
alert to each of the client's therapists: a reference to the result,
never its content.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from wellkept import clock
from wellkept.practice.models.clients import Client
from wellkept.vault.fields import EncryptedTextField

# Longest repeat the schedule offers: about a year.
MAX_EVERY_WEEKS = 52


class MeasureAssignment(models.Model):
    """An instrument the client takes once, or every N weeks."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="measure_assignments")
    instrument = models.CharField(max_length=32)
    # None: once.
    every_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="measure_assignments"
    )
    assigned_at = models.DateTimeField(default=clock.now)
    # Ended: no longer due; kept, so the record says what was asked and until when.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["client", "instrument"]
        constraints = [
            # One running assignment per instrument; an ended one may be assigned anew.
            models.UniqueConstraint(
                fields=["client", "instrument"],
                condition=models.Q(ended_at__isnull=True),
                name="measure_assigned_once_per_instrument",
            ),
            models.CheckConstraint(
                name="measure_assignment_ended_by_whom",
                condition=models.Q(ended_at__isnull=True, ended_by__isnull=True)
                | models.Q(ended_at__isnull=False, ended_by__isnull=False),
            ),
            models.CheckConstraint(
                name="measure_every_weeks_range",
                condition=models.Q(every_weeks__isnull=True)
                | models.Q(every_weeks__gte=1, every_weeks__lte=MAX_EVERY_WEEKS),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} for client {self.client_id}"


class MeasureResult(models.Model):
    """One administration of an instrument; answers, total, band and safety flag are ciphertext."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="measure_results")
    # "phq9@1.0": the code and version the answers refer to.
    instrument_key = models.CharField(max_length=48)
    administered_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="measure_results"
    )
    recorded_at = models.DateTimeField(default=clock.now)
    # JSON {"answers": {item: value}, "total": int|None, "band": str, "safety": bool}.
    result = EncryptedTextField()

    class Meta:
        ordering = ["client", "instrument_key", "administered_on", "recorded_at"]

    def __str__(self) -> str:
        return f"{self.instrument_key} result {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class MeasureAlert(models.Model):
    """A therapist told that one of their client's results needs attention (no content)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="measure_alerts")
    result = models.ForeignKey(MeasureResult, on_delete=models.CASCADE, related_name="alerts")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="measure_alerts"
    )
    raised_at = models.DateTimeField(default=clock.now)
    # Seen: the therapist says they have read it and acted; until then it
    # stays on their practice home.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["result", "therapist"], name="measure_alert_once_per_therapist"
            ),
            models.CheckConstraint(
                name="measure_alert_acknowledged_by_whom",
                condition=models.Q(acknowledged_at__isnull=True, acknowledged_by__isnull=True)
                | models.Q(acknowledged_at__isnull=False, acknowledged_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"measure alert {self.pk}"
