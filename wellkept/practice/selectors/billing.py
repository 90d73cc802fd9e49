"""Reads of billing: the queue of sessions to charge, a client's account, superbill codes.

Every read is the front desk's or billing's, decided by the policy on
practice administration and audited; a clinical role gets 404 here even
for a client it may otherwise see. The one read that touches the notes'
table, ``superbill_diagnosis_codes``, loads the diagnosis-code column of
signed notes and nothing else: billing sees the codes that go on a
superbill (as DESIGN.md's role table says), never a note's content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.http import Http404, HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import can, roles_in, visible
from wellkept.access.purposes import Purpose
from wellkept.actors import Caller
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    CHARGEABLE,
    Appointment,
    AppointmentStatus,
    Charge,
    ChargeKind,
    Client,
    Fee,
    Invoice,
    NoteStatus,
    Payment,
    ProgressNote,
)
from wellkept.practice.scopes import BILLERS, client_admin_resource
from wellkept.practice.selectors.clients import get_client_for

PURPOSE = Purpose.CLINICAL_CARE
# How many uncharged sessions the queue shows at once, oldest first.
QUEUE_LENGTH = 200


@dataclass(frozen=True)
class Balance:
    """A client's account in minor units: charges (less adjustments) minus payments."""

    charged: int
    paid: int
    currency: str

    @property
    def due(self) -> int:
        return self.charged - self.paid


@dataclass(frozen=True)
class Account:
    """One client's account as billing sees it."""

    client: Client
    charges: list[Charge]
    invoices: list[Invoice]
    payments: list[Payment]
    balance: Balance


def _billers_only(actor: Caller, organisation: Organisation) -> None:
    # The page's guard admits billing roles only; this keeps a read reached
    # some other way (a command, a future page) to the same audience.
    if not (roles_in(actor, organisation.pk) & BILLERS):
        raise Http404


def charge_queue(
    *, actor: Caller, organisation: Organisation, request: HttpRequest | None = None
) -> list[Appointment]:
    """Attended and late-cancelled appointments not charged yet, oldest first."""
    _billers_only(actor, organisation)
    clients = visible(
        actor,
        Action.READ,
        Client.objects.filter(organisation=organisation),
        PURPOSE,
        request=request,
    )
    return list(
        Appointment.objects.filter(
            organisation=organisation,
            client__in=clients,
            status__in=CHARGEABLE,
            charge__isnull=True,
        )
        .select_related("client", "therapist")
        .order_by("start")[:QUEUE_LENGTH]
    )


def chargeable_appointment(
    *, actor: Caller, organisation: Organisation, pk: Any, request: HttpRequest | None = None
) -> Appointment:
    """One appointment of the practice to charge, or 404; decided on its client's account."""
    _billers_only(actor, organisation)
    appointment = (
        Appointment.objects.filter(organisation=organisation, pk=pk)
        .select_related("client", "client__organisation")
        .first()
    )
    if appointment is None:
        raise Http404
    # Decided (and audited) on the client's account, with the page's action.
    get_client_for(
        actor=actor, organisation=organisation, pk=appointment.client_id, request=request
    )
    return appointment


def fees(organisation: Organisation) -> list[Fee]:
    """The practice's fee schedule, newest first per code; the late-cancellation fee first."""
    return list(Fee.objects.filter(organisation=organisation).select_related("service_code"))


def client_account(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    request: HttpRequest | None = None,
) -> Account:
    """A client's charges, invoices, payments and balance, or 404; one audited decision."""
    _billers_only(actor, organisation)
    client = get_client_for(actor=actor, organisation=organisation, pk=pk, request=request)
    return Account(
        client=client,
        charges=list(Charge.objects.filter(client=client).select_related("invoice")),
        invoices=list(Invoice.objects.filter(client=client)),
        payments=list(Payment.objects.filter(client=client)),
        balance=balance_of(client),
    )


def invoice_of(client: Client, pk: Any) -> tuple[Invoice, list[Charge]]:
    """One of the client's invoices and its lines, or 404 (the caller decided on the client)."""
    invoice = Invoice.objects.filter(client=client, pk=pk).select_related("client").first()
    if invoice is None:
        raise Http404
    return invoice, list(Charge.objects.filter(invoice=invoice))


def balance_of(client: Client) -> Balance:
    """What the client has been charged and has paid, in minor units (the caller decided)."""
    charged = Charge.objects.filter(client=client).aggregate(s=Sum("amount"))["s"] or 0
    paid = Payment.objects.filter(client=client).aggregate(s=Sum("amount"))["s"] or 0
    fee = Fee.objects.filter(organisation_id=client.organisation_id).order_by("-created_at").first()
    return Balance(charged=charged, paid=paid, currency=fee.currency if fee else "")


def superbill_sessions(client: Client, start: dt.date, end: dt.date) -> list[Charge]:
    """The client's charged sessions from ``start`` to ``end`` (the caller decided already)."""
    return list(
        # Sessions held only: a late cancellation gave no service to claim for.
        Charge.objects.filter(
            client=client,
            kind=ChargeKind.SESSION,
            appointment__status=AppointmentStatus.ATTENDED,
            service_date__range=(start, end),
        )
    )


def superbill_diagnosis_codes(
    *,
    actor: Caller,
    client: Client,
    start: dt.date,
    end: dt.date,
    request: HttpRequest | None = None,
) -> list[str]:
    """The ICD-10-CM codes of the client's signed notes in the range: codes, never content.

    A narrow read of its own (``client:<uuid>/billing-codes``), decided and
    audited as practice administration: ``only()`` keeps every other column
    of the note, its sections above all, out of the query.
    """
    _billers_only(actor, client.organisation)
    resource = client_admin_resource(client, "billing-codes")
    if not can(actor, Action.READ, resource, PURPOSE, request=request):
        raise Http404
    rows = (
        ProgressNote.objects.filter(
            client=client,
            status__in=[NoteStatus.SIGNED, NoteStatus.LOCKED],
            service_date__range=(start, end),
        )
        .only("id", "client", "diagnosis_codes")
        .order_by("service_date")
    )
    codes: list[str] = []
    for row in rows:
        value = row.diagnosis_codes
        for code in value.split(",") if isinstance(value, str) else []:
            if code and code not in codes:
                codes.append(code)
    return codes
