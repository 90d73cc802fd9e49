"""Writes of billing: fees, charges, adjustments, invoices, payments, the superbill.

The front desk and billing do all of it; a therapist, a supervisor, the
privacy officer and the administrator none of it. Each service asks the
policy (practice administration: the client's account, or the practice's
price list), validates, and records its audit event in the same
transaction. Audit entries name the client, appointment, charge, invoice
and payment by row id, never a name, an amount or a service code.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.models import User
from wellkept.actors import Actor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    CHARGEABLE,
    AdjustmentReason,
    Appointment,
    AppointmentStatus,
    Charge,
    ChargeKind,
    Client,
    Fee,
    Invoice,
    Payment,
    PaymentMethod,
    ServiceCode,
)
from wellkept.practice.scopes import BILLERS, client_admin_resource
from wellkept.practice.services.deciding import allow, purpose_of
from wellkept.practice.services.schedule import practice_zone

# A million in major units: beyond that an amount is a typing mistake.
LARGEST_AMOUNT = 100_000_000
CURRENCY = re.compile(r"[A-Z]{3}")
REFERENCE_MAX = 80
# A superbill covers at most a year of sessions.
LONGEST_SUPERBILL = dt.timedelta(days=366)


def _person(actor: Actor) -> User | None:
    return actor if isinstance(actor, User) else None


def _allow(
    actor: Actor,
    action: Action,
    resource: Resource,
    request: HttpRequest | None,
    what: str,
    purpose: Purpose | None = None,
) -> None:
    allow(actor, action, resource, request, what, purpose)
    # Practice administration also lets a therapist read an assigned client's
    # demographics; money is the front desk's and billing's alone.
    if not isinstance(actor, SystemActor) and not (
        roles_in(actor, resource.organisation_id) & BILLERS
    ):
        raise PermissionDenied(f"You may not {what}.")


def account_resource(client: Client) -> Resource:
    """A client's account (charges, invoices, payments): practice administration."""
    return client_admin_resource(client, "billing")


def price_list_resource(organisation: Organisation) -> Resource:
    """The practice's fee schedule: practice administration, about no client."""
    return Resource(
        kind=ResourceKind.PRACTICE_ADMIN,
        reference=f"fees:{organisation.pk}",
        organisation_id=organisation.pk,
    )


def format_money(amount: int, currency: str) -> str:
    """``12345, "USD"`` as ``"USD 123.45"``; a negative amount keeps its sign."""
    sign = "-" if amount < 0 else ""
    units, cents = divmod(abs(amount), 100)
    return f"{currency} {sign}{units:,}.{cents:02d}"


def parse_money(text: str) -> int:
    """``"123.45"`` as 12345 minor units; a clear ValidationError for anything else."""
    cleaned = text.strip().replace(",", "")
    match = re.fullmatch(r"(\d{1,9})(?:\.(\d{1,2}))?", cleaned)
    if match is None:
        raise ValidationError("Enter an amount such as 120 or 120.50.", code="amount")
    amount = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if amount > LARGEST_AMOUNT:
        raise ValidationError("That amount is too large.", code="amount")
    return amount


def fee_for(service_code: ServiceCode, day: dt.date) -> Fee | None:
    """The fee in force for ``service_code`` on ``day``: the latest one from that day or before."""
    return (
        Fee.objects.filter(service_code=service_code, effective_from__lte=day)
        .order_by("-effective_from")
        .first()
    )


def late_fee_for(organisation_id: uuid.UUID, day: dt.date) -> Fee | None:
    """The practice's late-cancellation fee in force on ``day``, if it set one."""
    return (
        Fee.objects.filter(
            organisation_id=organisation_id, service_code__isnull=True, effective_from__lte=day
        )
        .order_by("-effective_from")
        .first()
    )


def practice_currency(organisation: Organisation) -> str:
    """The currency of the practice's latest fee; a practice bills in one currency at a time."""
    latest = Fee.objects.filter(organisation=organisation).order_by("-created_at").first()
    if latest is None:
        raise ValidationError(
            "Set the practice's fees first: they say which currency it bills in.", code="currency"
        )
    return latest.currency


