"""The queue by urgency and age; cases nobody takes in time are marked and the officers told."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup import deadlines, selectors
from wellkept.followup.models import Case, FollowUpSettings
from wellkept.followup.tests.conftest import assigned_to, colin_asks, sign_in

pytestmark = pytest.mark.django_db

JOB = SystemActor("followup-deadlines")


def age(case: Case, days: int) -> Case:
    """Date the case ``days`` days back (as if it had waited that long)."""
    day = deadlines.today() - dt.timedelta(days=days)
    Case.objects.filter(pk=case.pk).update(opened_on=day, last_signal_on=day)
    case.refresh_from_db()
    return case


@pytest.fixture
def two_cases(world, case):
    """Pia's safety alert and Colin's request, both untaken."""
    request = colin_asks(world)
    return case, request


def test_the_queue_puts_old_untaken_alerts_first_and_marks_them(client, world, two_cases):
    alert, request = two_cases
    alert = age(alert, 9)
    request = age(request, 1)
    rows = selectors.queue(actor=world.people["wendy"], organisation=alert.organisation)
    assert [r.case.pk for r in rows] == [alert.pk, request.pk]
    assert [(r.overdue, r.days) for r in rows] == [(True, 9), (False, 1)]
    sign_in(client, world.people["wendy"])
    page = client.get(reverse("followup:queue")).content.decode()
    assert "Not taken for 9 days: past the deadline" in page
    assert "waiting 1 day" in page
    # A taken alert goes below untaken ones, however old.
    assigned_to(alert, world.people["sam"])
    rows = selectors.queue(actor=world.people["wendy"], organisation=alert.organisation)
    assert [r.case.pk for r in rows] == [alert.pk, request.pk]  # alerts before requests
    assert rows[0].overdue is False


def test_the_sort_is_by_urgency_then_age():
    """Ordering rules over every combination, without a database."""
    today = dt.date(2026, 11, 23)

    def fake(trigger, status, opened, signal=None, assigned=False):
        case = Case(trigger=trigger, status=status, opened_on=opened)
        case.last_signal_on = signal or opened
        case.assignee_id = 1 if assigned else None
        return case

    cases = {
        "new alert, 5 days": fake("safety_alert", "new", today - dt.timedelta(days=5)),
        "new alert, 2 days": fake("safety_alert", "new", today - dt.timedelta(days=2)),
        "new alert, today": fake("safety_alert", "new", today),
        "taken alert, fresh signal": fake(
            "safety_alert", "open", today - dt.timedelta(days=30), today, assigned=True
        ),
        "new request, 8 days": fake("request", "new", today - dt.timedelta(days=8)),
        "taken request": fake("request", "open", today - dt.timedelta(days=1), assigned=True),
        "closed alert": fake("safety_alert", "closed", today - dt.timedelta(days=60)),
    }
    limits = deadlines.Deadlines(alert_days=3, request_days=3)
    ordered = sorted(
        cases,
        key=lambda n: selectors._urgency(cases[n], deadlines.is_overdue(cases[n], limits, today)),
    )
    assert ordered == [
        "new alert, 5 days",
        "new alert, 2 days",
        "new alert, today",
        "taken alert, fresh signal",
        "new request, 8 days",
        "taken request",
        "closed alert",
    ]


def test_the_officers_are_told_once_a_day_with_nothing_in_the_e_mail(
    world, two_cases, django_capture_on_commit_callbacks
):
    alert, request = two_cases
    age(alert, 2)
    age(request, 3)
    with django_capture_on_commit_callbacks(execute=True):
        report = deadlines.overdue_tell(actor=JOB)
    assert (report.alerts, report.requests, report.told) == (1, 1, 1)
    sent = [m for m in mail.outbox if "waiting for someone" in m.subject]
    assert len(sent) == 1
    # Every wellbeing officer (Petra is one too), nobody else.
    assert set(sent[0].to) == {"wendy@st-annes.example", "petra@st-annes.example"}
    body = (sent[0].subject + sent[0].body).lower()
    for secret in (alert.participant.token[:8].lower(), "safety", "alert", "request", "two"):
        assert secret not in body, secret
    entry = AuditEntry.objects.get(event=EventType.FOLLOWUP_OVERDUE_TOLD)
    assert entry.reason.startswith("1 safety alert(s), 1 request(s)")
    assert entry.actor_label == "system:followup-deadlines"
    # Again today (another host, a manual run): nobody is told twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = deadlines.overdue_tell(actor=JOB)
    assert (again.told, again.skipped_today) == (0, 1)
    assert len([m for m in mail.outbox if "waiting for someone" in m.subject]) == 1


def test_nobody_is_told_about_cases_within_the_deadline_or_taken(world, two_cases):
    alert, request = two_cases
    age(request, 2)  # requests may wait 3 days by default
    assigned_to(age(alert, 9), world.people["sam"])
    report = deadlines.overdue_tell(actor=JOB)
    assert (report.alerts, report.requests, report.told) == (0, 0, 0)
    assert not AuditEntry.objects.filter(event=EventType.FOLLOWUP_OVERDUE_TOLD).exists()


def test_the_privacy_officer_sets_the_deadlines_and_nobody_else(client, world, two_cases):
    alert, _ = two_cases
    age(alert, 2)
    url = reverse("followup:privacy_deadlines")
    for persona in ("wendy", "sam", "lena", "amira", "pia"):
        sign_in(client, world.people[persona], fresh_mfa=True)
        assert client.get(url).status_code == 404, persona
        assert client.post(url, {"alert_wait_days": 5, "request_wait_days": 5}).status_code == 404
    assert not FollowUpSettings.objects.exists()
    sign_in(client, world.people["priya"])
    page = client.get(url).content.decode()
    assert 'value="1"' in page  # the default
    bad = client.post(url, {"alert_wait_days": 0, "request_wait_days": 99})
    assert bad.status_code == 400
    assert "Ensure this value is greater than or equal to 1" in bad.content.decode()
    client.post(url, {"alert_wait_days": 3, "request_wait_days": 7})
    assert deadlines.deadlines_for(alert.organisation) == deadlines.Deadlines(3, 7)
    entry = AuditEntry.objects.get(event=EventType.CONFIG_CHANGED, target__contains="deadlines")
    assert entry.reason == "safety alerts 1 -> 3 days; requests 3 -> 7 days"
    rows = selectors.queue(actor=world.people["wendy"], organisation=alert.organisation)
    assert rows[0].overdue is False  # 2 days, within the new 3


def test_the_command_and_the_scheduler_run_the_job(
    world, two_cases, monkeypatch, settings, tmp_path
):
    from wellkept import clock

    alert, _ = two_cases
    age(alert, 4)
    out = StringIO()
    call_command("followup", "overdue", "--dry-run", stdout=out)
    assert "would tell the wellbeing officers of 1" in out.getvalue()
    assert not AuditEntry.objects.filter(event=EventType.FOLLOWUP_OVERDUE_TOLD).exists()
    call_command("followup", "deadlines", "--organisation", "st-annes", "--alert-days", "5")
    assert deadlines.deadlines_for(alert.organisation).alert_days == 5
    with pytest.raises(CommandError, match="between 1 and 14 days"):
        call_command("followup", "deadlines", "--organisation", "st-annes", "--alert-days", "40")
    with pytest.raises(CommandError, match="No organisation"):
        call_command("followup", "overdue", "--organisation", "nowhere")
    call_command("followup", "deadlines", "--organisation", "st-annes", "--alert-days", "1")
    settings.WELLKEPT_SCHEDULER_STATE_FILE = tmp_path / "scheduler.json"
    settings.WELLKEPT_TOMBSTONE_FILE = tmp_path / "tombstones.jsonl"
    moment = dt.datetime.combine(deadlines.today(), dt.time(7), tzinfo=dt.UTC)
    monkeypatch.setattr(clock, "now", lambda: moment)
    out = StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "told the wellbeing officers of 1" in out.getvalue()
    assert AuditEntry.objects.filter(event=EventType.FOLLOWUP_OVERDUE_TOLD).count() == 1
