"""Retention periods, legal holds and deletion receipts.

A retention period is set per organisation and data category, within
bounds written into the database as well as the forms: the audit trail in
particular can never be kept for less than six years, whatever path the
value took (a form, a command, a shell, a migration).

A legal hold names one participant (by token, through the row), one
follow-up case, or one client of the practice (by client code, through the
row); its reason is ciphertext under that person's own key, since a privacy
officer may write a name or a court case into it.

A deletion receipt is the signed statement an erasure produces: categories,
counts, when and under which rule, and the tombstone digest of the token,
never the token itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q

from wellkept import clock
from wellkept.access.twoperson import TwoPersonRequest, two_person_constraints
from wellkept.orgs.models import Organisation, Participant
from wellkept.practice.models import Client
from wellkept.vault.fields import EncryptedTextField


class DataCategory(models.TextChoices):
    CHECKIN_ANSWERS = "checkin_answers", "Check-in answers"
    SCORES = "scores", "Scores"
    CASE_NOTES = "case_notes", "Case notes"
    MESSAGES = "messages", "Messages"
    CONSENT_RECORDS = "consent_records", "Consent records"
    AUDIT_TRAIL = "audit_trail", "Audit trail"
    CLIENT_RECORDS = "client_records", "Client records (practice)"


@dataclass(frozen=True)
class Bounds:
    """The lawful range of a category's retention period, in months, and its default."""

    minimum: int
    maximum: int
    default: int


AUDIT_TRAIL_MINIMUM_MONTHS = 72
# Defaults follow the issue (check-ins 12 months, case records 7 years, audit
# trail 6 years). Minimums keep a setting from defeating its purpose: case
# records must outlive a complaint, proof of consent must outlive the data it
# covers, and the audit trail must outlive everything it could be asked about.
BOUNDS: dict[str, Bounds] = {
    DataCategory.CHECKIN_ANSWERS: Bounds(1, 120, 12),
    DataCategory.SCORES: Bounds(1, 120, 12),
    DataCategory.CASE_NOTES: Bounds(12, 360, 84),
    DataCategory.MESSAGES: Bounds(12, 360, 84),
    DataCategory.CONSENT_RECORDS: Bounds(12, 360, 72),
    DataCategory.AUDIT_TRAIL: Bounds(AUDIT_TRAIL_MINIMUM_MONTHS, 1200, 72),
    # Health records: many jurisdictions require 6 to 10 years after the last
    # contact (longer for minors, which retention handles on its own); 7
    # years by default, never less than one.
    DataCategory.CLIENT_RECORDS: Bounds(12, 360, 84),
}


def _within_bounds() -> Q:
    allowed = Q()
    for category, bounds in BOUNDS.items():
        allowed |= Q(category=category, months__gte=bounds.minimum, months__lte=bounds.maximum)
    return allowed


