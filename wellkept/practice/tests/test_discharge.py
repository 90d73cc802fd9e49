"""Discharge and re-admission: who may, what changes, what is refused, and the pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from wellkept import clock
from wellkept.audit.events import EventType
from wellkept.audit.tests import trail
from wellkept.practice import holds, services
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    CancelReason,
    Client,
    ClientAssignment,
    ClientStatus,
)
from wellkept.practice.tests.conftest import SETUP, raw_column, signed_in
from wellkept.practice.tests.schedule import book, next_monday, slot

pytestmark = pytest.mark.django_db

HARBOUR = {"org": "harbour"}


def events_since(mark: trail.Mark) -> list[str]:
    return [e.event for e in trail.written_since(mark)]


def discharge(practice, who: str, key: str = "ada", reason: str = "completed") -> Client:
    return services.client_discharge(
        actor=practice.people[who], client=practice.clients[key], reason_code=reason
    ).client


# ---- client_discharge -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["tess", "fran"])
def test_it_discharges_for_the_assigned_therapist_or_the_front_desk(practice, who) -> None:
    before = trail.mark()
    client = discharge(practice, who)

    fresh = Client.objects.get(pk=client.pk)
    assert fresh.status == ClientStatus.DISCHARGED
    assert fresh.discharged_on == clock.now().date()
    assert fresh.discharge_reason == "completed"
    assert not ClientAssignment.objects.filter(client=fresh, until__isnull=True).exists()
    assert ClientAssignment.objects.filter(client=fresh, until__isnull=False).count() == 1
    entries = [e for e in trail.written_since(before) if e.event != EventType.RECORD_UPDATE]
    assert [e.event for e in entries] == [EventType.PRACTICE_CLIENT_DISCHARGED]
    assert entries[0].target == f"client:{client.pk}"
    assert entries[0].reason == "assignments ended 1"


def test_it_keeps_the_discharge_reason_encrypted(practice) -> None:
    client = discharge(practice, "fran", reason="referred")
    assert "referred" not in raw_column(Client, client.pk, "discharge_reason")


@pytest.mark.parametrize("who", ["theo", "sue", "bill", "priya", "oren", "olga"])
def test_it_refuses_to_discharge_for_anyone_else(practice, who) -> None:
    with pytest.raises(PermissionDenied):
        discharge(practice, who)
    ada = Client.objects.get(pk=practice.clients["ada"].pk)
    assert ada.status == ClientStatus.ACTIVE
    assert ada.discharged_on is None


def test_it_refuses_a_client_discharged_already(practice) -> None:
    discharge(practice, "fran")
    with pytest.raises(ValidationError, match="discharged already"):
        discharge(practice, "fran")


def test_it_refuses_an_unknown_reason(practice) -> None:
    with pytest.raises(ValidationError, match="Choose why"):
        discharge(practice, "fran", reason="annoying")
    assert Client.objects.get(pk=practice.clients["ada"].pk).status == ClientStatus.ACTIVE


def test_it_refuses_to_book_a_discharged_client(practice) -> None:
    discharge(practice, "fran")
    practice.clients["ada"].refresh_from_db()
    with pytest.raises(ValidationError, match="discharged"):
        book(practice, "ada", "tess", slot(next_monday()))


def test_it_takes_the_record_away_from_the_former_therapist(practice) -> None:
    discharge(practice, "tess")
    page = signed_in(practice.people["tess"]).get(
        reverse("practice:client", args=[practice.clients["ada"].pk]), HARBOUR
    )
    assert page.status_code == 404


def test_it_cancels_the_future_appointments_as_audited_cancellations(practice) -> None:
    first = book(practice, "ada", "tess", slot(next_monday(10)))
    second = book(practice, "ada", "tess", slot(next_monday(12)))
    past = book(practice, "ada", "tess", slot(next_monday(14)))
    # An appointment that already took place stays as it was.
    earlier = clock.now() - dt.timedelta(days=2)
    Appointment.objects.filter(pk=past.pk).update(
        start=earlier, end=earlier + dt.timedelta(minutes=50)
    )
    bens = book(practice, "ben", "theo", slot(next_monday(10)))
    before = trail.mark()

    done = services.client_discharge(
        actor=practice.people["fran"], client=practice.clients["ada"], reason_code="completed"
    )

    assert done.appointments_cancelled == 2
    for appointment in (first, second):
        appointment.refresh_from_db()
        assert appointment.status == AppointmentStatus.CANCELLED
        assert appointment.cancel_reason == CancelReason.DISCHARGED
    assert Appointment.objects.get(pk=past.pk).status == AppointmentStatus.BOOKED
    assert Appointment.objects.get(pk=bens.pk).status == AppointmentStatus.BOOKED
    cancellations = [
        e
        for e in trail.written_since(before)
        if e.event == EventType.PRACTICE_APPOINTMENT_CANCELLED
    ]
    assert sorted(e.target for e in cancellations) == sorted(
        f"appointment:{a.pk}" for a in (first, second)
    )
    assert {e.reason for e in cancellations} == {"discharged"}


def test_it_cancels_nothing_when_a_refused_discharge_changes_nothing(practice) -> None:
    booked = book(practice, "ada", "tess", slot(next_monday()))
    with pytest.raises(PermissionDenied):
        discharge(practice, "bill")
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert booked.cancel_reason == ""


def test_it_does_not_restore_the_cancelled_appointments_on_readmission(practice) -> None:
    booked = book(practice, "ada", "tess", slot(next_monday()))
    discharge(practice, "fran")
    services.client_readmit(actor=practice.people["fran"], client=practice.clients["ada"])
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED
    assert booked.cancel_reason == CancelReason.DISCHARGED


# ---- client_readmit ---------------------------------------------------------------------


def test_it_readmits_for_the_front_desk(practice) -> None:
    discharge(practice, "tess")
    before = trail.mark()
    client = services.client_readmit(actor=practice.people["fran"], client=practice.clients["ada"])
    fresh = Client.objects.get(pk=client.pk)
    assert fresh.status == ClientStatus.ACTIVE
    assert fresh.discharged_on is None
    assert fresh.discharge_reason is None
    assert EventType.PRACTICE_CLIENT_READMITTED in events_since(before)


@pytest.mark.parametrize("who", ["tess", "bill", "sue", "olga"])
def test_it_refuses_to_readmit_for_anyone_but_the_front_desk(practice, who) -> None:
    discharge(practice, "fran")
    with pytest.raises(PermissionDenied):
        services.client_readmit(actor=practice.people[who], client=practice.clients["ada"])
    assert Client.objects.get(pk=practice.clients["ada"].pk).status == ClientStatus.DISCHARGED


def test_it_refuses_to_readmit_a_client_in_care(practice) -> None:
    with pytest.raises(ValidationError, match="in care"):
        services.client_readmit(actor=practice.people["fran"], client=practice.clients["ada"])


# ---- erasure and holds ------------------------------------------------------------------


def test_it_refuses_to_erase_a_held_client(practice, monkeypatch) -> None:
    monkeypatch.setattr(holds, "_HOLD_CHECK", [lambda client: True])
    with pytest.raises(holds.ClientHeld, match="legal hold"):
        services.client_erase(actor=SETUP, client=practice.clients["ada"])
    assert Client.objects.filter(pk=practice.clients["ada"].pk).exists()


def test_it_refuses_to_erase_when_nobody_can_say_there_is_no_hold(practice, monkeypatch) -> None:
    monkeypatch.setattr(holds, "_HOLD_CHECK", [])
    with pytest.raises(holds.ClientHeld):
        services.client_erase(actor=SETUP, client=practice.clients["ada"])
    assert Client.objects.filter(pk=practice.clients["ada"].pk).exists()


# ---- the pages --------------------------------------------------------------------------


def discharge_url(practice, key: str = "ada") -> str:
    return reverse("practice:client_discharge", args=[practice.clients[key].pk])


def readmit_url(practice, key: str = "ada") -> str:
    return reverse("practice:client_readmit", args=[practice.clients[key].pk])


@pytest.mark.parametrize("who", ["tess", "fran"])
def test_it_offers_the_discharge_to_those_who_may(practice, who) -> None:
    browser = signed_in(practice.people[who])
    detail = browser.get(reverse("practice:client", args=[practice.clients["ada"].pk]), HARBOUR)
    assert discharge_url(practice) in detail.text
    page = browser.get(discharge_url(practice), HARBOUR)
    assert page.status_code == 200
    assert "Treatment goals met" in page.text


@pytest.mark.parametrize("who", ["bill", "sue", "theo", "priya", "olga"])
def test_it_answers_404_on_the_discharge_page_to_anyone_else(practice, who) -> None:
    browser = signed_in(practice.people[who])
    assert browser.get(discharge_url(practice), HARBOUR).status_code == 404
    posted = browser.post(
        discharge_url(practice) + "?org=harbour", {"reason_code": "completed", "confirm": "on"}
    )
    assert posted.status_code == 404
    assert Client.objects.get(pk=practice.clients["ada"].pk).status == ClientStatus.ACTIVE


def test_it_discharges_from_the_page_after_confirmation(practice) -> None:
    browser = signed_in(practice.people["tess"])
    done = browser.post(
        discharge_url(practice) + "?org=harbour", {"reason_code": "client_ended", "confirm": "on"}
    )
    assert done.status_code == 302
    assert Client.objects.get(pk=practice.clients["ada"].pk).status == ClientStatus.DISCHARGED


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason_code": "completed"}, "Tick the box to confirm the discharge."),
        ({"confirm": "on"}, "Choose why the client is discharged."),
        ({"reason_code": "nope", "confirm": "on"}, "from the list"),
    ],
)
def test_it_explains_a_discharge_form_that_is_not_complete(practice, data, message) -> None:
    page = signed_in(practice.people["fran"]).post(discharge_url(practice) + "?org=harbour", data)
    assert page.status_code == 400
    assert message in page.text
    assert Client.objects.get(pk=practice.clients["ada"].pk).status == ClientStatus.ACTIVE


def test_it_readmits_from_the_page_for_the_front_desk(practice) -> None:
    discharge(practice, "fran")
    browser = signed_in(practice.people["fran"])
    detail = browser.get(reverse("practice:client", args=[practice.clients["ada"].pk]), HARBOUR)
    assert readmit_url(practice) in detail.text
    assert browser.post(readmit_url(practice) + "?org=harbour").status_code == 302
    assert Client.objects.get(pk=practice.clients["ada"].pk).status == ClientStatus.ACTIVE


@pytest.mark.parametrize("who", ["bill", "tess", "sue"])
def test_it_answers_404_on_readmission_to_anyone_but_the_front_desk(practice, who) -> None:
    discharge(practice, "fran")
    page = signed_in(practice.people[who]).post(readmit_url(practice) + "?org=harbour")
    assert page.status_code == 404
    assert Client.objects.get(pk=practice.clients["ada"].pk).status == ClientStatus.DISCHARGED


def test_the_database_ties_the_discharge_day_to_the_status(practice) -> None:
    ada = practice.clients["ada"]
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=ada.pk).update(status=ClientStatus.DISCHARGED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Client.objects.filter(pk=ada.pk).update(discharged_on=clock.now().date())
