"""Published notices and every consent decision a participant made against one.

A notice is immutable once published: a receipt points at the exact text a
person agreed to. Changing what is collected, why, or who sees it means
publishing a new version, and everyone is asked again before their next
check-in.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import models

from wellkept import clock
from wellkept.orgs.models import Organisation, Participant


def decision_day() -> dt.datetime:
    """Return midnight UTC today: consent decisions are dated, not timed (see ConsentRecord)."""
    return clock.now().astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


class Notice(models.Model):
    """One published version of an organisation's participation notice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="notices")
    version = models.PositiveIntegerField()
    # SHA-256 of the data inventory the notice was generated from, so a code
    # change to what is collected shows up as "the notice is out of date".
    inventory_digest = models.CharField(max_length=64)
    # Everything the notice says, frozen at publication (inventory, contacts,
    # programme description): receipts and "what I agreed to" read this.
    content = models.JSONField()
    published_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["organisation", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "version"], name="notice_unique_version"
            ),
        ]

    def __str__(self) -> str:
        return f"notice v{self.version}"


class ConsentEvent(models.TextChoices):
    GIVEN = "given", "Consent given"
    CHANGED = "changed", "Choices changed"
    RENEWED = "renewed", "Consent given to a new notice version"
    WITHDRAWN = "withdrawn", "Consent withdrawn"


class ConsentRecord(models.Model):
    """One consent decision: the choices as they stood after it, against one notice version.

    The latest record is the person's current state. Records are never
    edited; a change is a new record, so the history is the receipts.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="consent_records"
    )
    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="records")
    event = models.CharField(max_length=16, choices=ConsentEvent.choices)
    take_part = models.BooleanField()
    follow_up_contact = models.BooleanField()
    safety_alert = models.BooleanField()
    # The n-th decision of this participant: orders the history, because
    # the time is kept to the day only.
    sequence = models.PositiveIntegerField(default=1, editable=False)
    # Midnight UTC of the day of the decision. An exact time would match
    # the sign-in and session times stored against the login, and link the
    # login to the token without the key file.
    recorded_at = models.DateTimeField(default=decision_day)
    method = models.CharField(max_length=64, default="web form, signed in")

    class Meta:
        ordering = ["participant", "-sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "sequence"], name="consent_unique_sequence"
            ),
            models.CheckConstraint(
                name="consent_event_valid", condition=models.Q(event__in=ConsentEvent.values)
            ),
            # Withdrawing ends every choice; the optional ones need taking part.
            models.CheckConstraint(
                name="consent_options_need_participation",
                condition=models.Q(take_part=True)
                | models.Q(follow_up_contact=False, safety_alert=False),
            ),
            models.CheckConstraint(
                name="consent_withdrawal_ends_participation",
                condition=~models.Q(event="withdrawn") | models.Q(take_part=False),
            ),
        ]

    def __str__(self) -> str:
        return f"consent {self.event} v{self.notice_id}"