class RetentionPeriod(models.Model):
    """How long one organisation keeps one category of data; no row means the default."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="retention_periods"
    )
    category = models.CharField(max_length=32, choices=DataCategory.choices)
    months = models.PositiveSmallIntegerField()
    changed_at = models.DateTimeField(default=clock.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["organisation", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "category"], name="lifecycle_retention_one_per_category"
            ),
            models.CheckConstraint(
                name="lifecycle_retention_category_valid",
                condition=Q(category__in=DataCategory.values),
            ),
            # Named on its own so that the refusal says what it is about.
            models.CheckConstraint(
                name="lifecycle_retention_audit_trail_at_least_6_years",
                condition=~Q(category=DataCategory.AUDIT_TRAIL)
                | Q(months__gte=AUDIT_TRAIL_MINIMUM_MONTHS),
            ),
            models.CheckConstraint(
                name="lifecycle_retention_within_bounds", condition=_within_bounds()
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category}: {self.months} months"


class HoldScope(models.TextChoices):
    PERSON = "person", "Everything about one participant"
    CASE = "case", "One follow-up case"
    CLIENT = "client", "Everything about one client of the practice"


class LegalHold(models.Model):
    """A legal hold: retention skips what it covers until the privacy officer lifts it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="legal_holds"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="legal_holds"
    )
    # A client's erasure is refused while a hold is in force, so only lifted
    # holds (whose reasons the erasure shreds with the client's key) go with it.
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    case = models.ForeignKey(
        "followup.Case", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    reason = EncryptedTextField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    set_at = models.DateTimeField(default=clock.now)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lifted_at = models.DateTimeField(null=True, blank=True)
    lift_reason = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-set_at"]
        constraints = [
            # One hold in force per person and per case: a second one would
            # only make "lifted" ambiguous.
            models.UniqueConstraint(
                fields=["participant"],
                condition=Q(case__isnull=True, lifted_at__isnull=True),
                name="lifecycle_one_person_hold_in_force",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(case__isnull=False, lifted_at__isnull=True),
                name="lifecycle_one_case_hold_in_force",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(client__isnull=False, lifted_at__isnull=True),
                name="lifecycle_one_client_hold_in_force",
            ),
            # A hold is on a participant (or one of their cases) or on a
            # client, never both and never on nobody.
            models.CheckConstraint(
                name="lifecycle_hold_one_subject",
                condition=Q(participant__isnull=False, client__isnull=True)
                | Q(participant__isnull=True, client__isnull=False, case__isnull=True),
            ),
            models.CheckConstraint(
                name="lifecycle_hold_lifted_by_someone",
                condition=Q(lifted_at__isnull=True) | Q(lifted_by__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold {self.pk}"

    @property
    def dek_subject(self) -> str:
        if self.client_id is not None:
            return f"client:{self.client_id}"
        assert self.participant is not None  # noqa: S101 (the database guarantees one subject)
        return self.participant.dek_subject

    @property
    def scope(self) -> HoldScope:
        if self.client_id is not None:
            return HoldScope.CLIENT
        return HoldScope.CASE if self.case_id is not None else HoldScope.PERSON

    @property
    def subject_reference(self) -> str:
        """How the trail names what the hold covers: the token or the client's row id."""
        if self.client_id is not None:
            return f"client:{self.client_id}"
        assert self.participant is not None  # noqa: S101 (the database guarantees one subject)
        return f"participant:{self.participant.token}"

    @property
    def in_force(self) -> bool:
        return self.lifted_at is None


class ErasureRule(models.TextChoices):
    """Under which rule an erasure happened: it goes on the receipt."""

    SUBJECT_REQUEST = "subject_request", "The person's own request in My data (right to erasure)"
    OUTSIDE_REQUEST = (
        "outside_request",
        "A request received outside the app (right to erasure)",
    )
    RETENTION = "retention", "The end of the organisation's retention period"
    JOB = "job", "An automatic job (e.g. a tombstone re-applied after a restore)"


class DeletionReceipt(models.Model):
    """A signed deletion receipt, kept so the privacy officer can hand it out again.

    ``document`` is the whole signed JSON: digest, categories and counts,
    times and rule. No token, no content.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="deletion_receipts"
    )
    rule = models.CharField(max_length=32, choices=ErasureRule.choices)
    issued_at = models.DateTimeField(default=clock.now)
    document = models.JSONField()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.CheckConstraint(
                name="lifecycle_receipt_rule_valid", condition=Q(rule__in=ErasureRule.values)
            ),
        ]

    def __str__(self) -> str:
        return f"deletion receipt {self.pk}"


class SubjectRequestKind(models.TextChoices):
    ACCESS = "access", "Access (a copy of everything held)"
    PORTABILITY = "portability", "Portability (the data in a machine-readable file)"
    ERASURE = "erasure", "Erasure (delete everything held)"


class SubjectRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a second privacy officer"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


SUBJECT_REQUEST_HOURS = 24


class SubjectRequest(TwoPersonRequest):
    """A request received outside the app (a letter, an e-mail), answered by two privacy officers.

    One officer records it with the address the person wrote from; the
    service resolves that address to this organisation's participant (or to
    nobody) at once and keeps only the foreign key, never the address. What
    it resolved to is shown to no one until another officer approves, so a
    pending request looks the same whether it reaches somebody or not.

    The reason is ciphertext under the request's own data key, not the
    participant's: it must stay readable after the participant is erased
    (it is the privacy office's record of why), and it must not differ in
    form between a request that reaches someone and one that does not.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="subject_requests"
    )
    # requested_by, requested_at, decided_by, decided_at and expires_at come
    # from TwoPersonRequest; the status keeps this workflow's labels.
    kind = models.CharField(max_length=16, choices=SubjectRequestKind.choices)
    reason = EncryptedTextField()
    status = models.CharField(
        max_length=16, choices=SubjectRequestStatus.choices, default=SubjectRequestStatus.PENDING
    )
    # Emptied when the participant is erased: the receipt then says what happened.
    participant = models.ForeignKey(
        Participant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    receipt = models.ForeignKey(
        DeletionReceipt, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                name="lifecycle_subject_request_kind_valid",
                condition=Q(kind__in=SubjectRequestKind.values),
            ),
            # Valid states; two people, whatever path the row took (the
            # service refuses self-approval, the database again); an
            # approval that ends.
            *two_person_constraints("lifecycle_subject_request"),
            models.CheckConstraint(
                name="lifecycle_subject_request_decided_when",
                condition=Q(status=SubjectRequestStatus.PENDING) | Q(decided_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"subject request {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"subject_request:{self.pk}"

    @property
    def reference(self) -> str:
        return f"subject_request:{self.pk}"


class TombstoneHead(models.Model):
    """How far the tombstone journal reached at the latest erasure, kept in the database too.

    One row. The journal lives outside the database so that a restore cannot
    roll it back; this row is its counterpart inside: written in the
    erasure's transaction, it travels in every backup, and a restore refuses
    a journal that does not reach it (or is missing). See
    ``lifecycle.tombstones``.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    lines = models.PositiveIntegerField(default=0)
    # The MAC of the journal's line number ``lines``: proves which line it is.
    mac = models.CharField(max_length=64, blank=True, default="")
    last_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(name="lifecycle_tombstone_head_single_row", condition=Q(id=1)),
        ]

    def __str__(self) -> str:
        return f"tombstone head at line {self.lines}"
