"""The client's portal pages: only their own, audited, and nothing else of the service."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from wellkept.accounts.models import User
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.portal.tests.conftest import portal_user, signed_in
from wellkept.practice import services as practice_services
from wellkept.practice.models import AppointmentStatus
from wellkept.practice.tests.billing import past_session, text_of, with_fees
from wellkept.practice.tests.schedule import book, next_monday, rooms, slot
from wellkept.practice.tests.test_pages import without_csrf

pytestmark = pytest.mark.django_db

PAGES = ["portal:home", "portal:appointments", "portal:invoices", "portal:access_log"]


def ada_invoice(practice):
    codes = with_fees(practice)
    session = past_session(practice)
    practice_services.charge_create(
        actor=practice.people["fran"], appointment=session, service_code=codes["90834"]
    )
    return practice_services.invoice_issue(
        actor=practice.people["fran"], client=practice.clients["ada"]
    )


@pytest.mark.parametrize("name", PAGES)
def test_it_serves_each_page_to_the_client_and_audits_the_read(practice, ada_portal, name):
    response = ada_portal.get(reverse(name))
    assert response.status_code == 200
    ada = practice.clients["ada"]
    entry = AuditEntry.objects.filter(event=EventType.RECORD_READ).latest("id")
    assert entry.target.startswith(f"client:{ada.pk}/portal/")
    assert entry.outcome == Outcome.ALLOWED


@pytest.mark.parametrize("who", ["tess", "theo", "sue", "fran", "bill", "priya", "amira", "olga"])
@pytest.mark.parametrize("name", PAGES)
def test_staff_cannot_use_portal_pages(practice, who, name):
    response = signed_in(practice.people[who]).get(reverse(name))
    assert response.status_code == 404
    page = {"portal:access_log": "access"}.get(name, name.split(":")[1])
    assert AuditEntry.objects.filter(
        actor_id=str(practice.people[who].pk), outcome=Outcome.DENIED, target=f"portal:{page}"
    ).exists()


def test_a_signed_out_visitor_is_sent_to_sign_in(practice):
    from django.test import Client as Browser

    response = Browser().get(reverse("portal:home"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/practice/clients/",
        "/practice/schedule/",
        "/team/insights/",
        "/team/follow-up/",
        "/privacy/",
        "/manage/invitations/",
        "/me/programme/",
        "/me/data/",
        "/me/consent/",
    ],
)
def test_a_portal_login_reaches_no_other_audience(practice, ada_portal, path):
    response = ada_portal.get(path)
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        outcome=Outcome.DENIED, reason="a portal login outside the portal"
    ).exists()


def test_the_home_page_sends_a_client_to_their_portal(ada_portal):
    response = ada_portal.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")


def test_the_header_offers_a_client_only_their_portal_and_account(ada_portal):
    page = ada_portal.get(reverse("portal:home")).content.decode()
    assert reverse("portal:access_log") in page
    assert reverse("assessments:programme") not in page
    assert reverse("lifecycle:mydata") not in page


def test_home_encourages_a_second_factor(ada_portal):
    page = ada_portal.get(reverse("portal:home")).content.decode()
    assert "Add two-step sign-in" in page
    assert reverse("mfa_index") in page


def test_appointments_show_when_who_and_where_but_never_another_clients(practice, ada_portal):
    room = rooms(practice)["blue"]
    book(practice, "ada", "tess", slot(next_monday(10), room=room))
    book(practice, "ben", "theo", slot(next_monday(14)))
    past_session(practice, status=AppointmentStatus.NO_SHOW)
    page = ada_portal.get(reverse("portal:appointments")).content.decode()
    assert "Blue Room" in page
    assert "Tess" in page
    assert "Did not attend" in page
    assert "Theo" not in page
    home = ada_portal.get(reverse("portal:home")).content.decode()
    assert "Blue Room" in home


def test_invoices_show_the_balance_and_download_as_a_pdf(practice, ada_portal):
    invoice = ada_invoice(practice)
    page = ada_portal.get(reverse("portal:invoices")).content.decode()
    assert f"Invoice {invoice.number}" in page
    assert "120.00" in page
    response = ada_portal.get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Ada" in text_of(response.content)
    entry = AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).latest("id")
    assert entry.target == f"client:{practice.clients['ada'].pk}/portal/invoices"


def test_another_clients_invoice_answers_404_and_is_audited(practice):
    invoice = ada_invoice(practice)
    ben = signed_in(portal_user(practice.clients["ben"]))
    response = ben.get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert response.status_code == 404
    made_up = ben.get(reverse("portal:invoice_pdf", args=[uuid.uuid4()]))
    assert made_up.status_code == 404
    assert without_csrf(made_up.content.decode()) == without_csrf(response.content.decode())
    assert (
        AuditEntry.objects.filter(outcome=Outcome.DENIED, target="portal:invoice:unknown").count()
        == 2
    )


def test_staff_cannot_download_a_clients_invoice_through_the_portal(practice):
    invoice = ada_invoice(practice)
    response = signed_in(practice.people["fran"]).get(
        reverse("portal:invoice_pdf", args=[invoice.pk])
    )
    assert response.status_code == 404


def test_the_access_log_names_staff_and_roles_but_not_content(practice, ada_portal):
    ada = practice.clients["ada"]
    signed_in(practice.people["tess"]).get(
        reverse("practice:client", args=[ada.pk]), {"org": "harbour"}
    )
    signed_in(practice.people["theo"]).get(
        reverse("practice:client", args=[ada.pk]), {"org": "harbour"}
    )
    page = ada_portal.get(reverse("portal:access_log")).content.decode()
    assert "Tess" in page
    assert "Specialist / therapist" in page
    assert "Record read" in page
    # Theo was refused: the attempt is shown as refused.
    assert "Theo" in page
    assert "(refused)" in page
    assert "Canaryvale" not in page
    assert "ada.testwell" not in page


def test_the_access_log_leaves_out_other_clients(practice, ada_portal):
    ben = practice.clients["ben"]
    signed_in(practice.people["theo"]).get(
        reverse("practice:client", args=[ben.pk]), {"org": "harbour"}
    )
    page = ada_portal.get(reverse("portal:access_log")).content.decode()
    assert "Theo" not in page


def test_a_portal_login_is_one_client(practice):
    user = portal_user(practice.clients["ada"])
    assert User.objects.filter(pk=user.pk).count() == 1
    assert user.portal_membership.client == practice.clients["ada"]
