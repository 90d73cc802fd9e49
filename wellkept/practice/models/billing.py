"""Billing: the practice's fee schedule, charges, invoices and payments.

Money is not clinical, but it is personal: these rows name the client by
row only (never by name), and amounts are kept in clear, as a practice's
accounting system would, because the rows hold no clinical content. The
one clinical-adjacent fact, the service (CPT) code of a charge, says that
psychotherapy took place, so it is ciphertext under the client's key, as
in the progress note. Amounts are integers in minor units (cents), never
floats, so sums are exact.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from wellkept import clock
from wellkept.orgs.models import Organisation
from wellkept.practice.models.clients import Client
from wellkept.practice.models.notes import ServiceCode
from wellkept.practice.models.schedule import Appointment, AppointmentStatus
from wellkept.vault.fields import EncryptedTextField

CURRENCY_LENGTH = 3
# Appointments that may be charged: a session held, or one cancelled too late.
CHARGEABLE = frozenset({AppointmentStatus.ATTENDED, AppointmentStatus.LATE_CANCELLED})


class Fee(models.Model):
    """What the practice charges for one service code, from a date on (a price list row)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="fees")
    # Empty for the practice's late-cancellation fee: no service was given,
    # so no service code goes on the charge (nor on a superbill).
    service_code = models.ForeignKey(
        ServiceCode, on_delete=models.PROTECT, null=True, blank=True, related_name="fees"
    )
    amount = models.PositiveIntegerField()
    # ISO 4217, upper case ("USD"): one practice may change currency, so it
    # travels with every fee, charge and payment rather than being assumed.
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    effective_from = models.DateField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["organisation", "service_code", "-effective_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_code", "effective_from"], name="fee_one_per_code_and_day"
            ),
            models.UniqueConstraint(
                fields=["organisation", "effective_from"],
                condition=models.Q(service_code__isnull=True),
                name="late_fee_one_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"fee {self.pk}"


class Invoice(models.Model):
    """A numbered statement of a client's charges; the number runs per practice."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="invoices"
    )
    # Erasing a client erases their invoices too: accounting keeps totals in
    # its own books, and an erased client's invoices would name nobody.
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="invoices")
    number = models.PositiveIntegerField()
    total = models.IntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    # Empty when a command or job did it (the demo's seeding).
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["organisation", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "number"], name="invoice_number_unique_per_practice"
            ),
        ]

    def __str__(self) -> str:
        return f"invoice {self.number}"


class ChargeKind(models.TextChoices):
    SESSION = "session", "Session"
    ADJUSTMENT = "adjustment", "Adjustment"


class AdjustmentReason(models.TextChoices):
    """Why a charge is reduced: a fixed list, so no free text about a person is kept here."""

    DISCOUNT = "discount", "Courtesy or sliding-scale discount"
    REFUND = "refund", "Refund"
    CORRECTION = "correction", "Correction of a charge"
    WRITE_OFF = "write_off", "Written off"


class Charge(models.Model):
    """One line of a client's account: a session charged, or a negative adjustment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="charges")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="charges")
    kind = models.CharField(max_length=16, choices=ChargeKind.choices)
    # One charge per appointment at most: the database refuses a second.
    appointment = models.OneToOneField(
        Appointment, on_delete=models.RESTRICT, null=True, blank=True, related_name="charge"
    )
    service_date = models.DateField()
    # The CPT code reveals psychotherapy: ciphertext under the client's key.
    service_code = EncryptedTextField(blank=True)
    amount = models.IntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    reason = models.CharField(max_length=16, choices=AdjustmentReason.choices, blank=True)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.RESTRICT, null=True, blank=True, related_name="lines"
    )
    # Empty when a command or job did it (the demo's seeding).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["client", "service_date", "created_at"]
        constraints = [
            # A session: an appointment, a positive amount, no reason.
            # An adjustment: no appointment, a negative amount, a reason.
            models.CheckConstraint(
                name="charge_session_or_adjustment",
                condition=models.Q(
                    kind=ChargeKind.SESSION,
                    appointment__isnull=False,
                    amount__gte=0,
                    reason="",
                )
                | models.Q(
                    kind=ChargeKind.ADJUSTMENT,
                    appointment__isnull=True,
                    amount__lt=0,
                    reason__in=AdjustmentReason.values,
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"charge {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card"
    CASH = "cash", "Cash"
    TRANSFER = "transfer", "Bank transfer"
    INSURANCE = "insurance", "Insurance"


class Payment(models.Model):
    """Money received for a client's account."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="payments"
    )
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="payments")
    amount = models.PositiveIntegerField()
    currency = models.CharField(max_length=CURRENCY_LENGTH)
    method = models.CharField(max_length=16, choices=PaymentMethod.choices)
    received_on = models.DateField()
    # A card's last digits, a bank or claim reference: personal, so ciphertext.
    reference = EncryptedTextField(blank=True)
    # Empty when a command or job did it (the demo's seeding).
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["client", "received_on", "recorded_at"]
        constraints = [
            models.CheckConstraint(name="payment_positive", condition=models.Q(amount__gt=0)),
            models.CheckConstraint(
                name="payment_method_valid", condition=models.Q(method__in=PaymentMethod.values)
            ),
        ]

    def __str__(self) -> str:
        return f"payment {self.pk}"

    @property
    def dek_subject(self) -> str:
        return f"client:{self.client_id}"
