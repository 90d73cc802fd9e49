"""The confidential practice's clients: intake, guardians, assignment to therapists.

A client is known inside the practice by a random code ("C-7K3Q9") wherever
a name is not needed. Everything the client told the front desk at intake
is stored only as ciphertext under the client's own data key
(``dek_subject``), so shredding that one key erases every intake field, the
guardian's too. Names are found through keyed blind-index tokens
(``ClientNameToken``), never by decrypting rows.
"""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Length
from django.db.models.lookups import Exact

from wellkept import clock
from wellkept.orgs.models import Organisation
from wellkept.vault.fields import EncryptedTextField

# No 0/O, 1/I/L or U: a code read over the phone or copied by hand survives.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARACTERS = 5
CODE_LENGTH = len("C-") + CODE_CHARACTERS
# The hex of a 32-byte keyed MAC (vault.services.blind_index).
BLIND_INDEX_LENGTH = 64


def new_client_code() -> str:
    """Return a random client code; it carries no meaning (not an order, not a date)."""
    return "C-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARACTERS))


class ClientStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISCHARGED = "discharged", "Discharged"


class DischargeReason(models.TextChoices):
    """Why a client's care ended; stored encrypted, since even this says something about them."""

    COMPLETED = "completed", "Treatment goals met"
    CLIENT_ENDED = "client_ended", "The client chose to stop"
    REFERRED = "referred", "Referred to another service"
    NO_CONTACT = "no_contact", "No contact from the client"
    OTHER = "other", "Another reason"


class ContactChannel(models.TextChoices):
    """The ways a client agreed to be contacted; anything else must not be used."""

    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone call"
    TEXT = "text", "Text message"
    POST = "post", "Letter"


class Client(models.Model):
    """One client of a practice. Every intake field is ciphertext under the client's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="practice_clients"
    )
    code = models.CharField(max_length=CODE_LENGTH, default=new_client_code, editable=False)
    status = models.CharField(
        max_length=16, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=clock.now)
    # In clear, as the status is: retention counts from it, without a key.
    discharged_on = models.DateField(null=True, blank=True)

    legal_name = EncryptedTextField()
    preferred_name = EncryptedTextField(blank=True)
    pronouns = EncryptedTextField(blank=True)
    # ISO date (YYYY-MM-DD): a date column would be in clear and, with the
    # practice, close to identifying.
    date_of_birth = EncryptedTextField()
    email = EncryptedTextField(blank=True)
    phone = EncryptedTextField(blank=True)
    # Comma-separated ContactChannel values, and "yes"/"no": even how a
    # person may be reached says something about them.
    contact_channels = EncryptedTextField(blank=True)
    voicemail_ok = EncryptedTextField(blank=True)
    emergency_name = EncryptedTextField(blank=True)
    emergency_relation = EncryptedTextField(blank=True)
    emergency_phone = EncryptedTextField(blank=True)
    referral_source = EncryptedTextField(blank=True)
    insurance_payer = EncryptedTextField(blank=True)
    insurance_member_id = EncryptedTextField(blank=True)
    # A DischargeReason value; null while the client is in care (and for
    # rows older than discharge, which a migration cannot encrypt for).
    discharge_reason = EncryptedTextField(blank=True, null=True)

    class Meta:
        ordering = ["organisation", "code"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="client_unique_code"),
            models.CheckConstraint(
                name="client_status_valid", condition=models.Q(status__in=ClientStatus.values)
            ),
            # A discharged client has the day it happened (retention counts
            # from it); a client in care has none.
            models.CheckConstraint(
                name="client_discharged_has_date",
                condition=models.Q(status=ClientStatus.ACTIVE, discharged_on__isnull=True)
                | models.Q(status=ClientStatus.DISCHARGED, discharged_on__isnull=False),
            ),
            models.CheckConstraint(
                name="client_code_length",
                condition=models.Q(Exact(Length("code"), CODE_LENGTH)),
            ),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def dek_subject(self) -> str:
        # The row id, never the code or a name: the subject is stored in clear.
        return f"client:{self.pk}"


class Guardian(models.Model):
    """A minor client's guardian, encrypted under the client's key so erasure takes it too."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="guardians")
    name = EncryptedTextField()
    relation = EncryptedTextField()
    phone = EncryptedTextField(blank=True)
    email = EncryptedTextField(blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["client", "created_at"]

    def __str__(self) -> str:
        return f"guardian of {self.client_id}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class ClientNameToken(models.Model):
    """One keyed hash of one normalised name word of a client: search without decrypting.

    Without the keyring's secret a token matches nothing; with it, only an
    exact word can be looked up (no prefix or fuzzy search: a prefix index
    would let anyone with the database guess names letter by letter).
    """

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="name_tokens")
    token = models.CharField(max_length=BLIND_INDEX_LENGTH, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "token"], name="client_name_token_unique"),
        ]

    def __str__(self) -> str:
        return f"name token of {self.client_id}"


class ClientAssignment(models.Model):
    """A therapist working with a client from ``since``; ``until`` is set when it ends."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="assignments")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="client_assignments"
    )
    since = models.DateTimeField(default=clock.now)
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client", "since"]
        constraints = [
            # One current assignment per client and therapist; history is kept.
            models.UniqueConstraint(
                fields=["client", "therapist"],
                condition=models.Q(until__isnull=True),
                name="assignment_one_current",
            ),
            models.CheckConstraint(
                name="assignment_ends_after_start",
                condition=models.Q(until__isnull=True) | models.Q(until__gte=models.F("since")),
            ),
        ]

    def __str__(self) -> str:
        return f"assignment of {self.client_id}"


class Supervision(models.Model):
    """A clinical supervisor overseeing a therapist in one practice, from ``since``."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="supervisions"
    )
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervising"
    )
    supervisee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="supervised_by"
    )
    since = models.DateTimeField(default=clock.now)
    until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "supervisor", "supervisee"],
                condition=models.Q(until__isnull=True),
                name="supervision_one_current",
            ),
            models.CheckConstraint(
                name="supervision_not_self",
                condition=~models.Q(supervisor=models.F("supervisee")),
            ),
        ]

    def __str__(self) -> str:
        return f"supervision in {self.organisation_id}"
