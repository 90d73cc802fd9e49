"""Client records of the practice: retention after discharge, minors, and legal holds on clients.

Personas are the practice's (``practice.tests.conftest``): Ada (an adult,
with Tess), Ben (an adult, with Theo), Mia (12, with Theo); Priya is
Harbour Practice's privacy officer, Fran its front desk.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.lifecycle.models import DataCategory, HoldScope, LegalHold
from wellkept.lifecycle.retention import (
    RETENTION_ACTOR,
    RetentionReport,
    client_expired,
    retention_run,
)
from wellkept.lifecycle.selectors import months_before
from wellkept.lifecycle.services import legal_hold_lift, legal_hold_set, retention_set
from wellkept.practice import services
from wellkept.practice.holds import ClientHeld
from wellkept.practice.models import Appointment, AppointmentStatus, Client
from wellkept.practice.selectors import DischargedClient, discharged_for_retention
from wellkept.practice.tests.conftest import SETUP, Practice, build_practice, signed_in
from wellkept.practice.tests.schedule import book, next_monday, slot
from wellkept.vault.models import DataKey

pytestmark = pytest.mark.django_db

REASON = "Malpractice claim 2026/77 names this client's care: keep the record."
TODAY = dt.date(2026, 12, 6)
# Eight years ago: past the default seven years for client records.
LONG_AGO = dt.date(2018, 11, 1)


@pytest.fixture
def practice(db: None) -> Practice:
    return build_practice()


def discharged(practice: Practice, key: str, on: dt.date) -> Client:
    """Discharge the client (through the service), then date the discharge ``on``."""
    services.client_discharge(actor=SETUP, client=practice.clients[key], reason_code="completed")
    Client.objects.filter(pk=practice.clients[key].pk).update(discharged_on=on)
    return Client.objects.get(pk=practice.clients[key].pk)


def run(*, dry_run: bool = False) -> RetentionReport:
    return retention_run(on=TODAY, dry_run=dry_run)


def hold(practice: Practice, key: str) -> LegalHold:
    return legal_hold_set(
        actor=practice.people["priya"],
        organisation=practice.harbour,
        client_code=practice.clients[key].code,
        reason=REASON,
    )


# ---- when a record expires ----------------------------------------------------------------


def facts(last: dt.date, of_age: dt.date | None = None) -> DischargedClient:
    return DischargedClient(client=Client(), last_contact=last, comes_of_age=of_age)


def test_it_expires_an_adult_whose_last_contact_is_before_the_cutoff() -> None:
    cutoff = dt.date(2019, 12, 6)
    assert client_expired(facts(dt.date(2019, 12, 5)), cutoff)
    assert not client_expired(facts(dt.date(2019, 12, 6)), cutoff)


def test_it_keeps_a_minor_until_the_period_has_run_from_their_18th_birthday() -> None:
    cutoff = dt.date(2019, 12, 6)
    assert not client_expired(facts(dt.date(2015, 1, 1), dt.date(2021, 5, 1)), cutoff)
    assert client_expired(facts(dt.date(2015, 1, 1), dt.date(2019, 5, 1)), cutoff)
    # An unreadable date of birth is never guessed: the record stays.
    assert not client_expired(facts(dt.date(2015, 1, 1), dt.date.max), cutoff)


def test_it_counts_the_last_attended_appointment_as_contact(practice) -> None:
    appointment = book(practice, "ada", "tess", slot(next_monday()))
    attended = dt.datetime(2019, 3, 4, 10, tzinfo=dt.UTC)
    Appointment.objects.filter(pk=appointment.pk).update(
        start=attended, end=attended + dt.timedelta(hours=1), status=AppointmentStatus.ATTENDED
    )
    discharged(practice, "ada", LONG_AGO)
    found = discharged_for_retention(actor=RETENTION_ACTOR, organisation=practice.harbour)
    assert [(f.client.pk, f.last_contact) for f in found] == [
        (practice.clients["ada"].pk, dt.date(2019, 3, 4))
    ]
    assert found[0].comes_of_age is None


def test_it_tells_when_a_discharged_minor_comes_of_age(practice) -> None:
    mia = discharged(practice, "mia", TODAY)
    (found,) = discharged_for_retention(actor=RETENTION_ACTOR, organisation=practice.harbour)
    assert found.client.pk == mia.pk
    assert found.comes_of_age is not None
    assert found.comes_of_age > TODAY


# ---- the run ----------------------------------------------------------------------------


def test_it_erases_a_client_discharged_longer_ago_than_the_period(practice) -> None:
    ada = discharged(practice, "ada", LONG_AGO)
    report = run()
    assert not Client.objects.filter(pk=ada.pk).exists()
    assert DataKey.objects.get(subject=ada.dek_subject).is_shredded
    assert report.totals()[0]["clients erased"] == 1
    assert "1 clients erased" in report.summary()
    assert AuditEntry.objects.filter(
        event=EventType.PRACTICE_CLIENT_ERASED, target=f"client:{ada.pk}"
    ).exists()
    # Everyone else stays: in care, or another practice's.
    assert Client.objects.filter(pk__in=[c.pk for c in practice.clients.values()]).count() == 3


def test_it_never_erases_a_client_in_care_or_discharged_recently(practice) -> None:
    discharged(practice, "ben", months_before(TODAY, 83))
    report = run()
    assert Client.objects.count() == 4
    assert report.totals()[0]["clients erased"] == 0


def test_it_follows_the_period_the_privacy_officer_set(practice) -> None:
    ben = discharged(practice, "ben", months_before(TODAY, 30))
    retention_set(
        actor=practice.people["priya"],
        organisation=practice.harbour,
        category=DataCategory.CLIENT_RECORDS,
        months=24,
    )
    run()
    assert not Client.objects.filter(pk=ben.pk).exists()


@pytest.mark.parametrize("months", [11, 361])
def test_it_refuses_a_client_records_period_out_of_bounds(practice, months) -> None:
    with pytest.raises(ValidationError):
        retention_set(
            actor=practice.people["priya"],
            organisation=practice.harbour,
            category=DataCategory.CLIENT_RECORDS,
            months=months,
        )


def test_it_keeps_a_minor_discharged_long_ago(practice) -> None:
    mia = discharged(practice, "mia", LONG_AGO)
    report = run()
    assert Client.objects.filter(pk=mia.pk).exists()
    assert report.totals()[0]["clients erased"] == 0


def test_a_dry_run_counts_the_clients_and_changes_nothing(practice) -> None:
    ada = discharged(practice, "ada", LONG_AGO)
    report = run(dry_run=True)
    assert Client.objects.filter(pk=ada.pk).exists()
    assert report.totals()[0]["clients erased"] == 1
    assert "would delete 1 clients erased" in report.summary()


def test_it_keeps_a_held_client_and_counts_it_as_held(practice) -> None:
    ada = discharged(practice, "ada", LONG_AGO)
    hold(practice, "ada")
    report = run()
    assert Client.objects.filter(pk=ada.pk).exists()
    deleted, held = report.totals()
    assert deleted["clients erased"] == 0
    assert held["clients erased"] == 1


def test_it_erases_a_client_once_the_hold_is_lifted(practice) -> None:
    ada = discharged(practice, "ada", LONG_AGO)
    legal_hold_lift(actor=practice.people["priya"], hold=hold(practice, "ada"), reason=REASON)
    run()
    assert not Client.objects.filter(pk=ada.pk).exists()
    # The lifted hold went with the client; its reason was under the shredded key.
    assert not LegalHold.objects.filter(client_id=ada.pk).exists()


# ---- holds on clients -------------------------------------------------------------------


def test_it_puts_a_hold_on_a_client_by_code_and_audits_it(practice) -> None:
    ada = practice.clients["ada"]
    found = hold(practice, "ada")
    assert found.scope == HoldScope.CLIENT
    assert found.participant_id is None
    assert found.reason == REASON
    entry = AuditEntry.objects.filter(event=EventType.LEGAL_HOLD_SET).latest("id")
    assert entry.target == f"client:{ada.pk}/hold:{found.pk}"
    assert entry.reason == "client"
    assert ada.code not in entry.target


def test_it_refuses_client_erasure_while_the_hold_is_in_force(practice) -> None:
    hold(practice, "ada")
    with pytest.raises(ClientHeld, match="legal hold"):
        services.client_erase(actor=SETUP, client=practice.clients["ada"])
    assert Client.objects.filter(pk=practice.clients["ada"].pk).exists()


def test_it_refuses_a_second_hold_on_the_same_client(practice) -> None:
    hold(practice, "ada")
    with pytest.raises(ValidationError, match="already in force"):
        hold(practice, "ada")


@pytest.mark.parametrize("code", ["C-ZZZZZ", "nonsense", ""])
def test_it_refuses_an_unknown_client_code(practice, code) -> None:
    with pytest.raises(ValidationError):
        legal_hold_set(
            actor=practice.people["priya"],
            organisation=practice.harbour,
            client_code=code or " ",
            reason=REASON,
        )


def test_it_refuses_another_practices_client(practice) -> None:
    with pytest.raises(ValidationError, match="No client"):
        legal_hold_set(
            actor=practice.people["priya"],
            organisation=practice.harbour,
            client_code=practice.clients["otto"].code,
            reason=REASON,
        )


@pytest.mark.parametrize("who", ["fran", "tess", "amira"])
def test_it_refuses_a_client_hold_to_anyone_but_the_privacy_officer(practice, who) -> None:
    with pytest.raises(PermissionDenied):
        legal_hold_set(
            actor=practice.people[who],
            organisation=practice.harbour,
            client_code=practice.clients["ada"].code,
            reason=REASON,
        )
    assert not LegalHold.objects.exists()


def test_it_lifts_a_client_hold_and_audits_it(practice) -> None:
    found = hold(practice, "ada")
    legal_hold_lift(actor=practice.people["priya"], hold=found, reason="The claim was settled.")
    entry = AuditEntry.objects.filter(event=EventType.LEGAL_HOLD_LIFTED).latest("id")
    assert entry.target == f"client:{practice.clients['ada'].pk}/hold:{found.pk}"


# ---- the holds page ---------------------------------------------------------------------

HOLDS = reverse("lifecycle:hold_set") + "?org=harbour"
PAGE = reverse("lifecycle:retention") + "?org=harbour"


def test_the_privacy_officer_puts_a_client_hold_on_the_page(practice) -> None:
    browser = signed_in(practice.people["priya"])
    code = practice.clients["ada"].code
    done = browser.post(HOLDS, {"client": code, "reason": REASON})
    assert done.status_code == 302
    assert LegalHold.objects.filter(client=practice.clients["ada"]).exists()
    page = browser.get(PAGE)
    assert code in page.text
    assert "Client records (practice)" in page.text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"client": "C-ZZZZZ", "reason": REASON}, "No client with this code"),
        ({"client": "C-ZZZZZ", "token": "abcdefgh", "reason": REASON}, "Give only one"),
    ],
)
def test_the_holds_page_explains_a_bad_client_code(practice, data, message) -> None:
    page = signed_in(practice.people["priya"]).post(HOLDS, data)
    assert page.status_code == 400
    assert message in page.text
    assert not LegalHold.objects.exists()


@pytest.mark.parametrize("who", ["fran", "tess", "bill"])
def test_the_holds_page_answers_404_to_practice_staff(practice, who) -> None:
    code = practice.clients["ada"].code
    page = signed_in(practice.people[who]).post(HOLDS, {"client": code, "reason": REASON})
    assert page.status_code == 404
    assert not LegalHold.objects.exists()


def test_the_database_refuses_a_hold_on_nobody_or_on_two_subjects(practice, hospital) -> None:
    found = hold(practice, "ada")
    rows = LegalHold.objects.filter(pk=found.pk)
    for change in ({"client": None}, {"participant": hospital.participants["joe"]}):
        with pytest.raises(IntegrityError), transaction.atomic():
            rows.update(**change)
