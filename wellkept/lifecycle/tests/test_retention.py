"""Retention runs: expired check-ins go, aggregates follow; holds keep data; reruns do nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command

from wellkept.assessments.models import CheckIn, Response, SafetyAlert
from wellkept.assessments.tests.fixtures import SYSTEM, Hospital
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.consent.services import consent_record
from wellkept.insights import store
from wellkept.insights.periods import Grain, period_of
from wellkept.insights.tests.builders import on_day, pulse
from wellkept.lifecycle.models import DataCategory, DeletionReceipt, ErasureRule
from wellkept.lifecycle.retention import retention_run
from wellkept.lifecycle.services import legal_hold_set, retention_set
from wellkept.orgs.models import Participant

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 23)
# Fourteen months before TODAY: past the default 12 months for check-ins.
LONG_AGO = dt.date(2025, 9, 15)
RECENTLY = dt.date(2026, 10, 5)
REASON = "Employment tribunal claim 2026/114 names this ward's rota."


def _history(h: Hospital, monkeypatch) -> None:
    """Joe answered long ago and recently; Sara long ago only."""
    with on_day(monkeypatch, LONG_AGO):
        pulse(h.people["joe"], h.participants["joe"], h, (3, 3))
        pulse(h.people["sara"], h.participants["sara"], h, (1, 1))
    with on_day(monkeypatch, RECENTLY):
        pulse(h.people["joe"], h.participants["joe"], h, (0, 1))


def _run(monkeypatch, **options):
    with on_day(monkeypatch, TODAY):
        return retention_run(**options)


def _week(h: Hospital, day: dt.date) -> dict:
    return store.snapshot(h.organisation).cells.get(
        ("phq2", "week", period_of(Grain.WEEK, day).isoformat()), {}
    )


def test_it_deletes_a_checkin_older_than_its_period_and_updates_the_aggregates(
    hospital, monkeypatch
):
    h = hospital
    _history(h, monkeypatch)
    assert _week(h, LONG_AGO)  # two people counted in that week
    report = _run(monkeypatch)
    joe, sara = h.participants["joe"], h.participants["sara"]
    assert not CheckIn.objects.filter(submitted_on=LONG_AGO).exists()
    assert not Response.objects.filter(submitted_on=LONG_AGO).exists()
    assert Response.objects.filter(participant=joe, submitted_on=RECENTLY).count() == 2
    assert not Response.objects.filter(participant=sara).exists()
    # The old week left the cells; the recent one is untouched; the
    # incremental cells equal a rebuild from what is left.
    assert _week(h, LONG_AGO) == {}
    assert _week(h, RECENTLY)
    assert store.rebuild(h.organisation).changed is False
    assert report.totals()[0]["check-ins"] == 2
    assert report.totals()[0]["responses"] == 4
    entry = AuditEntry.objects.get(event=EventType.RETENTION_PURGED)
    assert entry.target == "retention:st-annes/checkin_answers"
    assert entry.reason == "check-ins 2, responses 4, safety alerts 0"
    # Counts only: no token in the deletion record.
    assert joe.token not in entry.target + entry.reason


def test_it_keeps_what_a_legal_hold_covers_and_reports_it_as_held(hospital, monkeypatch):
    h = hospital
    _history(h, monkeypatch)
    legal_hold_set(
        actor=h.people["priya"],
        organisation=h.organisation,
        token=h.participants["sara"].token,
        reason=REASON,
    )
    report = _run(monkeypatch)
    assert Response.objects.filter(participant=h.participants["sara"]).count() == 2
    assert not Response.objects.filter(participant=h.participants["joe"], submitted_on=LONG_AGO)
    deleted, held = report.totals()
    assert held["check-ins"] == 1
    assert deleted["check-ins"] == 1
    assert "kept under legal hold: 1 check-ins" in report.summary()


def test_a_dry_run_changes_nothing(hospital, monkeypatch):
    h = hospital
    _history(h, monkeypatch)
    before = (store.snapshot(h.organisation), Response.objects.count(), CheckIn.objects.count())
    report = _run(monkeypatch, dry_run=True)
    after = (store.snapshot(h.organisation), Response.objects.count(), CheckIn.objects.count())
    assert before == after
    assert report.totals()[0]["check-ins"] == 2
    assert "would delete" in report.summary()
    assert not AuditEntry.objects.filter(event=EventType.RETENTION_PURGED).exists()


def test_a_dry_run_predicts_exactly_what_the_run_then_deletes(hospital, monkeypatch):
    h = hospital
    _history(h, monkeypatch)
    old = Response.objects.filter(participant=h.participants["sara"]).first()
    SafetyAlert.objects.create(participant=old.participant, response=old, raised_on=LONG_AGO)
    predicted = _run(monkeypatch, dry_run=True)
    done = _run(monkeypatch)
    assert +predicted.totals()[0] == +done.totals()[0]
    assert +done.totals()[0] == {"check-ins": 2, "responses": 4, "safety alerts": 1}
    said, did = predicted.summary().split(": ", 1)[1], done.summary().split(": ", 1)[1]
    assert said.replace("would delete", "deleted") == did


def test_a_second_run_changes_nothing(hospital, monkeypatch):
    h = hospital
    _history(h, monkeypatch)
    _run(monkeypatch)
    before = (store.snapshot(h.organisation), Response.objects.count(), CheckIn.objects.count())
    second = _run(monkeypatch)
    after = (store.snapshot(h.organisation), Response.objects.count(), CheckIn.objects.count())
    assert before == after
    assert second.changed is False
    assert sum(second.totals()[0].values()) == 0


def test_a_shorter_period_set_by_the_organisation_applies(hospital, monkeypatch):
    h = hospital
    _history(h, monkeypatch)
    retention_set(actor=SYSTEM, organisation=h.organisation, category=DataCategory.SCORES, months=1)
    _run(monkeypatch)
    # Answers and scores share a payload: the shorter period takes both.
    assert not Response.objects.filter(submitted_on=RECENTLY).exists()


def test_it_erases_someone_who_left_longer_ago_than_consent_records_are_kept(hospital, monkeypatch):
    h = hospital
    sara = h.participants["sara"]
    with on_day(monkeypatch, dt.date(2019, 3, 1)):
        consent_record(
            actor=h.people["sara"],
            participant=sara,
            notice=h.notice,
            take_part=False,
            follow_up_contact=False,
            safety_alert=False,
        )
    report = _run(monkeypatch)
    assert not Participant.objects.filter(pk=sara.pk).exists()
    assert Participant.objects.filter(pk=h.participants["joe"].pk).exists()
    assert report.totals()[0]["participants erased"] == 1
    (receipt,) = DeletionReceipt.objects.all()
    assert receipt.rule == ErasureRule.RETENTION


def test_it_reports_audit_entries_past_retention_and_deletes_none(hospital, monkeypatch):
    h = hospital
    _history(h, monkeypatch)
    entries = AuditEntry.objects.count()
    with on_day(monkeypatch, dt.date(2033, 1, 1)):
        report = retention_run(dry_run=True)
    assert report.audit_past_retention >= entries
    assert AuditEntry.objects.count() > entries  # appended to, never cut


def test_the_command_prints_a_one_line_summary(hospital, monkeypatch, capsys):
    h = hospital
    _history(h, monkeypatch)
    with on_day(monkeypatch, TODAY):
        call_command("retention", "run", "--dry-run", "--no-progress")
        call_command("retention", "run", "--no-progress")
        call_command("retention", "run", "--no-progress")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("retention (dry run): would delete 2 check-ins")
    assert lines[1].startswith("retention: deleted 2 check-ins, 4 responses")
    assert lines[2].startswith("retention: deleted nothing")


def test_a_hold_on_a_case_keeps_the_check_in_that_opened_it(world, case):
    # The answer that raised the alert is the case's first record: a hold
    # that keeps the case must keep it too, past the check-in period.
    pia = world.participants["pia"]
    legal_hold_set(
        actor=world.people["priya"], organisation=world.st_annes.organisation, case=case,
        reason=REASON,
    )  # fmt: skip
    assert case.response_id is not None
    report = retention_run(on=case.opened_on + dt.timedelta(days=800))
    assert Response.objects.filter(pk=case.response_id).exists()
    assert SafetyAlert.objects.filter(response_id=case.response_id).exists()
    case.refresh_from_db()
    assert case.response_id is not None
    assert report.totals()[1]["check-ins"] == CheckIn.objects.filter(participant=pia).count()
