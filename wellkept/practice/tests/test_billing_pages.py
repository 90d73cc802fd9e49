"""Billing's pages: the front desk's and billing's only; every form says what is wrong."""

from __future__ import annotations

import pytest

from wellkept import clock
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import services
from wellkept.practice.models import Charge, Fee, Invoice, Payment
from wellkept.practice.tests.billing import past_session, text_of, with_fees
from wellkept.practice.tests.conftest import ADA_LEGAL, ADA_PREFERRED, SETUP, signed_in

pytestmark = pytest.mark.django_db

ORG = "?org=harbour"
NOBODY_OF_BILLING = ("tess", "sue", "priya", "amira", "olga")


@pytest.fixture
def codes(practice):
    return with_fees(practice)


@pytest.fixture
def session(practice, codes):
    return past_session(practice)


def account_url(practice, client="ada", page=""):
    return f"/practice/billing/clients/{practice.clients[client].pk}/{page}{ORG}"


def test_it_shows_billing_the_queue_by_code(practice, session) -> None:
    page = signed_in(practice.people["bill"]).get(f"/practice/billing/{ORG}")
    assert page.status_code == 200
    text = page.content.decode()
    assert practice.clients["ada"].code in text
    assert "90834" in text
    assert ADA_LEGAL not in text
    assert ADA_PREFERRED not in text


@pytest.mark.parametrize("who", NOBODY_OF_BILLING)
def test_it_refuses_everyone_else_every_billing_page(practice, session, who) -> None:
    browser = signed_in(practice.people[who])
    for url in (
        f"/practice/billing/{ORG}",
        f"/practice/billing/fees/{ORG}",
        account_url(practice),
        account_url(practice, page="payment/"),
        account_url(practice, page="adjustment/"),
        account_url(practice, page="superbill/"),
    ):
        assert browser.get(url).status_code == 404, url
    assert (
        browser.post(
            f"/practice/billing/appointments/{session.pk}/charge/{ORG}", {"service_code": "90834"}
        ).status_code
        == 404
    )
    assert browser.post(account_url(practice, page="invoice/")).status_code == 404
    assert not Charge.objects.exists()
    assert not Invoice.objects.exists()
    assert AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).exists()


def test_it_charges_from_the_queue(practice, session) -> None:
    browser = signed_in(practice.people["fran"])
    answer = browser.post(
        f"/practice/billing/appointments/{session.pk}/charge/{ORG}",
        {"service_code": "90837"},
        follow=True,
    )
    assert "charged USD 160.00" in answer.content.decode()
    assert Charge.objects.get(appointment=session).amount == 16000
    again = browser.post(
        f"/practice/billing/appointments/{session.pk}/charge/{ORG}",
        {"service_code": "90834"},
        follow=True,
    )
    assert "already charged" in again.content.decode()


def test_it_refuses_a_charge_with_an_unknown_code(practice, session) -> None:
    answer = signed_in(practice.people["bill"]).post(
        f"/practice/billing/appointments/{session.pk}/charge/{ORG}",
        {"service_code": "99999"},
        follow=True,
    )
    assert "Choose one of the practice" in answer.content.decode()
    assert not Charge.objects.exists()


def test_it_sets_a_fee_from_the_fee_page(practice, codes) -> None:
    browser = signed_in(practice.people["bill"])
    answer = browser.post(
        f"/practice/billing/fees/{ORG}",
        {
            "service_code": "90834",
            "amount": "135.50",
            "currency": "USD",
            "effective_from": "2026-02-01",
        },
        follow=True,
    )
    assert "Fee for 90834 set from 2026-02-01" in answer.content.decode()
    assert Fee.objects.filter(amount=13550).exists()


def test_it_says_what_is_wrong_with_a_fee(practice, codes) -> None:
    answer = signed_in(practice.people["bill"]).post(
        f"/practice/billing/fees/{ORG}",
        {"service_code": "90834", "amount": "lots", "currency": "EUR", "effective_from": "soon"},
    )
    text = answer.content.decode()
    assert answer.status_code == 200
    assert "Enter an amount such as 120 or 120.50." in text
    assert "Enter the day as YYYY-MM-DD." in text


