"""Telehealth (issue 19): video rooms, the client's telehealth consent, the emergency protocol.

``VideoRoom``: each video appointment gets a random room name on the
practice's Jitsi Meet, made with the appointment. The name carries no
meaning (not the client's name or code, not the date) and is the only
room a token issued for that appointment opens. The emergency protocol
(where the client is for this session, and whom to call there) is
confirmed by the therapist before any link is shown, and stored here as
ciphertext under the client's key.

``TelehealthConsent``: the client's signature of the practice's
telehealth consent text. A clean, small record on purpose: a later
general consent-documents feature (versioned templates for every kind of
consent) can absorb it row for row (version, digest, typed name, time, IP).
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from wellkept import clock
from wellkept.practice.models.clients import Client
from wellkept.practice.models.schedule import Appointment
from wellkept.vault.fields import EncryptedTextField

# 128 bits from the OS: a room cannot be guessed or enumerated on the Jitsi server.
ROOM_NAME_BYTES = 16
ROOM_NAME_LENGTH = len("wk-") + 32
DIGEST_LENGTH = 64


def new_room_name() -> str:
    """Return a random room name; lower-case hex, which every Jitsi deployment accepts."""
    return "wk-" + secrets.token_hex(ROOM_NAME_BYTES)


class VideoRoom(models.Model):
    """The video room of one appointment, and the emergency protocol confirmed for it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="video_room"
    )
    name = models.CharField(
        max_length=ROOM_NAME_LENGTH, unique=True, default=new_room_name, editable=False
    )
    created_at = models.DateTimeField(default=clock.now)
    # The emergency protocol, confirmed at the start of the session; null until then.
    client_location = EncryptedTextField(null=True, blank=True)
    emergency_contact = EncryptedTextField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # A confirmation has someone and a time, or neither.
            models.CheckConstraint(
                name="video_room_confirmation_whole",
                condition=models.Q(
                    confirmed_by__isnull=True,
                    confirmed_at__isnull=True,
                    client_location__isnull=True,
                    emergency_contact__isnull=True,
                )
                | models.Q(
                    confirmed_by__isnull=False,
                    confirmed_at__isnull=False,
                    client_location__isnull=False,
                    emergency_contact__isnull=False,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"video room of {self.appointment_id}"

    @property
    def dek_subject(self) -> str:
        # The appointment's client: erasing the client erases where they were.
        return f"client:{self.appointment.client_id}"


class TelehealthConsent(models.Model):
    """One signature of the practice's telehealth consent by a client, in the office."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="telehealth_consents")
    # The consent text's version and the SHA-256 of exactly the text shown.
    version = models.CharField(max_length=16)
    digest = models.CharField(max_length=DIGEST_LENGTH)
    signed_at = models.DateTimeField(default=clock.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    typed_name = EncryptedTextField()
    ip_address = EncryptedTextField(blank=True, default="")
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client", "-signed_at"]
        constraints = [
            # A length, not a regular expression: SQLite's REGEXP exists only
            # in Django's connections, and `PRAGMA integrity_check` from any
            # other tool (the crash test, an operator's sqlite3) would fail.
            models.CheckConstraint(
                name="telehealth_consent_digest_length",
                condition=Exact(Length("digest"), 64),
            ),
        ]

    def __str__(self) -> str:
        return f"telehealth consent {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"
