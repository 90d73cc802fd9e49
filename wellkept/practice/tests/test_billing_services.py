"""Billing's services: fees, charges once per session, adjustments, invoices, payments."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from wellkept import clock
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import selectors, services
from wellkept.practice.models import AppointmentStatus, Charge, ChargeKind, Fee, Payment
from wellkept.practice.tests.billing import LONG_AGO, past_session, with_fees
from wellkept.practice.tests.conftest import SETUP, raw_column

pytestmark = pytest.mark.django_db


@pytest.fixture
def codes(practice):
    return with_fees(practice)


def charge(practice, codes, who="bill", code="90834", **session):
    return services.charge_create(
        actor=practice.people[who],
        appointment=past_session(practice, **session),
        service_code=codes[code],
    )


def test_it_sets_a_fee_and_audits_it(practice, codes) -> None:
    fee = services.fee_set(
        actor=practice.people["bill"],
        organisation=practice.harbour,
        service_code=codes["90834"],
        amount=13000,
        currency="usd",
        effective_from=dt.date(2026, 1, 1),
    )
    assert (fee.amount, fee.currency) == (13000, "USD")
    entry = AuditEntry.objects.filter(event=EventType.PRACTICE_FEE_SET).last()
    assert entry.target == f"fee:{fee.pk}"


def test_it_refuses_a_fee_in_a_second_currency_or_a_bad_code(practice, codes) -> None:
    with pytest.raises(ValidationError, match="one currency"):
        services.fee_set(
            actor=SETUP,
            organisation=practice.harbour,
            service_code=codes["90834"],
            amount=1,
            currency="EUR",
            effective_from=LONG_AGO,
        )
    with pytest.raises(ValidationError, match="three-letter"):
        services.fee_set(
            actor=SETUP,
            organisation=practice.harbour,
            service_code=codes["90834"],
            amount=1,
            currency="US",
            effective_from=LONG_AGO,
        )


def test_it_refuses_a_therapist_setting_fees(practice, codes) -> None:
    with pytest.raises(PermissionDenied):
        services.fee_set(
            actor=practice.people["tess"],
            organisation=practice.harbour,
            service_code=codes["90834"],
            amount=1,
            currency="USD",
            effective_from=LONG_AGO,
        )


def test_it_charges_an_attended_session_at_the_fee_in_force(practice, codes) -> None:
    services.fee_set(
        actor=SETUP,
        organisation=practice.harbour,
        service_code=codes["90834"],
        amount=99999,
        currency="USD",
        effective_from=clock.now().date() + dt.timedelta(days=30),
    )
    line = charge(practice, codes)
    assert (line.amount, line.currency, line.kind) == (12000, "USD", ChargeKind.SESSION)
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_CHARGE_CREATED)
    assert entry.target == f"client:{line.client_id}/charge:{line.pk}"
    assert "90834" not in entry.reason


def test_it_stores_the_service_code_encrypted(practice, codes) -> None:
    line = charge(practice, codes)
    stored = raw_column(Charge, line.pk, "service_code")
    assert "90834" not in stored
    assert Charge.objects.get(pk=line.pk).service_code == "90834"


def test_it_charges_a_late_cancellation_at_the_late_fee_without_a_code(practice, codes) -> None:
    services.fee_set(
        actor=SETUP,
        organisation=practice.harbour,
        service_code=None,
        amount=5000,
        currency="USD",
        effective_from=LONG_AGO,
    )
    line = charge(practice, codes, status=AppointmentStatus.LATE_CANCELLED)
    assert line.amount == 5000
    assert line.service_code == ""


def test_it_refuses_a_late_cancellation_without_a_late_fee(practice, codes) -> None:
    with pytest.raises(ValidationError, match="no late-cancellation fee"):
        charge(practice, codes, status=AppointmentStatus.LATE_CANCELLED)


def test_it_refuses_to_charge_a_session_twice(practice, codes) -> None:
    session = past_session(practice)
    services.charge_create(actor=SETUP, appointment=session, service_code=codes["90834"])
    with pytest.raises(ValidationError, match="already charged"):
        services.charge_create(
            actor=practice.people["fran"], appointment=session, service_code=codes["90837"]
        )
    assert Charge.objects.filter(appointment=session).count() == 1


def test_it_has_the_database_refuse_a_second_charge(practice, codes) -> None:
    line = charge(practice, codes)
    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.create(
            organisation=practice.harbour,
            client=line.client,
            kind=ChargeKind.SESSION,
            appointment=line.appointment,
            service_date=line.service_date,
            amount=1,
            currency="USD",
            created_by=practice.people["bill"],
        )


def test_it_refuses_to_charge_a_missed_or_future_session(practice, codes) -> None:
    with pytest.raises(ValidationError, match="attended or late-cancelled"):
        charge(practice, codes, status=AppointmentStatus.NO_SHOW)
    with pytest.raises(ValidationError, match="attended or late-cancelled"):
        charge(practice, codes, status=AppointmentStatus.BOOKED)


def test_it_refuses_a_charge_without_a_fee(practice, codes) -> None:
    Fee.objects.filter(service_code=codes["90837"]).delete()
    with pytest.raises(ValidationError, match="No fee is set for 90837"):
        charge(practice, codes, code="90837")


def test_it_refuses_a_therapist_charging(practice, codes) -> None:
    with pytest.raises(PermissionDenied):
        charge(practice, codes, who="tess")
    assert not Charge.objects.exists()


def test_it_refuses_another_practices_front_desk(practice, codes) -> None:
    with pytest.raises(PermissionDenied):
        charge(practice, codes, who="olga")


def test_it_invoices_open_lines_with_numbers_in_sequence(practice, codes) -> None:
    bill = practice.people["bill"]
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    charge(practice, codes)
    charge(practice, codes, code="90837", days_ago=3)
    first = services.invoice_issue(actor=bill, client=ada)
    charge(practice, codes, client="ben", therapist="theo")
    second = services.invoice_issue(actor=bill, client=ben)
    assert (first.number, second.number) == (1, 2)
    assert first.total == 28000
    assert Charge.objects.filter(invoice=first).count() == 2
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_INVOICE_ISSUED).count() == 2


def test_it_refuses_an_empty_invoice(practice, codes) -> None:
    with pytest.raises(ValidationError, match="nothing to invoice"):
        services.invoice_issue(actor=practice.people["bill"], client=practice.clients["ada"])


def test_it_records_a_payment_and_the_balance_follows(practice, codes) -> None:
    ada = practice.clients["ada"]
    charge(practice, codes)
    payment = services.payment_record(
        actor=practice.people["fran"],
        client=ada,
        amount=5000,
        method="card",
        received_on=clock.now().date(),
        reference="card ending 4242",
    )
    services.adjustment_add(
        actor=practice.people["bill"], client=ada, amount=1000, reason="discount"
    )
    balance = selectors.balance_of(ada)
    assert (balance.charged, balance.paid, balance.due) == (11000, 5000, 6000)
    assert "4242" not in raw_column(Payment, payment.pk, "reference")
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_PAYMENT_RECORDED)
    assert entry.target == f"client:{ada.pk}/payment:{payment.pk}"
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_ADJUSTMENT_ADDED).exists()


def test_it_refuses_a_bad_payment_with_clear_messages(practice, codes) -> None:
    with pytest.raises(ValidationError) as caught:
        services.payment_record(
            actor=practice.people["bill"],
            client=practice.clients["ada"],
            amount=0,
            method="cheque",
            received_on=clock.now().date() + dt.timedelta(days=2),
        )
    assert set(caught.value.message_dict) == {"amount", "method", "received_on"}


def test_it_refuses_an_adjustment_without_a_listed_reason(practice, codes) -> None:
    with pytest.raises(ValidationError, match="why"):
        services.adjustment_add(
            actor=practice.people["bill"], client=practice.clients["ada"], amount=1, reason="x"
        )


def test_it_refuses_a_therapist_recording_a_payment(practice, codes) -> None:
    with pytest.raises(PermissionDenied):
        services.payment_record(
            actor=practice.people["tess"],
            client=practice.clients["ada"],
            amount=100,
            method="cash",
            received_on=clock.now().date(),
        )


def test_it_parses_and_formats_money_exactly() -> None:
    assert services.parse_money("1,234.5") == 123450
    assert services.format_money(-123450, "USD") == "USD -1,234.50"
    with pytest.raises(ValidationError, match="such as 120"):
        services.parse_money("12.345")


def test_it_erases_a_clients_account_with_the_client(practice, codes) -> None:
    ada = practice.clients["ada"]
    charge(practice, codes)
    services.invoice_issue(actor=SETUP, client=ada)
    services.payment_record(
        actor=SETUP, client=ada, amount=100, method="cash", received_on=clock.now().date()
    )
    services.client_erase(actor=SETUP, client=ada)
    assert not Charge.objects.filter(client_id=ada.pk).exists()
    assert not Payment.objects.filter(client_id=ada.pk).exists()
