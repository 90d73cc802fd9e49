"""Informed-consent documents (issue 19): versioned practice templates, and clients' signatures.

``ConsentDocumentVersion``: one numbered, immutable version of one of the
practice's consent documents (treatment, telehealth, digital communication,
financial policy, release/other). Publishing a new version adds a row and
never changes an old one, so what a client signed stays what they signed.
The text is the practice's, not a person's: it is stored in clear.

``ConsentDocumentSignature``: a client asked to sign one version, and (once
they have) their signature: the SHA-256 of exactly the text they were
shown, the typed name and the address it came from (both ciphertext under
the client's key), the time. A withdrawal is a time on the row, never a
delete. The row goes with the client at erasure (cascade, after the
client's key is shredded).
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

DOCUMENT_DIGEST_LENGTH = 64
DOCUMENT_TITLE_MAX = 200


class DocumentKind(models.TextChoices):
    TREATMENT = "treatment", "Consent to treatment"
    TELEHEALTH = "telehealth", "Consent to therapy by video (telehealth)"
    DIGITAL = "digital", "Consent to digital communication"
    FINANCIAL = "financial", "Financial policy"
    RELEASE = "release", "Release or other form"


# The kinds a client may withdraw from: the others record an agreement
# that was the ground of something already done (treatment given, fees owed).
WITHDRAWABLE = frozenset({DocumentKind.TELEHEALTH, DocumentKind.DIGITAL})


class ConsentDocumentVersion(models.Model):
    """One immutable, numbered version of one of a practice's consent documents."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="consent_document_versions"
    )
    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=DOCUMENT_TITLE_MAX)
    body = models.TextField()
    digest = models.CharField(max_length=DOCUMENT_DIGEST_LENGTH, editable=False)
    published_at = models.DateTimeField(default=clock.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["organisation", "kind", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "kind", "number"], name="consent_document_version_unique"
            ),
            models.CheckConstraint(
                name="consent_document_version_digest_length",
                condition=Exact(Length("digest"), DOCUMENT_DIGEST_LENGTH),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} version {self.number}"


class ConsentDocumentSignature(models.Model):
    """A client asked to sign one document version, and their signature once they have."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="consent_document_signatures"
    )
    version = models.ForeignKey(
        ConsentDocumentVersion, on_delete=models.PROTECT, related_name="signatures"
    )
    requested_at = models.DateTimeField(default=clock.now)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # The signature: empty while the request is pending.
    signed_at = models.DateTimeField(null=True, blank=True)
    digest = models.CharField(max_length=DOCUMENT_DIGEST_LENGTH, blank=True, default="")
    typed_name = EncryptedTextField(null=True, blank=True)
    ip_address = EncryptedTextField(blank=True, default="")
    # Who recorded it in the office; null when the client signed in the portal.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client", "-requested_at"]
        constraints = [
            # A signature is whole (time, digest, name) or absent.
            models.CheckConstraint(
                name="consent_document_signature_whole",
                condition=models.Q(signed_at__isnull=True, digest="", typed_name__isnull=True)
                | models.Q(
                    Exact(Length("digest"), DOCUMENT_DIGEST_LENGTH),
                    signed_at__isnull=False,
                    typed_name__isnull=False,
                ),
            ),
            # Only a signature can be withdrawn.
            models.CheckConstraint(
                name="consent_document_withdrawn_signed",
                condition=models.Q(withdrawn_at__isnull=True) | models.Q(signed_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"consent document signature {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"
