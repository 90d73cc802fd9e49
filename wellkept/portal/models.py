"""The client portal: a practice client's invitation to it and the login that came of it.

A portal login is an ordinary ``accounts.User`` (the same password rules,
second factors and session limits as staff) tied to exactly one practice
client by a ``PortalMembership``. Everything a later part of the portal
adds (requests, forms, messages, the record download) hangs off that
membership, so a guardian's membership can later be another row of the
same shape with its own sharing rules.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models

from wellkept import clock
from wellkept.practice.models import Client, Guardian
from wellkept.vault.fields import EncryptedTextField


class PortalInvitation(models.Model):
    """A single-use, expiring link to the portal, sent to the client's e-mail on record.

    The link's secret is stored only as a keyed MAC behind a short public
    prefix (``accounts.tokens``), so a database dump holds no working link.
    No address is stored here: the mail goes to the address on the client's
    record when the invitation is made, and the record keeps it encrypted.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="portal_invitations")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portal_invitations_sent",
    )
    token_prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_mac = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Set for a minor's guardian's invitation: the mail goes to the guardian's
    # address on record, and accepting makes a guardian's login, not the client's.
    guardian = models.ForeignKey(
        Guardian,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="portal_invitations",
    )

    class Meta:
        ordering = ["client", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="portal_invitation_expires_after_creation",
                condition=models.Q(expires_at__gt=models.F("created_at")),
            ),
            models.CheckConstraint(
                name="portal_invitation_not_both_accepted_and_revoked",
                condition=models.Q(accepted_at__isnull=True) | models.Q(revoked_at__isnull=True),
            ),
            # One open link per client: inviting again revokes the earlier
            # one, so no forgotten mailbox holds a second live link.
            models.UniqueConstraint(
                fields=["client"],
                condition=models.Q(
                    accepted_at__isnull=True, revoked_at__isnull=True, guardian__isnull=True
                ),
                name="portal_invitation_one_open_per_client",
            ),
            models.UniqueConstraint(
                fields=["guardian"],
                condition=models.Q(
                    accepted_at__isnull=True, revoked_at__isnull=True, guardian__isnull=False
                ),
                name="portal_invitation_one_open_per_guardian",
            ),
        ]

    def __str__(self) -> str:
        return f"portal invitation {self.token_prefix}"


class PortalMembership(models.Model):
    """A portal login and the one practice client it is: a login is never two clients."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_membership"
    )
    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="portal_membership"
    )
    invitation = models.OneToOneField(
        PortalInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"portal membership of {self.client_id}"


class GuardianSection(models.TextChoices):
    """What a therapist may share with a minor's guardians. Never notes, messages or measures."""

    APPOINTMENTS = "appointments", "Appointments"
    INVOICES = "invoices", "Invoices and payments"


def sections_of(value: str) -> frozenset[str]:
    """The comma-separated sections of a row, only those that exist."""
    return frozenset(s for s in value.split(",") if s in GuardianSection.values)


class GuardianSharing(models.Model):
    """What a minor client's therapist has decided their guardians' portal shows, by section."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.OneToOneField(
        Client, on_delete=models.CASCADE, related_name="portal_guardian_sharing"
    )
    # Comma-separated GuardianSection values; empty shares nothing.
    sections = models.CharField(max_length=100, blank=True, default="")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["client"]

    def __str__(self) -> str:
        return f"guardian sharing of {self.client_id}"

    def section_set(self) -> frozenset[str]:
        return sections_of(self.sections)


class PortalGuardianMembership(models.Model):
    """A guardian's portal login and the one guardian (of one minor) it is; never the client's."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal_guardianship"
    )
    guardian = models.OneToOneField(
        Guardian, on_delete=models.CASCADE, related_name="portal_membership"
    )
    invitation = models.OneToOneField(
        PortalInvitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"portal guardian membership of {self.guardian_id}"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the practice"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class PortalAppointmentRequest(models.Model):
    """A client's request from the portal for a new appointment, or to move one.

    Up to three preferred start times (times of an appointment are not
    encrypted on the practice's calendar either) and a short note, which is
    the client's words and so stored under the client's key, as is the
    reason a decline gives them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="portal_requests")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portal_requests"
    )
    # Set for a reschedule: the appointment the client asks to move.
    appointment = models.ForeignKey(
        "practice.Appointment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="portal_reschedule_requests",
    )
    first_choice = models.DateTimeField()
    second_choice = models.DateTimeField(null=True, blank=True)
    third_choice = models.DateTimeField(null=True, blank=True)
    video = models.BooleanField(default=False)
    note = EncryptedTextField(blank=True)
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    decline_reason = EncryptedTextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portal_requests_decided",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # The appointment booked (or moved) when the request was accepted.
    booked = models.ForeignKey(
        "practice.Appointment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="portal_requests_booked",
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["client", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="portal_request_status_known",
                condition=models.Q(status__in=RequestStatus.values),
            ),
            models.CheckConstraint(
                name="portal_request_decided_when_not_pending",
                condition=models.Q(status__in=["pending", "withdrawn"])
                | models.Q(decided_at__isnull=False),
            ),
            # One open request to move a given appointment at a time.
            models.UniqueConstraint(
                fields=["appointment"],
                condition=models.Q(status="pending", appointment__isnull=False),
                name="portal_request_one_pending_per_appointment",
            ),
        ]

    def __str__(self) -> str:
        return f"portal appointment request {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"

    @property
    def choices(self) -> list[dt.datetime]:
        """The preferred start times, first choice first."""
        return [c for c in (self.first_choice, self.second_choice, self.third_choice) if c]
