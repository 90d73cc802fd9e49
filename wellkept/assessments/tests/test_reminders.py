"""Reminder e-mails: who is due, once per period, what the e-mail says, and the command.

St Anne's (the ``hospital`` fixture) runs a weekly pulse and a monthly
check-in. Joe and Sara take part; Nadia is a clinician who never joined;
Amira, Lena, Priya and Wendy are staff who do not take part. Unless a test
says otherwise, Joe and Sara have both check-ins due.
"""

from __future__ import annotations

import base64
import datetime as dt
import smtplib
from io import StringIO

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

from wellkept.actors import SystemActor
from wellkept.assessments import periods
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
    ProgrammeStatus,
    ReminderSent,
    today,
)
from wellkept.assessments.reminders import (
    reminders_due,
    reminders_send,
    unsubscribe_link_read,
)
from wellkept.assessments.services import reminders_set
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.consent.services import consent_record, notice_publish

pytestmark = pytest.mark.django_db

JOB = SystemActor("reminders send")


@pytest.fixture
def day():
    return today()


def submit(hospital, name, schedule, day):
    CheckIn.objects.create(
        participant=hospital.participants[name],
        schedule=schedule,
        period_start=periods.period_start(schedule.frequency, day),
        status=CheckInStatus.SUBMITTED,
        submitted_on=day,
    )


def recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


def reminder_entries():
    return AuditEntry.objects.filter(event=EventType.REMINDER_SENT)


# --- Who is due -----------------------------------------------------------------------


def test_it_reminds_each_participant_once_for_every_check_in_due(hospital, day):
    plan = reminders_due(day=day)
    assert sorted(r.email for r in plan.due) == ["joe@st-annes.example", "sara@st-annes.example"]
    assert all(len(r.checkins) == 2 for r in plan.due)
    assert (plan.already_sent, plan.not_due, plan.unreachable) == (0, 0, 0)


def test_it_sends_one_e_mail_per_participant_and_records_each_check_in(hospital, day):
    summary = reminders_send(actor=JOB, day=day)
    assert str(summary) == "Sent 2 reminders; 0 already sent this period; 0 not due."
    assert recipients() == ["joe@st-annes.example", "sara@st-annes.example"]
    assert ReminderSent.objects.count() == 4


def test_it_never_writes_to_a_clinician_or_staff_member_who_did_not_join(hospital, day):
    reminders_send(actor=JOB, day=day)
    assert not {"nadia@st-annes.example", "amira@st-annes.example"} & set(recipients())


def test_it_skips_a_participant_who_has_done_this_periods_check_ins(hospital, day):
    submit(hospital, "joe", hospital.pulse, day)
    submit(hospital, "joe", hospital.monthly, day)
    summary = reminders_send(actor=JOB, day=day)
    assert (summary.sent, summary.not_due) == (1, 1)
    assert recipients() == ["sara@st-annes.example"]


def test_it_reminds_of_what_is_left_when_one_check_in_is_done(hospital, day):
    submit(hospital, "joe", hospital.pulse, day)
    (joe,) = [r for r in reminders_due(day=day).due if r.email.startswith("joe")]
    assert [schedule.slug for schedule, _start in joe.checkins] == ["monthly"]


def test_it_still_reminds_of_a_check_in_left_half_done(hospital, day):
    CheckIn.objects.create(
        participant=hospital.participants["joe"],
        schedule=hospital.pulse,
        period_start=periods.period_start(hospital.pulse.frequency, day),
    )
    (joe,) = [r for r in reminders_due(day=day).due if r.email.startswith("joe")]
    assert len(joe.checkins) == 2


def test_it_skips_a_participant_who_turned_reminders_off(hospital, day):
    reminders_set(
        actor=hospital.people["joe"], participant=hospital.participants["joe"], wanted=False
    )
    summary = reminders_send(actor=JOB, day=day)
    assert (summary.sent, summary.not_due) == (1, 1)
    assert "joe@st-annes.example" not in recipients()


def test_it_skips_a_participant_who_withdrew(hospital, day):
    consent_record(
        actor=hospital.people["sara"],
        participant=hospital.participants["sara"],
        notice=hospital.notice,
        take_part=False,
        follow_up_contact=False,
        safety_alert=False,
    )
    summary = reminders_send(actor=JOB, day=day)
    assert (summary.sent, summary.not_due) == (1, 1)
    assert recipients() == ["joe@st-annes.example"]


def test_it_skips_everyone_whose_consent_predates_a_new_notice(hospital, day):
    notice_publish(
        actor=SystemActor("tests"),
        organisation=hospital.organisation,
        privacy_contact="privacy@st-annes.example",
    )
    summary = reminders_send(actor=JOB, day=day)
    assert (summary.sent, summary.not_due) == (0, 2)
    assert mail.outbox == []


def test_it_reminds_nobody_once_the_programme_is_closed(hospital, day):
    hospital.programme.status = ProgrammeStatus.CLOSED
    hospital.programme.save(update_fields=["status"])
    summary = reminders_send(actor=JOB, day=day)
    assert (summary.sent, summary.already_sent, summary.not_due) == (0, 0, 0)
    assert mail.outbox == []


def test_it_counts_a_participant_whose_login_is_deactivated_as_unreachable(hospital, day):
    joe = hospital.people["joe"]
    joe.is_active = False
    joe.save(update_fields=["is_active"])
    summary = reminders_send(actor=JOB, day=day)
    assert (summary.sent, summary.unreachable) == (1, 1)
    assert str(summary).endswith("1 due but with no active login to write to.")


# --- Once per period ---------------------------------------------------------------------


