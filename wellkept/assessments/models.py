"""Programmes, their check-in schedules and support resources; check-ins and their answers.

Everything a participant answers lives in ``Response.payload`` (and, while a
check-in is unfinished, ``CheckIn.draft``): AES-256-GCM under the
participant's own data key, bound to its row and field. What stays in clear
is what the aggregates need and nothing more: the day of submission, which
instrument, and the unit, shift type and role category as they were at that
moment.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.db import models

from wellkept import clock
from wellkept.orgs.models import Organisation, Participant, RoleCategory, ShiftType, Unit
from wellkept.vault.fields import EncryptedTextField


def today() -> dt.date:
    """Return today's date in UTC: check-ins are recorded by day, never by the second."""
    return clock.now().astimezone(dt.UTC).date()


def new_idempotency_key() -> str:
    return secrets.token_urlsafe(24)


class ProgrammeStatus(models.TextChoices):
    DRAFT = "draft", "Draft (not yet open)"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Frequency(models.TextChoices):
    WEEKLY = "weekly", "Every week"
    FORTNIGHTLY = "fortnightly", "Every two weeks"
    MONTHLY = "monthly", "Every month"
    QUARTERLY = "quarterly", "Every three months"


class SupportKind(models.TextChoices):
    CRISIS = "crisis", "Crisis line (urgent help)"
    SUPPORT = "support", "Support service"


class Programme(models.Model):
    """An organisation's wellbeing programme: which units take part, what is asked, how often."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="programmes"
    )
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    # A unit takes part with everything below it.
    units = models.ManyToManyField(Unit, related_name="programmes")
    welcome = models.TextField(
        blank=True,
        help_text="A few plain sentences shown to clinicians before they decide to take part.",
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["organisation", "name"]
        constraints = [
            models.CheckConstraint(
                name="programme_status_valid",
                condition=models.Q(status__in=ProgrammeStatus.values),
            ),
            # One open programme per organisation: a clinician is never asked
            # which of two programmes their answers belong to.
            models.UniqueConstraint(
                fields=["organisation"],
                condition=models.Q(status="open"),
                name="programme_one_open_per_organisation",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Schedule(models.Model):
    """One recurring check-in of a programme: a list of instruments and how often."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="schedules")
    slug = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)
    frequency = models.CharField(max_length=16, choices=Frequency.choices)
    # Instrument codes in the order they are asked, e.g. ["phq2", "burnout1"].
    instruments = models.JSONField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["programme", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "slug"], name="schedule_unique_slug"),
            models.CheckConstraint(
                name="schedule_frequency_valid",
                condition=models.Q(frequency__in=Frequency.values),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class SupportResource(models.Model):
    """A crisis line or support service shown to participants with every result."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="resources")
    kind = models.CharField(max_length=16, choices=SupportKind.choices)
    name = models.CharField(max_length=200)
    contact = models.CharField(
        max_length=200, help_text="A phone number, an address or a web link."
    )
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["programme", "kind", "position", "name"]
        constraints = [
            models.CheckConstraint(
                name="support_resource_kind_valid",
                condition=models.Q(kind__in=SupportKind.values),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CheckInStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"


class CheckIn(models.Model):
    """A participant's check-in for one schedule and one period.

    One row per participant, schedule and period, so a second tab, a double
    tap or a replayed form finds the same row instead of adding answers
    twice. Until it is submitted the answers given so far sit in ``draft``,
    encrypted like everything else; they never reach an aggregate.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="checkins")
    schedule = models.ForeignKey(Schedule, on_delete=models.PROTECT, related_name="checkins")
    period_start = models.DateField()
    status = models.CharField(
        max_length=16, choices=CheckInStatus.choices, default=CheckInStatus.IN_PROGRESS
    )
    idempotency_key = models.CharField(
        max_length=40, unique=True, default=new_idempotency_key, editable=False
    )
    started_on = models.DateField(default=today)
    submitted_on = models.DateField(null=True, blank=True)
    draft = EncryptedTextField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "schedule", "period_start"],
                name="checkin_one_per_period",
            ),
            models.CheckConstraint(
                name="checkin_status_valid",
                condition=models.Q(status__in=CheckInStatus.values),
            ),
            # A submitted check-in keeps no draft, and has a submission day.
            models.CheckConstraint(
                name="checkin_submitted_is_complete",
                condition=models.Q(status="in_progress")
                | models.Q(draft__isnull=True, submitted_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"check-in {self.pk}"

    @property
    def dek_subject(self) -> str:
        return self.participant.dek_subject


class Response(models.Model):
    """One instrument's answers, total and band in a submitted check-in, all encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="responses")
    participant = models.ForeignKey(Participant, on_delete=models.CASCADE, related_name="responses")
    instrument = models.CharField(max_length=32)
    instrument_version = models.CharField(max_length=16)
    # JSON: {"answers": {...}, "total": n, "raw": n, "band": code, "safety": bool, ...}
    payload = EncryptedTextField()
    submitted_on = models.DateField(default=today)
    # Snapshots for aggregates: where the person worked when they answered.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    shift_type = models.ForeignKey(ShiftType, on_delete=models.PROTECT, related_name="+")
    role_category = models.CharField(max_length=32, choices=RoleCategory.choices)

    class Meta:
        indexes = [models.Index(fields=["participant", "instrument", "submitted_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["checkin", "instrument"], name="response_one_per_instrument"
            ),
            models.CheckConstraint(
                name="response_role_category_valid",
                condition=models.Q(role_category__in=RoleCategory.values),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} response {self.pk}"

    @property
    def dek_subject(self) -> str:
        return self.participant.dek_subject


class SafetyAlert(models.Model):
    """A risk signal sent to the follow-up queue, only ever with the person's prior agreement."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="safety_alerts"
    )
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="alert")
    raised_on = models.DateField(default=today)

    def __str__(self) -> str:
        return f"safety alert {self.pk}"


class ReminderOptOut(models.Model):
    """The participant asked for no more reminder e-mails."""

    participant = models.OneToOneField(
        Participant, on_delete=models.CASCADE, related_name="reminder_opt_out"
    )
    created_on = models.DateField(default=today)

    def __str__(self) -> str:
        return f"reminders off for {self.participant_id}"


class ReminderSent(models.Model):
    """A reminder went out for one schedule and period: sending again is a no-op."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="reminders_sent"
    )
    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "schedule", "period_start"],
                name="reminder_once_per_period",
            ),
        ]

    def __str__(self) -> str:
        return f"reminder for {self.period_start}"