def test_it_shows_the_account_invoices_and_records_a_payment(practice, session, codes) -> None:
    services.charge_create(actor=SETUP, appointment=session, service_code=codes["90834"])
    browser = signed_in(practice.people["bill"])
    browser.post(account_url(practice, page="invoice/"))
    assert Invoice.objects.get().number == 1
    answer = browser.post(
        account_url(practice, page="payment/"),
        {"amount": "20", "method": "cash", "received_on": clock.now().date().isoformat()},
        follow=True,
    )
    text = answer.content.decode()
    assert "Payment recorded." in text
    assert "USD 100.00" in text  # 120 charged, 20 paid
    assert "Invoice 1" in text
    assert Payment.objects.get().amount == 2000


def test_it_refuses_an_empty_invoice_with_a_message(practice, codes) -> None:
    answer = signed_in(practice.people["bill"]).post(
        account_url(practice, page="invoice/"), follow=True
    )
    assert "nothing to invoice" in answer.content.decode()


def test_it_says_what_is_wrong_with_a_payment(practice, codes) -> None:
    answer = signed_in(practice.people["fran"]).post(
        account_url(practice, page="payment/"),
        {"amount": "-5", "method": "gold", "received_on": ""},
    )
    text = answer.content.decode()
    assert "Enter an amount such as 120" in text
    assert "Choose card, cash, bank transfer or insurance." in text
    assert not Payment.objects.exists()


def test_it_adjusts_an_account(practice, codes) -> None:
    answer = signed_in(practice.people["bill"]).post(
        account_url(practice, page="adjustment/"),
        {"amount": "15", "reason": "write_off"},
        follow=True,
    )
    assert "Account adjusted." in answer.content.decode()
    assert Charge.objects.get().amount == -1500


def test_it_refuses_another_practices_client(practice, codes) -> None:
    page = signed_in(practice.people["bill"]).get(account_url(practice, client="otto"))
    assert page.status_code == 404


def test_it_downloads_an_invoice_with_the_clients_name(practice, session, codes) -> None:
    services.charge_create(actor=SETUP, appointment=session, service_code=codes["90834"])
    invoice = services.invoice_issue(actor=SETUP, client=practice.clients["ada"])
    url = account_url(practice, page=f"invoices/{invoice.pk}.pdf")
    answer = signed_in(practice.people["bill"]).get(url)
    assert answer.status_code == 200
    assert answer["Content-Disposition"] == 'attachment; filename="invoice-1.pdf"'
    text = text_of(answer.content)
    assert ADA_LEGAL in text
    assert "USD 120.00" in text
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_INVOICE_EXPORTED)
    assert entry.target == f"client:{practice.clients['ada'].pk}/invoice:{invoice.pk}"


@pytest.mark.parametrize("who", NOBODY_OF_BILLING)
def test_it_refuses_everyone_else_an_invoice(practice, session, codes, who) -> None:
    services.charge_create(actor=SETUP, appointment=session, service_code=codes["90834"])
    invoice = services.invoice_issue(actor=SETUP, client=practice.clients["ada"])
    url = account_url(practice, page=f"invoices/{invoice.pk}.pdf")
    assert signed_in(practice.people[who]).get(url).status_code == 404
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_INVOICE_EXPORTED).exists()


def test_it_answers_404_for_another_clients_invoice(practice, codes) -> None:
    services.charge_create(
        actor=SETUP,
        appointment=past_session(practice, client="ben", therapist="theo"),
        service_code=codes["90834"],
    )
    invoice = services.invoice_issue(actor=SETUP, client=practice.clients["ben"])
    url = account_url(practice, page=f"invoices/{invoice.pk}.pdf")
    assert signed_in(practice.people["bill"]).get(url).status_code == 404


def test_it_sets_the_late_fee_and_charges_a_late_cancellation(practice, codes) -> None:
    browser = signed_in(practice.people["fran"])
    set_fee = browser.post(
        f"/practice/billing/fees/{ORG}",
        {"service_code": "late", "amount": "50", "currency": "USD", "effective_from": "2020-01-01"},
        follow=True,
    )
    assert "Fee for late cancellations set from 2020-01-01" in set_fee.content.decode()
    late = past_session(practice, status="late_cancelled")
    queue = browser.get(f"/practice/billing/{ORG}").content.decode()
    assert "Charge the late-cancellation fee" in queue
    answer = browser.post(f"/practice/billing/appointments/{late.pk}/charge/{ORG}", follow=True)
    assert "charged USD 50.00" in answer.content.decode()