def test_it_sends_nothing_twice_in_the_same_period(hospital, day):
    reminders_send(actor=JOB, day=day)
    mail.outbox.clear()
    summary = reminders_send(actor=JOB, day=day)
    assert str(summary) == "Sent 0 reminders; 2 already sent this period; 0 not due."
    assert mail.outbox == []
    assert ReminderSent.objects.count() == 4


def test_it_reminds_again_in_the_next_period(hospital, day):
    reminders_send(actor=JOB, day=day)
    mail.outbox.clear()
    next_week = periods.next_period_start("weekly", day)
    (joe,) = [r for r in reminders_due(day=next_week).due if r.email.startswith("joe")]
    assert next(schedule.slug for schedule, _start in joe.checkins) == "pulse"


def test_it_leaves_a_refused_e_mail_to_the_next_run(hospital, day, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({})

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    summary = reminders_send(actor=JOB, day=day)
    assert (summary.sent, summary.failed) == (0, 2)
    assert "2 could not be sent (mail server error) and will be retried" in str(summary)
    assert ReminderSent.objects.count() == 0


# --- What the e-mail says --------------------------------------------------------------------


def test_it_says_only_that_a_check_in_is_due(hospital, day):
    submit(hospital, "sara", hospital.pulse, day)
    reminders_send(actor=JOB, day=day)
    (message,) = [m for m in mail.outbox if m.to == ["joe@st-annes.example"]]
    text = message.subject + message.body + str(message.extra_headers)
    assert message.subject == "[Wellkept] A check-in is due"
    assert "A wellbeing check-in is due" in message.body
    assert settings.WELLKEPT_BASE_URL.rstrip("/") + "/me/programme/" in message.body
    for participant in hospital.participants.values():
        assert participant.token not in text
    for secret in ("PHQ", "phq", "score", "total", "band", "Weekly pulse", "Monthly", "St Anne"):
        assert secret not in text


def test_it_offers_one_click_unsubscribe_in_the_headers(hospital, day):
    reminders_send(actor=JOB, day=day)
    message = mail.outbox[0]
    header = message.extra_headers["List-Unsubscribe"]
    assert header.startswith("<")
    assert header.endswith(">")
    url = header[1:-1]
    assert "/reminders/unsubscribe/" in url
    assert url in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_it_seals_the_login_and_organisation_into_the_link_not_the_token(hospital, day):
    reminders_send(actor=JOB, day=day)
    (message,) = [m for m in mail.outbox if m.to == ["joe@st-annes.example"]]
    sealed = message.extra_headers["List-Unsubscribe"].split("/unsubscribe/")[1].rstrip("/>")
    assert unsubscribe_link_read(sealed) == (hospital.people["joe"].pk, hospital.organisation.pk)
    # Neither the token nor the login id can be read from the link.
    decoded = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4)).decode()
    assert hospital.participants["joe"].token not in decoded
    assert str(hospital.people["joe"].pk) not in decoded
    assert "take part" not in message.body


# --- Audit ------------------------------------------------------------------------------------


def test_it_writes_one_audit_entry_per_run_with_counts_only(hospital, day):
    first = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    reminders_send(actor=JOB, day=day)
    (entry,) = reminder_entries()
    assert entry.target == f"reminders:{day.isoformat()}"
    assert entry.actor_label == "system:reminders send"
    assert entry.reason == "sent 2; already sent 0; not due 0; unreachable 0; failed 0"
    written = AuditEntry.objects.filter(id__gt=first)
    for field in ("target", "reason", "actor_label", "actor_id"):
        values = " ".join(written.values_list(field, flat=True))
        assert "@" not in values
        for name, participant in hospital.participants.items():
            assert participant.token not in values, (field, name)
            assert str(hospital.people[name].pk) not in values, (field, name)


def test_it_records_nothing_sent_for_a_dry_run(hospital, day):
    summary = reminders_send(actor=JOB, day=day, dry_run=True)
    assert str(summary) == (
        "Dry run: would send 2 reminders; 0 already sent this period; 0 not due. Nothing was sent."
    )
    assert mail.outbox == []
    assert ReminderSent.objects.count() == 0
    assert not reminder_entries().exists()


@pytest.mark.parametrize("persona", ["amira", "priya", "joe"])
def test_it_lets_only_the_job_send_reminders(hospital, day, persona):
    with pytest.raises(PermissionDenied):
        reminders_send(actor=hospital.people[persona], day=day)
    assert mail.outbox == []
    assert AuditEntry.objects.filter(
        event=EventType.ACCESS_DENIED, target=f"reminders:{day.isoformat()}"
    ).exists()


# --- The command ------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("reminders", "send", *args, stdout=out)
    return out.getvalue().strip()


def test_the_command_prints_a_one_line_summary_and_is_idempotent(hospital):
    assert run() == "Sent 2 reminders; 0 already sent this period; 0 not due."
    assert run() == "Sent 0 reminders; 2 already sent this period; 0 not due."
    assert len(mail.outbox) == 2


def test_the_command_has_a_dry_run(hospital):
    assert run("--dry-run").startswith("Dry run: would send 2 reminders;")
    assert mail.outbox == []


def test_the_command_sends_for_a_given_day(hospital, day):
    last_week = day - dt.timedelta(days=7)
    assert run("--date", last_week.isoformat()).startswith("Sent 2 reminders")
    assert {r.period_start for r in ReminderSent.objects.filter(schedule=hospital.pulse)} == {
        periods.period_start("weekly", last_week)
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("17/03/2025", "is not a date. Give it as YYYY-MM-DD"),
        ("2025-02-30", "is not a date. Give it as YYYY-MM-DD"),
        ((today() + dt.timedelta(days=3)).isoformat(), "is in the future"),
    ],
)
def test_the_command_explains_a_bad_date(hospital, value, message):
    with pytest.raises(CommandError, match=message):
        run("--date", value)
    assert mail.outbox == []
