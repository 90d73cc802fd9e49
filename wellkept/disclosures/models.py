"""Release of information (issue 19): authorisations, legal bases, disclosures, download links.

Everything that names or describes someone (the recipient, the purpose,
the client's typed signature, the IP it was signed from, a legal basis's
reference and reason) is ciphertext under the client's own key, so erasing
the client erases their disclosures too. What stays in clear is what the
accounting must sort and the service must check without a key: kinds,
categories, dates, who recorded what and when.

Psychotherapy notes are never a category of an ordinary authorisation: the
law asks for an authorisation of their own, which covers them alone
(``AuthorisationKind.PSYCHOTHERAPY_NOTES``), and a database constraint keeps
the two apart.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from wellkept import clock
from wellkept.practice.models import Client
from wellkept.vault.fields import EncryptedTextField

# A release link is good for a week and for one download.
LINK_DAYS = 7


class Category(models.TextChoices):
    """What an ordinary authorisation may release. Psychotherapy notes are not here."""

    DEMOGRAPHICS = "demographics", "Demographics"
    APPOINTMENTS = "appointments", "Appointments"
    DIAGNOSES = "diagnoses", "Diagnoses"
    PROGRESS_NOTES = "progress_notes", "Progress notes"
    TREATMENT_PLAN = "treatment_plan", "Treatment plan"
    MEASURES = "measures", "Measures"


# The one category only its own kind of authorisation covers.
PSYCHOTHERAPY_NOTES = "psychotherapy_notes"
CATEGORY_LABELS: dict[str, str] = {
    **{c.value: str(c.label) for c in Category},
    PSYCHOTHERAPY_NOTES: "Psychotherapy notes",
}


class AuthorisationKind(models.TextChoices):
    RECORDS = "records", "Release of records"
    PSYCHOTHERAPY_NOTES = "psychotherapy_notes", "Release of psychotherapy notes (alone)"


class LegalBasisKind(models.TextChoices):
    COURT_ORDER = "court_order", "Court order"
    DUTY_TO_WARN = "duty_to_warn", "Duty to warn"
    MANDATED_REPORT = "mandated_report", "Mandated report"


def categories_of(value: str) -> list[str]:
    """The comma-separated categories of a row, as a list in stored order."""
    return [c for c in value.split(",") if c]


class Authorisation(models.Model):
    """The client's signed authorisation to release records to one recipient, until it expires."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="authorisations")
    kind = models.CharField(max_length=24, choices=AuthorisationKind.choices)
    # Comma-separated Category values; "psychotherapy_notes" alone for that kind.
    categories = models.CharField(max_length=200)
    records_from = models.DateField()
    records_to = models.DateField()
    expires_on = models.DateField()
    recipient_name = EncryptedTextField()
    recipient_organisation = EncryptedTextField(blank=True)
    recipient_address = EncryptedTextField()
    purpose = EncryptedTextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)
    # The client's signature, given in the office on the therapist's device:
    # the typed legal name, the time, a digest of the text they signed, the IP.
    signed_name = EncryptedTextField()
    signed_ip = EncryptedTextField(blank=True)
    signed_at = models.DateTimeField()
    text_digest = models.CharField(max_length=64)
    # Revocation, on the client's written request, recorded by the therapist.
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revocation_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["client", "-created_at"]
        constraints = [
            models.CheckConstraint(
                name="authorisation_kind_valid",
                condition=Q(kind__in=AuthorisationKind.values),
            ),
            # Psychotherapy notes travel under their own authorisation, alone.
            models.CheckConstraint(
                name="authorisation_pnotes_alone",
                condition=(
                    Q(kind=AuthorisationKind.PSYCHOTHERAPY_NOTES, categories=PSYCHOTHERAPY_NOTES)
                    | (Q(kind=AuthorisationKind.RECORDS) & ~Q(categories__contains="psychotherapy"))
                ),
            ),
            models.CheckConstraint(
                name="authorisation_range_ordered", condition=Q(records_to__gte=F("records_from"))
            ),
            models.CheckConstraint(
                name="authorisation_revocation_whole",
                condition=Q(revoked_at__isnull=True, revoked_by__isnull=True)
                | Q(revoked_at__isnull=False, revoked_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"authorisation {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"

    def category_list(self) -> list[str]:
        return categories_of(self.categories)

    def what(self) -> str:
        """The categories in words, for pages."""
        return ", ".join(CATEGORY_LABELS.get(c, c) for c in self.category_list())

    def is_current(self) -> bool:
        """Signed, not revoked, not expired (expiry is the last day it holds)."""
        today = clock.now().date()
        return self.revoked_at is None and self.signed_at is not None and self.expires_on >= today


class LegalBasis(models.Model):
    """A lawful ground to disclose without the client's authorisation, recorded by the therapist."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="legal_bases")
    kind = models.CharField(max_length=24, choices=LegalBasisKind.choices)
    reference = EncryptedTextField()
    reason = EncryptedTextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["client", "-recorded_at"]
        constraints = [
            models.CheckConstraint(
                name="legal_basis_kind_valid", condition=Q(kind__in=LegalBasisKind.values)
            ),
        ]

    def __str__(self) -> str:
        return f"legal basis {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class Disclosure(models.Model):
    """One release of a client's records to one recipient: one line of their accounting."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="disclosures")
    # Nothing deletes an authorisation or a basis but the client's erasure,
    # which takes their disclosures with them (CASCADE, not PROTECT, which
    # would make a client with a disclosure impossible to erase).
    authorisation = models.ForeignKey(
        Authorisation, on_delete=models.CASCADE, null=True, blank=True, related_name="disclosures"
    )
    legal_basis = models.ForeignKey(
        LegalBasis, on_delete=models.CASCADE, null=True, blank=True, related_name="disclosures"
    )
    categories = models.CharField(max_length=200)
    records_from = models.DateField()
    records_to = models.DateField()
    recipient_name = EncryptedTextField()
    recipient_organisation = EncryptedTextField(blank=True)
    recipient_address = EncryptedTextField()
    purpose = EncryptedTextField()
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    made_at = models.DateTimeField(default=clock.now)
    # The package as it was released (a ZIP, base64), built when the
    # disclosure is made: the recipient downloads what was disclosed, not the
    # record as it reads on the day of the download. Empty on disclosures
    # made before it was kept (NULL), whose package is built at download time.
    package = EncryptedTextField(null=True, blank=True)

    class Meta:
        ordering = ["client", "-made_at"]
        constraints = [
            # Exactly one ground: an authorisation or a legal basis.
            models.CheckConstraint(
                name="disclosure_one_basis",
                condition=Q(authorisation__isnull=False, legal_basis__isnull=True)
                | Q(authorisation__isnull=True, legal_basis__isnull=False),
            ),
            models.CheckConstraint(
                name="disclosure_range_ordered", condition=Q(records_to__gte=F("records_from"))
            ),
        ]

    def __str__(self) -> str:
        return f"disclosure {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"

    def category_list(self) -> list[str]:
        return categories_of(self.categories)


class DisclosureLink(models.Model):
    """The recipient's single-use, time-limited download: prefix plus keyed MAC, never the token."""

    disclosure = models.OneToOneField(Disclosure, on_delete=models.CASCADE, related_name="link")
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    mac = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="disclosure_link_ends_after_it_starts",
                condition=Q(expires_at__gt=F("created_at")),
            ),
        ]

    def __str__(self) -> str:
        return f"disclosure link {self.prefix}"
