"""The practice's billing pages (/practice/billing/): the front desk's and billing's only.

The queue of sessions to charge, the fee schedule, a client's account
(charges, invoices, payments, balance), invoicing, payments, adjustments
and the superbill. Every page is declared (``@policy``) on practice
administration and guarded to the front desk and billing: a therapist, a
supervisor, the privacy officer and the administrator get a 404, audited.
Clients are shown by code; the superbill alone carries the client's name,
decrypted as it is drawn.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import org_query, practice_only
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import selectors, services, superbill
from wellkept.practice.forms import (
    AdjustmentForm,
    ChargeForm,
    FeeForm,
    PaymentForm,
    SuperbillForm,
)
from wellkept.practice.models import AppointmentStatus, Client, ServiceCode
from wellkept.practice.scopes import BILLERS
from wellkept.practice.views.acting import act_on_form, act_then_back

ADMIN = ResourceKind.PRACTICE_ADMIN
PURPOSE = Purpose.CLINICAL_CARE


def _queue_url(organisation: Organisation) -> str:
    return reverse("practice:billing") + org_query(organisation)


def _account_url(client: Client, organisation: Organisation) -> str:
    return reverse("practice:billing_account", args=[client.pk]) + org_query(organisation)


def _codes(organisation: Organisation) -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} {c.description}") for c in selectors.service_codes(organisation)]


# The fee form's choice for the practice's late-cancellation fee.
LATE = "late"


def _fee_codes(organisation: Organisation) -> list[tuple[str, str]]:
    return [(LATE, "Late cancellation (no service code)"), *_codes(organisation)]


def _code(organisation: Organisation, code: str) -> ServiceCode:
    found = next((c for c in selectors.service_codes(organisation) if c.code == code), None)
    if found is None:
        raise ValidationError({"service_code": "Choose one of the practice's service codes."})
    return found


@policy(action=Action.READ, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-billing", roles=BILLERS)
@never_cache
@require_GET
def billing_queue(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List the attended and late-cancelled sessions still to charge, and the accounts."""
    return render(
        request,
        "practice/practice/billing/queue.html",
        {
            "organisation": organisation,
            "queue": selectors.charge_queue(
                actor=request.user, organisation=organisation, request=request
            ),
            "clients": selectors.client_list(
                actor=request.user, organisation=organisation, request=request
            ),
            "codes": _codes(organisation),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-billing-charge", roles=BILLERS)
@require_POST
def appointment_charge(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Charge one session at the fee schedule's price for the chosen service code."""
    appointment = selectors.chargeable_appointment(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    form = ChargeForm(request.POST, codes=_codes(organisation))
    late = appointment.status == AppointmentStatus.LATE_CANCELLED
    if not form.is_valid() or not (late or form.cleaned_data["service_code"]):
        messages.error(request, "Choose one of the practice's service codes.")
        return HttpResponseRedirect(_queue_url(organisation))
    return act_then_back(
        request,
        act=lambda: services.charge_create(
            actor=request.user,
            appointment=appointment,
            service_code=None if late else _code(organisation, form.cleaned_data["service_code"]),
            request=request,
        ),
        done=lambda charge: (
            f"{appointment.client.code} charged "
            f"{services.format_money(charge.amount, charge.currency)}."
        ),
        back=_queue_url(organisation),
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-billing-fees", roles=BILLERS)
@never_cache
@require_http_methods(["GET", "POST"])
def fee_list(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show the practice's fee schedule and set a fee for a service code from a date."""
    form = FeeForm(request.POST or None, codes=_fee_codes(organisation))
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["service_code"]
        done = act_on_form(
            request,
            form,
            act=lambda: services.fee_set(
                actor=request.user,
                organisation=organisation,
                service_code=None if chosen == LATE else _code(organisation, chosen),
                amount=form.cleaned_data["amount"],
                currency=form.cleaned_data["currency"],
                effective_from=form.cleaned_data["effective_from"],
                request=request,
            ),
            done=lambda fee: (
                f"Fee for {fee.service_code.code if fee.service_code else 'late cancellations'} "
                f"set from {fee.effective_from.isoformat()}."
            ),
            then=reverse("practice:billing_fees") + org_query(organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/billing/fees.html",
        {
            "organisation": organisation,
            "form": form,
            "fees": [
                (fee, services.format_money(fee.amount, fee.currency))
                for fee in selectors.fees(organisation)
            ],
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.READ, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-billing-account", roles=BILLERS)
@never_cache
@require_GET
def client_account(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Show a client's charges, invoices, payments and balance, by code."""
    account = selectors.client_account(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    money = services.format_money
    return render(
        request,
        "practice/practice/billing/account.html",
        {
            "organisation": organisation,
            "client": account.client,
            "charges": [(c, money(c.amount, c.currency)) for c in account.charges],
            "invoices": [(i, money(i.total, i.currency)) for i in account.invoices],
            "payments": [(p, money(p.amount, p.currency)) for p in account.payments],
            "charged": money(account.balance.charged, account.balance.currency),
            "paid": money(account.balance.paid, account.balance.currency),
            "due": money(account.balance.due, account.balance.currency),
            "uninvoiced": any(c.invoice_id is None for c in account.charges),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=ADMIN, purpose=PURPOSE)
@practice_only(what="practice-billing-invoice", roles=BILLERS)
@require_POST
def invoice_new(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Issue an invoice for every line of the client's account not yet invoiced."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    return act_then_back(
        request,
        act=lambda: services.invoice_issue(actor=request.user, client=client, request=request),
        done=lambda invoice: f"Invoice {invoice.number} issued.",
        back=_account_url(client, organisation),
    )


@policy(action=Action.CREATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-billing-payment", roles=BILLERS)
@never_cache
@require_http_methods(["GET", "POST"])
def payment_new(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Record a payment received for the client's account."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    form = PaymentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.payment_record(
                actor=request.user, client=client, request=request, **form.cleaned_data
            ),
            done="Payment recorded.",
            then=_account_url(client, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/billing/payment.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=ADMIN, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-billing-adjustment", roles=BILLERS)
@never_cache
@require_http_methods(["GET", "POST"])
def adjustment_new(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Take an amount off the client's account (a discount, refund, correction or write-off)."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    form = AdjustmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.adjustment_add(
                actor=request.user, client=client, request=request, **form.cleaned_data
            ),
            done="Account adjusted.",
            then=_account_url(client, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/billing/adjustment.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.EXPORT, resource=ADMIN, purpose=Purpose.LEGAL_OBLIGATION, also=(Action.READ,))
@practice_only(what="practice-billing-superbill", roles=BILLERS)
@never_cache
@require_http_methods(["GET", "POST"])
def superbill_export(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Choose the dates, then download the client's superbill as a PDF (an audited export)."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    form = SuperbillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        try:
            services.superbill_record(
                actor=request.user, client=client, start=start, end=end, request=request
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            pdf = superbill.as_pdf(
                client=client,
                start=start,
                end=end,
                sessions=selectors.superbill_sessions(client, start, end),
                diagnosis_codes=selectors.superbill_diagnosis_codes(
                    actor=request.user, client=client, start=start, end=end, request=request
                ),
            )
            response = HttpResponse(pdf, content_type="application/pdf")
            # Named by code and dates, never by the client's name.
            response["Content-Disposition"] = (
                f'attachment; filename="superbill-{client.code}-{start.isoformat()}.pdf"'
            )
            return response
    return render(
        request,
        "practice/practice/billing/superbill.html",
        {
            "organisation": organisation,
            "client": client,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.EXPORT, resource=ADMIN, purpose=Purpose.LEGAL_OBLIGATION, also=(Action.READ,))
@practice_only(what="practice-billing-invoice-pdf", roles=BILLERS)
@never_cache
@require_GET
def invoice_download(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, invoice_pk: Any
) -> HttpResponse:
    """Download one of the client's invoices as a PDF (an audited export)."""
    client = selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )
    invoice, lines = selectors.invoice_of(client, invoice_pk)
    try:
        services.invoice_export_record(actor=request.user, invoice=invoice, request=request)
    except PermissionDenied:
        raise Http404 from None
    response = HttpResponse(
        superbill.invoice_as_pdf(invoice=invoice, lines=lines), content_type="application/pdf"
    )
    # Named by practice number, never by the client's name.
    response["Content-Disposition"] = f'attachment; filename="invoice-{invoice.number}.pdf"'
    return response
