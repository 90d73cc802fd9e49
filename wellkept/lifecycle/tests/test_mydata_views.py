"""My data, consent changes, withdrawal and erasure through the pages."""

from __future__ import annotations

import json
import time

import pytest
from django.db import connection
from django.urls import reverse

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.assessments import services
from wellkept.assessments.models import CheckIn, Response
from wellkept.assessments.tests.fixtures import BURNOUT_OK, PHQ2_LOW
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.consent.models import ConsentRecord
from wellkept.orgs.models import Participant
from wellkept.orgs.scopes import participant_resource
from wellkept.vault.models import DataKey

pytestmark = pytest.mark.django_db


def _check_in(hospital, name="joe"):
    user, participant = hospital.people[name], hospital.participants[name]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    services.checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="phq2", answers=PHQ2_LOW
    )
    services.checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="burnout1", answers=BURNOUT_OK
    )
    return services.checkin_submit(
        actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
    )


def _fresh_login(client, user):
    client.force_login(user)
    # A password sign-in just now, so erasure's re-authentication is satisfied.
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time()}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    return client


def test_it_shows_everything_kept_and_the_answers(client, hospital):
    _check_in(hospital)
    client.force_login(hospital.people["joe"])
    page = client.get(reverse("lifecycle:mydata")).content.decode()
    assert "Ward 7" in page
    assert "Day shifts" in page
    assert "Little interest or pleasure in doing things" in page
    assert "Nobody but you has accessed your data." in page


def test_it_lists_accesses_by_others_with_role_purpose_and_date(client, hospital):
    participant = hospital.participants["joe"]
    can(
        hospital.people["wendy"],
        Action.READ,
        participant_resource(participant, "response:x"),
        Purpose.BURNOUT_FOLLOW_UP,
    )
    client.force_login(hospital.people["joe"])
    page = client.get(reverse("lifecycle:mydata")).content.decode()
    assert "burnout follow up" in page
    assert "A staff member" in page
    assert "Nobody but you" not in page


def test_it_downloads_everything_as_json_and_fhir(client, hospital):
    _check_in(hospital)
    client.force_login(hospital.people["joe"])
    data = json.loads(client.get(reverse("lifecycle:export_json")).content)
    assert "joe@" not in json.dumps(data)
    bundle = json.loads(client.get(reverse("lifecycle:export_fhir")).content)
    assert bundle["resourceType"] == "Bundle"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert {"QuestionnaireResponse", "Consent"} <= kinds
    assert PseudonymousEntry.objects.filter(event="record.export").count() == 2


def test_it_offers_an_empty_page_to_someone_who_never_joined(client, hospital):
    client.force_login(hospital.people["nadia"])
    page = client.get(reverse("lifecycle:mydata"))
    assert b"keeps no answers" in page.content
    assert client.get(reverse("lifecycle:export_json")).status_code == 302


def test_it_turns_reminders_off_and_on(client, hospital):
    client.force_login(hospital.people["joe"])
    client.post(reverse("lifecycle:reminders"), {"reminders": "off"})
    assert (
        hospital.participants["joe"]
        .__class__.objects.get(pk=hospital.participants["joe"].pk)
        .reminder_opt_out
    )
    client.post(reverse("lifecycle:reminders"), {"reminders": "on"})
    assert not AuditEntry.objects.filter(
        actor_id=str(hospital.people["joe"].pk), event="reminder.unsubscribed"
    ).exists()


def test_it_changes_optional_choices_with_a_new_record(client, hospital):
    client.force_login(hospital.people["joe"])
    client.post(reverse("consent:update"), {"safety_alert": "on", "notice_version": 1})
    latest = ConsentRecord.objects.filter(participant=hospital.participants["joe"]).first()
    assert (latest.event, latest.follow_up_contact, latest.safety_alert) == ("changed", False, True)
    assert PseudonymousEntry.objects.filter(event="consent.changed").count() == 1


def test_it_downloads_a_receipt_for_each_decision(client, hospital):
    client.force_login(hospital.people["joe"])
    record = ConsentRecord.objects.get(participant=hospital.participants["joe"])
    receipt = json.loads(client.get(reverse("consent:receipt", args=[record.pk])).content)
    assert hospital.participants["joe"].token in json.dumps(receipt)
    other = ConsentRecord.objects.get(participant=hospital.participants["sara"])
    assert client.get(reverse("consent:receipt", args=[other.pk])).status_code == 404


def test_it_withdraws_stops_collection_and_offers_erasure(client, hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    client.force_login(user)
    response = client.post(reverse("consent:withdraw"))
    assert response["Location"] == reverse("consent:withdrawn")
    assert b"Erase everything about me" in client.get(response["Location"]).content
    assert not CheckIn.objects.filter(participant=participant).exists()
    assert client.post(reverse("assessments:start", args=["pulse"])).status_code == 302
    assert not CheckIn.objects.filter(participant=participant).exists()


def test_it_asks_to_confirm_before_erasing(client, hospital):
    client = _fresh_login(client, hospital.people["joe"])
    response = client.post(reverse("lifecycle:erase"), {})
    assert response.status_code == 400
    assert Participant.objects.filter(pk=hospital.participants["joe"].pk).exists()


def test_it_erases_everything_and_leaves_nothing_readable(client, hospital):
    _check_in(hospital)
    participant = hospital.participants["joe"]
    token = participant.token
    client = _fresh_login(client, hospital.people["joe"])
    response = client.post(reverse("lifecycle:erase"), {"confirm": "erase"})
    assert response.status_code == 200
    assert b"Your data is erased" in response.content
    assert not Participant.objects.filter(pk=participant.pk).exists()
    assert not Response.objects.filter(participant_id=participant.pk).exists()
    assert not ConsentRecord.objects.filter(participant_id=participant.pk).exists()
    assert DataKey.objects.get(subject=f"participant:{token}").is_shredded
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM orgs_participant WHERE token = %s", [token])
        assert cursor.fetchone()[0] == 0
    erased = PseudonymousEntry.objects.get(event="subject.erased")
    assert erased.target == f"participant:{token}"
    assert erased.actor_label == f"participant:{token}"
    # A fresh start: the programme page asks them to join again.
    page = client.get(reverse("assessments:programme"))
    assert b"I want to take part" in page.content


def test_it_does_not_let_staff_erase_or_export(client, hospital):
    client.force_login(hospital.people["lena"])
    client.get(reverse("lifecycle:export_json"))
    client.post(reverse("lifecycle:erase"), {"confirm": "erase"})
    assert Participant.objects.filter(pk=hospital.participants["joe"].pk).exists()
