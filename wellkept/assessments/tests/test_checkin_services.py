"""Joining, checking in, scoring, safety alerts and consent gating, at the service level."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from wellkept.assessments import services
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
    ProgrammeStatus,
    Response,
    SafetyAlert,
)
from wellkept.assessments.selectors import decode_payload
from wellkept.assessments.tests.fixtures import BURNOUT_OK, PHQ2_LOW, join
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.consent.services import consent_record, notice_publish
from wellkept.orgs.models import RoleCategory

pytestmark = pytest.mark.django_db

PHQ9_RISK = {f"phq9_{i}": 1 for i in range(1, 10)}  # item 9 above 0: the safety item


def _pulse(hospital, name, phq2=PHQ2_LOW, burnout=BURNOUT_OK):
    user, participant = hospital.people[name], hospital.participants[name]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    services.checkin_save_answers(actor=user, checkin=checkin, instrument_code="phq2", answers=phq2)
    services.checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="burnout1", answers=burnout
    )
    return services.checkin_submit(
        actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
    )


def _monthly(hospital, name, phq9):
    user, participant = hospital.people[name], hospital.participants[name]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.monthly)
    services.checkin_save_answers(actor=user, checkin=checkin, instrument_code="phq9", answers=phq9)
    services.checkin_save_answers(
        actor=user,
        checkin=checkin,
        instrument_code="gad7",
        answers={f"gad7_{i}": 0 for i in range(1, 8)},
    )
    services.checkin_save_answers(
        actor=user,
        checkin=checkin,
        instrument_code="who5",
        answers={f"who5_{i}": 3 for i in range(1, 6)},
    )
    return services.checkin_submit(
        actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
    )


def test_it_scores_and_stores_each_instrument_encrypted(hospital):
    checkin = _pulse(hospital, "joe", phq2={"phq2_1": 2, "phq2_2": 2}, burnout={"burnout1_1": 4})
    assert checkin.status == CheckInStatus.SUBMITTED
    payloads = {r.instrument: decode_payload(r) for r in Response.objects.filter(checkin=checkin)}
    assert payloads["phq2"]["total"] == 4
    assert payloads["phq2"]["suggestions"] == ["phq9"]
    assert payloads["burnout1"]["band"] == "burnout"
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM assessments_response")
        stored = [row[0] for row in cursor.fetchall()]
    assert all(value.startswith("wk1$") for value in stored)
    assert not any('"total"' in value for value in stored)


def test_it_snapshots_where_the_person_worked_at_submission(hospital):
    checkin = _pulse(hospital, "joe")
    response = Response.objects.filter(checkin=checkin).first()
    assert (response.unit_id, response.shift_type_id, response.role_category) == (
        hospital.ward.pk,
        hospital.day.pk,
        RoleCategory.NURSE,
    )


def test_it_keeps_unfinished_answers_only_in_an_encrypted_draft(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    services.checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="phq2", answers=PHQ2_LOW
    )
    assert not Response.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT draft FROM assessments_checkin")
        (draft,) = cursor.fetchone()
    assert draft.startswith("wk1$")
    assert "phq2_1" not in draft
    resumed = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    assert resumed.pk == checkin.pk
    assert services.read_draft(resumed) == {"phq2": PHQ2_LOW}


def test_it_refuses_an_out_of_range_answer_with_a_clear_message(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    with pytest.raises(ValidationError) as caught:
        services.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code="phq2", answers={"phq2_1": 7, "phq2_2": 0}
        )
    assert "phq2_1" in caught.value.message_dict
    assert services.read_draft(CheckIn.objects.get(pk=checkin.pk)) == {}


def test_it_refuses_a_missing_answer(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    with pytest.raises(ValidationError) as caught:
        services.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code="phq2", answers={"phq2_1": 1}
        )
    assert "phq2_2" in caught.value.message_dict


def test_it_refuses_an_instrument_that_is_not_in_the_check_in(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    with pytest.raises(services.CheckInClosed) as caught:
        services.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code="phq9", answers=PHQ9_RISK
        )
    assert caught.value.code == "tampered"


def test_it_refuses_to_submit_before_every_questionnaire_is_answered(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    services.checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="phq2", answers=PHQ2_LOW
    )
    with pytest.raises(ValidationError, match="not answered yet"):
        services.checkin_submit(
            actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
        )
    assert not Response.objects.exists()


def test_it_treats_a_repeated_submission_as_the_same_one(hospital):
    checkin = _pulse(hospital, "joe")
    again = services.checkin_submit(
        actor=hospital.people["joe"], checkin=checkin, idempotency_key=checkin.idempotency_key
    )
    assert again.pk == checkin.pk
    assert Response.objects.filter(checkin=checkin).count() == 2
    assert PseudonymousEntry.objects.filter(event="checkin.submitted").count() == 1


def test_it_refuses_a_submission_with_a_foreign_idempotency_key(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    with pytest.raises(services.CheckInClosed) as caught:
        services.checkin_submit(actor=user, checkin=checkin, idempotency_key="not-the-key")
    assert caught.value.code == "tampered"


def test_it_refuses_answers_once_the_programme_is_closed(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    hospital.programme.status = ProgrammeStatus.CLOSED
    hospital.programme.save(update_fields=["status"])
    with pytest.raises(services.CheckInClosed, match="closed"):
        services.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code="phq2", answers=PHQ2_LOW
        )


def test_it_does_not_let_someone_else_answer_into_a_check_in(hospital):
    checkin = services.checkin_start(
        actor=hospital.people["joe"],
        participant=hospital.participants["joe"],
        schedule=hospital.pulse,
    )
    with pytest.raises(PermissionDenied):
        services.checkin_save_answers(
            actor=hospital.people["sara"], checkin=checkin, instrument_code="phq2", answers=PHQ2_LOW
        )
    assert AuditEntry.objects.filter(event="access.denied").exists()


def test_it_stops_collection_at_once_after_withdrawal(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    consent_record(
        actor=user,
        participant=participant,
        notice=hospital.notice,
        take_part=False,
        follow_up_contact=False,
        safety_alert=False,
    )
    # The unfinished check-in went with the consent...
    assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    withdrawn = PseudonymousEntry.objects.get(event="consent.withdrawn")
    assert "unfinished check-ins discarded: 1" in withdrawn.reason
    # ... and nothing new can start (the refusal is the participant's own, under the token).
    with pytest.raises(PermissionDenied):
        services.checkin_start(actor=user, participant=participant, schedule=hospital.monthly)
    assert PseudonymousEntry.objects.filter(event="access.denied").exists()


def test_it_asks_for_consent_again_after_a_new_notice_version(hospital):
    user, participant = hospital.people["joe"], hospital.participants["joe"]
    from wellkept.assessments.tests.fixtures import SYSTEM

    newer = notice_publish(
        actor=SYSTEM, organisation=hospital.organisation, privacy_contact="dpo@x"
    )
    with pytest.raises(PermissionDenied):
        services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    consent_record(
        actor=user,
        participant=participant,
        notice=newer,
        take_part=True,
        follow_up_contact=True,
        safety_alert=False,
    )
    assert services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)


def test_it_raises_a_safety_alert_only_with_prior_agreement(hospital):
    _monthly(hospital, "sara", PHQ9_RISK)  # agreed to safety alerts
    _monthly(hospital, "joe", PHQ9_RISK)  # did not
    alerts = SafetyAlert.objects.all()
    assert [a.participant_id for a in alerts] == [hospital.participants["sara"].pk]
    assert PseudonymousEntry.objects.filter(event="safety.alert_raised").count() == 1
    joe_payload = decode_payload(
        Response.objects.get(participant=hospital.participants["joe"], instrument="phq9")
    )
    assert joe_payload["safety"] is True  # he still sees crisis resources


def test_it_raises_no_alert_without_a_risk_signal(hospital):
    _monthly(hospital, "sara", {f"phq9_{i}": 2 for i in range(1, 9)} | {"phq9_9": 0})
    assert not SafetyAlert.objects.exists()


def test_it_records_check_ins_under_the_token_never_the_login(hospital):
    _pulse(hospital, "joe")
    joe = hospital.people["joe"]
    token = hospital.participants["joe"].token
    entries = PseudonymousEntry.objects.filter(target__contains=token)
    assert entries.count() >= 5
    for entry in entries:
        # Exactly his token, even when the target names a record under it.
        assert entry.actor_label == f"participant:{token}"
    # The identified chain holds nothing about his token, nor his user id.
    assert not AuditEntry.objects.filter(target__contains=token).exists()
    assert not AuditEntry.objects.filter(actor_id=str(joe.pk)).exists()
    submitted = PseudonymousEntry.objects.get(event="checkin.submitted")
    assert submitted.actor_label == f"participant:{token}"
    assert "phq2" in submitted.reason
    assert "total" not in submitted.reason


def test_it_refuses_to_join_a_unit_outside_the_programme(hospital):
    from wellkept.orgs import services as org_services
    from wellkept.orgs.models import UnitKind

    root = hospital.icu.parent.parent
    surgery = org_services.unit_create(
        actor=__import__("wellkept.assessments.tests.fixtures", fromlist=["SYSTEM"]).SYSTEM,
        organisation=hospital.organisation,
        name="Surgery",
        kind=UnitKind.DIVISION,
        parent=root,
    )
    from wellkept.assessments.services import programme_join

    with pytest.raises(ValidationError, match="does not take part"):
        programme_join(
            actor=hospital.people["nadia"],
            organisation=hospital.organisation,
            notice=hospital.notice,
            unit=surgery,
            shift_type=hospital.night,
            role_category=RoleCategory.NURSE,
            follow_up_contact=False,
            safety_alert=False,
        )


def test_it_joins_and_consents_in_one_step(hospital):
    participant = join(hospital, hospital.people["nadia"], follow_up=True)
    given = PseudonymousEntry.objects.get(event="consent.given", target__contains=participant.token)
    assert "follow_up_contact" in given.reason
    assert given.actor_label == f"participant:{participant.token}"
    assert json.loads(json.dumps(given.reason))  # plain text, no content


def test_it_refuses_to_submit_a_draft_from_a_period_that_has_ended(hospital, monkeypatch):
    import datetime as dt

    user, participant = hospital.people["joe"], hospital.participants["joe"]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    services.checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="phq2", answers=PHQ2_LOW
    )
    services.checkin_save_answers(
        actor=user, checkin=checkin, instrument_code="burnout1", answers=BURNOUT_OK
    )
    later = services.today() + dt.timedelta(days=7)
    monkeypatch.setattr(services, "today", lambda: later)
    with pytest.raises(services.CheckInClosed) as caught:
        services.checkin_submit(
            actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
        )
    assert caught.value.code == "period_ended"
    assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    assert not Response.objects.exists()


def test_it_purges_unfinished_check_ins_after_a_week(hospital):
    import datetime as dt
    from io import StringIO

    from django.core.management import call_command

    user, participant = hospital.people["joe"], hospital.participants["joe"]
    services.checkin_start(actor=user, participant=participant, schedule=hospital.pulse)
    _pulse(hospital, "sara")  # submitted check-ins are never touched
    out = StringIO()
    call_command("checkins", "purge-drafts", "--dry-run", stdout=out)
    assert out.getvalue().strip() == "Would delete 0 unfinished check-ins."
    later = (services.today() + dt.timedelta(days=8)).isoformat()
    call_command("checkins", "purge-drafts", "--date", later, stdout=out)
    assert "Deleted 1 unfinished check-in." in out.getvalue()
    assert CheckIn.objects.filter(status=CheckInStatus.IN_PROGRESS).count() == 0
    assert CheckIn.objects.filter(status=CheckInStatus.SUBMITTED).count() == 1
    assert AuditEntry.objects.filter(target="checkins:unfinished").count() == 1


def test_it_explains_a_bad_date_for_the_purge(hospital):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("checkins", "purge-drafts", "--date", "next tuesday")
