"""Plan review reminders: to the client's therapists, by client code only, once per review date."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import services
from wellkept.practice.tests.conftest import ADA_LEGAL, ADA_PREFERRED
from wellkept.practice.tests.plans_helpers import active_plan, draft_plan

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("practice", "plan-reviews", *args, stdout=out)
    return out.getvalue()


def test_it_reminds_the_therapist_of_a_review_due_within_a_week_and_audits_it(practice):
    plan = active_plan(practice, review_in=5)
    assert run().strip() == "Sent 1 plan review reminder(s)."
    [message] = mail.outbox
    assert message.to == [practice.people["tess"].email]
    [entry] = AuditEntry.objects.filter(event=EventType.PRACTICE_PLAN_REVIEW_REMINDED)
    assert entry.target == f"client:{plan.client_id}/plan:{plan.pk}"


def test_the_reminder_says_the_client_code_and_date_and_never_a_name_or_the_plan(practice):
    plan = active_plan(practice, review_in=2)
    run()
    [message] = mail.outbox
    text = message.subject + message.body
    assert practice.clients["ada"].code in text
    assert plan.review_date.isoformat() in text
    for secret in (*ADA_LEGAL.split(), ADA_PREFERRED, "Plovercanary", "Sleep"):
        assert secret not in text


def test_it_reminds_once_per_plan_and_review_date(practice):
    plan = active_plan(practice, review_in=1)
    run()
    assert run().strip() == "Sent 0 plan review reminder(s)."
    assert len(mail.outbox) == 1
    # A new version with a new review date is a new reminder.
    services.plan_sign(actor=practice.people["tess"], plan=draft_plan(practice, review_in=3))
    run()
    assert len(mail.outbox) == 2
    plan.refresh_from_db()
    assert plan.review_reminded_for == plan.review_date


def test_it_skips_drafts_closed_plans_and_reviews_further_off(practice):
    draft_plan(practice, review_in=1)
    active_plan(practice, client="ben", author="theo", review_in=30)
    assert run().strip() == "Sent 0 plan review reminder(s)."
    assert mail.outbox == []


def test_a_dry_run_counts_and_sends_nothing(practice):
    active_plan(practice, review_in=0)
    assert "Would send 1" in run("--dry-run")
    assert mail.outbox == []
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_PLAN_REVIEW_REMINDED).exists()
    assert "Sent 1" in run()
