"""Progress notes, their addenda, psychotherapy notes, and the practice's service codes.

A progress note is part of the client's record: every section, diagnosis
and service code is ciphertext under the client's own data key, so erasing
the client erases the note. Signing freezes its content; anything learnt
afterwards is a dated, signed addendum. A note written by a therapist under
supervision waits for the supervisor's co-signature before it is locked.

A psychotherapy note is kept apart: its own table and its own data key per
author and client (``pnote:<author>:<client>``), readable by its author
only. No other key, and so no reader of the client's record, opens it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from wellkept import clock
from wellkept.orgs.models import Organisation
from wellkept.practice.models.clients import Client
from wellkept.vault.fields import EncryptedTextField

# CPT codes are five characters: five digits, or four digits and a letter.
SERVICE_CODE_LENGTH = 5


class ServiceCode(models.Model):
    """A billing code (CPT) the practice uses, with the practice's own short description.

    CPT descriptors are the AMA's licensed text, so Wellkept ships none: each
    practice loads its own list (``wellkept service-codes load``). Not
    personal data, so stored in clear.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="service_codes"
    )
    code = models.CharField(max_length=SERVICE_CODE_LENGTH)
    description = models.CharField(max_length=120)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["organisation", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="service_code_unique_per_practice"
            ),
            models.CheckConstraint(
                name="service_code_length",
                condition=models.Q(Exact(Length("code"), SERVICE_CODE_LENGTH)),
            ),
        ]

    def __str__(self) -> str:
        return self.code


class NoteStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    # Signed by a therapist under supervision: frozen, awaiting co-signature.
    SIGNED = "signed", "Signed, awaiting co-signature"
    LOCKED = "locked", "Signed and locked"


class ProgressNote(models.Model):
    """One session's note. Sections, diagnoses and service codes are ciphertext."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="progress_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="progress_notes"
    )
    template_code = models.CharField(max_length=32)
    template_version = models.CharField(max_length=16)
    # The day of the session, in clear: the schedule holds it in clear too,
    # and the list of notes must sort without decrypting every row.
    service_date = models.DateField()
    status = models.CharField(max_length=16, choices=NoteStatus.choices, default=NoteStatus.DRAFT)
    # JSON object: section id -> text.
    sections = EncryptedTextField()
    # Comma-separated billable ICD-10-CM and practice CPT codes: a diagnosis
    # is among the most sensitive facts of the record, so never in clear.
    diagnosis_codes = EncryptedTextField(blank=True)
    service_codes = EncryptedTextField(blank=True)
    # Set when the author signs: a supervisee's note then needs a co-signature.
    cosign_required = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)
    signed_at = models.DateTimeField(null=True, blank=True)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cosigned_notes",
        null=True,
        blank=True,
    )
    cosigned_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client", "-service_date", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="note_status_valid", condition=models.Q(status__in=NoteStatus.values)
            ),
            # A draft is unsigned; anything else is signed.
            models.CheckConstraint(
                name="note_signed_unless_draft",
                condition=models.Q(status=NoteStatus.DRAFT, signed_at__isnull=True)
                | (~models.Q(status=NoteStatus.DRAFT) & models.Q(signed_at__isnull=False)),
            ),
            # Locked exactly when locked_at is set.
            models.CheckConstraint(
                name="note_locked_has_time",
                condition=models.Q(status=NoteStatus.LOCKED, locked_at__isnull=False)
                | (~models.Q(status=NoteStatus.LOCKED) & models.Q(locked_at__isnull=True)),
            ),
            # A note that needs a co-signature is locked only with one.
            models.CheckConstraint(
                name="note_cosigned_before_lock",
                condition=~models.Q(status=NoteStatus.LOCKED, cosign_required=True)
                | models.Q(cosigned_at__isnull=False, cosigned_by__isnull=False),
            ),
            models.CheckConstraint(
                name="note_cosigner_not_author",
                condition=~models.Q(cosigned_by=models.F("author")),
            ),
        ]

    def __str__(self) -> str:
        return f"note {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class Addendum(models.Model):
    """A dated, signed addition to a signed note; the note itself never changes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    note = models.ForeignKey(ProgressNote, on_delete=models.CASCADE, related_name="addenda")
    # The note's client again, so the key is known without reading the note.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="note_addenda")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="note_addenda"
    )
    body = EncryptedTextField()
    signed_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["note", "signed_at"]

    def __str__(self) -> str:
        return f"addendum {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class PsychotherapyNote(models.Model):
    """The author's private process note about a client, under a key of its own."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="psychotherapy_notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="psychotherapy_notes"
    )
    body = EncryptedTextField()
    written_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["client", "-written_at"]

    def __str__(self) -> str:
        return f"psychotherapy note {self.pk}"

    @property
    def dek_subject(self) -> str:
        return pnote_subject(self.author_id, self.client_id)


def pnote_subject(author_id: object, client_id: object) -> str:
    """The data key of one author's psychotherapy notes about one client."""
    return f"pnote:{author_id}:{client_id}"