def fee_set(
    *,
    actor: Actor,
    organisation: Organisation,
    service_code: ServiceCode | None,
    amount: int,
    currency: str,
    effective_from: dt.date,
    request: HttpRequest | None = None,
) -> Fee:
    """Set what the practice charges for a service code (None: a late cancellation) from a date."""
    _allow(actor, Action.UPDATE, price_list_resource(organisation), request, "set fees here")
    currency = currency.strip().upper()
    if service_code is not None and service_code.organisation_id != organisation.pk:
        raise ValidationError({"service_code": "Choose one of this practice's service codes."})
    if not CURRENCY.fullmatch(currency):
        raise ValidationError({"currency": "Enter a three-letter currency code, such as USD."})
    if not 0 <= amount <= LARGEST_AMOUNT:
        raise ValidationError({"amount": "Enter an amount between 0 and 1,000,000."})
    others = Fee.objects.filter(organisation=organisation).exclude(currency=currency)
    if others.exists():
        raise ValidationError(
            {"currency": "The practice bills in one currency; its other fees use another."}
        )
    with transaction.atomic():
        existing = lock_rows(
            Fee.objects.filter(
                organisation=organisation,
                service_code=service_code,
                effective_from=effective_from,
            )
        ).first()
        if existing is None:
            fee = Fee.objects.create(
                organisation=organisation,
                service_code=service_code,
                amount=amount,
                currency=currency,
                effective_from=effective_from,
            )
        else:
            fee = existing
            fee.amount, fee.currency = amount, currency
            fee.save(update_fields=["amount", "currency"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_FEE_SET,
            target=f"fee:{fee.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return fee


def charge_create(
    *,
    actor: Actor,
    appointment: Appointment,
    service_code: ServiceCode | None = None,
    request: HttpRequest | None = None,
) -> Charge:
    """Charge a held session at its code's fee, a late cancellation at the late fee; once.

    A late cancellation gave no service, so it carries no service code: it
    is charged at the practice's late-cancellation fee, whatever code is given.
    """
    client = appointment.client
    _allow(actor, Action.CREATE, account_resource(client), request, "charge this appointment")
    day = appointment.start.astimezone(practice_zone()).date()
    with transaction.atomic():
        locked = lock_rows(Appointment.objects.filter(pk=appointment.pk)).get()
        if locked.status not in CHARGEABLE:
            raise ValidationError(
                "Only an attended or late-cancelled appointment can be charged.", code="status"
            )
        if locked.status == AppointmentStatus.LATE_CANCELLED:
            fee = late_fee_for(locked.organisation_id, day)
            code = ""
            if fee is None:
                raise ValidationError(
                    "The practice has no late-cancellation fee: set one on the fee schedule.",
                    code="no_fee",
                )
        else:
            if (
                service_code is None
                or service_code.organisation_id != locked.organisation_id
                or not service_code.active
            ):
                raise ValidationError(
                    {"service_code": "Choose one of this practice's service codes."}
                )
            code = service_code.code
            fee = fee_for(service_code, day)
            if fee is None:
                raise ValidationError(
                    {"service_code": f"No fee is set for {code} on {day.isoformat()}."}
                )
        if Charge.objects.filter(appointment=locked).exists():
            raise ValidationError("This appointment is already charged.", code="charged")
        try:
            # The savepoint keeps the transaction usable if the database,
            # not the check above, refuses a second charge (a race).
            with transaction.atomic():
                charge = Charge.objects.create(
                    organisation_id=locked.organisation_id,
                    client=client,
                    kind=ChargeKind.SESSION,
                    appointment=locked,
                    service_date=day,
                    service_code=code,
                    amount=fee.amount,
                    currency=fee.currency,
                    created_by=_person(actor),
                )
        except IntegrityError:
            raise ValidationError("This appointment is already charged.", code="charged") from None
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CHARGE_CREATED,
            target=f"client:{client.pk}/charge:{charge.pk}",
            purpose=purpose_of(actor).value,
            reason=f"appointment:{locked.pk}",
            request=request,
        )
    return charge


def adjustment_add(
    *,
    actor: Actor,
    client: Client,
    amount: int,
    reason: str,
    request: HttpRequest | None = None,
) -> Charge:
    """Reduce a client's account by ``amount`` (minor units, positive) for a listed reason."""
    _allow(actor, Action.UPDATE, account_resource(client), request, "adjust this account")
    if reason not in AdjustmentReason.values:
        raise ValidationError({"reason": "Choose why the account is adjusted."})
    if not 0 < amount <= LARGEST_AMOUNT:
        raise ValidationError({"amount": "Enter an amount above zero."})
    currency = practice_currency(client.organisation)
    with transaction.atomic():
        line = Charge.objects.create(
            organisation_id=client.organisation_id,
            client=client,
            kind=ChargeKind.ADJUSTMENT,
            service_date=clock.now().astimezone(practice_zone()).date(),
            amount=-amount,
            currency=currency,
            reason=reason,
            created_by=_person(actor),
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_ADJUSTMENT_ADDED,
            target=f"client:{client.pk}/charge:{line.pk}",
            purpose=purpose_of(actor).value,
            reason=reason,
            request=request,
        )
    return line


def invoice_issue(*, actor: Actor, client: Client, request: HttpRequest | None = None) -> Invoice:
    """Put every line of the client's account not yet invoiced on a new numbered invoice."""
    _allow(actor, Action.CREATE, account_resource(client), request, "invoice this client")
    with transaction.atomic():
        # The practice's row is the lock for numbering: two invoices issued
        # at once cannot take the same number.
        lock_rows(Organisation.objects.filter(pk=client.organisation_id)).get()
        lines = list(
            lock_rows(Charge.objects.filter(client=client, invoice__isnull=True)).order_by(
                "service_date", "created_at"
            )
        )
        if not lines:
            raise ValidationError("There is nothing to invoice: every charge is on an invoice.")
        currencies = {line.currency for line in lines}
        if len(currencies) > 1:
            raise ValidationError("These charges are in different currencies; ask the practice.")
        latest = Invoice.objects.filter(organisation_id=client.organisation_id).aggregate(
            n=Max("number")
        )["n"]
        invoice = Invoice.objects.create(
            organisation_id=client.organisation_id,
            client=client,
            number=(latest or 0) + 1,
            total=sum(line.amount for line in lines),
            currency=currencies.pop(),
            issued_by=_person(actor),
        )
        Charge.objects.filter(pk__in=[line.pk for line in lines]).update(invoice=invoice)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_INVOICE_ISSUED,
            target=f"client:{client.pk}/invoice:{invoice.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return invoice


def payment_record(
    *,
    actor: Actor,
    client: Client,
    amount: int,
    method: str,
    received_on: dt.date,
    reference: str = "",
    request: HttpRequest | None = None,
) -> Payment:
    """Record money received for a client's account; audited (never the amount)."""
    _allow(actor, Action.CREATE, account_resource(client), request, "record a payment here")
    reference = reference.strip()
    errors: dict[str, str] = {}
    if not 0 < amount <= LARGEST_AMOUNT:
        errors["amount"] = "Enter an amount above zero."
    if method not in PaymentMethod.values:
        errors["method"] = "Choose card, cash, bank transfer or insurance."
    if received_on > clock.now().astimezone(practice_zone()).date():
        errors["received_on"] = "A payment cannot be received in the future."
    if len(reference) > REFERENCE_MAX:
        errors["reference"] = f"Keep the reference under {REFERENCE_MAX} characters."
    if errors:
        raise ValidationError(errors)
    currency = practice_currency(client.organisation)
    with transaction.atomic():
        payment = Payment.objects.create(
            organisation_id=client.organisation_id,
            client=client,
            amount=amount,
            currency=currency,
            method=method,
            received_on=received_on,
            reference=reference,
            recorded_by=_person(actor),
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PAYMENT_RECORDED,
            target=f"client:{client.pk}/payment:{payment.pk}",
            purpose=purpose_of(actor).value,
            reason=method,
            request=request,
        )
    return payment


def superbill_record(
    *,
    actor: Actor,
    client: Client,
    start: dt.date,
    end: dt.date,
    request: HttpRequest | None = None,
) -> None:
    """Decide and audit a superbill export for the client's sessions from ``start`` to ``end``.

    Given to the client for their insurer: an export of their own account,
    under the same legal-obligation purpose as the practice's other exports.
    """
    _allow(
        actor,
        Action.EXPORT,
        account_resource(client),
        request,
        "export a superbill for this client",
        purpose=Purpose.LEGAL_OBLIGATION,
    )
    if end < start:
        raise ValidationError({"end": "The last day comes after the first."})
    if end - start > LONGEST_SUPERBILL:
        raise ValidationError({"end": "A superbill covers a year at most."})
    audit_record(
        actor=actor,
        event=EventType.PRACTICE_SUPERBILL_EXPORTED,
        target=f"client:{client.pk}/superbill",
        purpose=Purpose.LEGAL_OBLIGATION.value,
        reason=f"{start.isoformat()}..{end.isoformat()}",
        request=request,
    )


def invoice_export_record(
    *, actor: Actor, invoice: Invoice, request: HttpRequest | None = None
) -> None:
    """Decide and audit an invoice's download as a PDF (it carries the client's name)."""
    _allow(
        actor,
        Action.EXPORT,
        account_resource(invoice.client),
        request,
        "download this invoice",
        purpose=Purpose.LEGAL_OBLIGATION,
    )
    audit_record(
        actor=actor,
        event=EventType.PRACTICE_INVOICE_EXPORTED,
        target=f"client:{invoice.client_id}/invoice:{invoice.pk}",
        purpose=Purpose.LEGAL_OBLIGATION.value,
        request=request,
    )
