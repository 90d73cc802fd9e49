"""Treatment plan services: versions, signatures and their digest, who may write, bad input."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import services
from wellkept.practice.models import PlanStatus, TreatmentPlan
from wellkept.practice.tests.conftest import ADA_LEGAL, raw_column
from wellkept.practice.tests.plans_helpers import OUTLINE, active_plan, content, draft_plan, in_days

pytestmark = pytest.mark.django_db


def events(event: EventType) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(event=event))


# ---- the outline ------------------------------------------------------------------------


def test_it_reads_an_outline_into_problems_goals_objectives_and_interventions():
    problems = content()
    assert len(problems) == 1
    objective = problems[0]["goals"][0]["objectives"][0]
    assert objective["measure"] == "Sleep diary"
    assert objective["by"] == "2027-03-01"
    assert objective["interventions"] == ["Sleep scheduling (CBT-I)", "Wind-down routine"]
    assert services.parse_outline(services.render_outline(problems)) == problems


@pytest.mark.parametrize(
    ("outline", "said"),
    [
        ("Goal: no problem first", "start with a Problem"),
        ("Problem: p\nObjective: o", "Goal: for the problem first"),
        ("Problem: p\nWhatever: x", "Line 2"),
        ("Problem: p\nGoal: g\nObjective: o\nBy: next spring", "YYYY-MM-DD"),
    ],
)
def test_it_refuses_a_malformed_outline_with_a_clear_message(outline, said):
    with pytest.raises(ValidationError) as exc:
        services.check_content(services.parse_outline(outline), signing=False)
    assert said in " ".join(exc.value.messages)


# ---- versions ---------------------------------------------------------------------------


def test_it_starts_a_draft_version_one_encrypted_under_the_clients_key(practice):
    plan = draft_plan(practice)
    assert (plan.version, plan.status) == (1, PlanStatus.DRAFT)
    assert "Plovercanary" not in raw_column(TreatmentPlan, plan.pk, "content")
    assert "Plovercanary" in TreatmentPlan.objects.get(pk=plan.pk).content
    [entry] = events(EventType.PRACTICE_PLAN_CREATED)
    assert entry.target == f"client:{plan.client_id}/plan:{plan.pk}"
    assert entry.reason == "version 1"


def test_it_refuses_a_second_draft_while_one_is_open(practice):
    draft_plan(practice)
    with pytest.raises(ValidationError, match="already has a draft"):
        draft_plan(practice)


def test_signing_makes_the_version_active_and_supersedes_the_last(practice):
    first = active_plan(practice)
    second = services.plan_sign(actor=practice.people["tess"], plan=draft_plan(practice))
    first.refresh_from_db()
    assert second.version == 2
    assert second.status == PlanStatus.ACTIVE
    assert first.status == PlanStatus.SUPERSEDED
    assert first.superseded_at is not None
    assert events(EventType.PRACTICE_PLAN_SIGNED)[-1].reason == "supersedes version 1"


def test_it_never_changes_a_signed_version(practice):
    plan = active_plan(practice)
    with pytest.raises(ValidationError, match="new version"):
        services.plan_update(
            actor=practice.people["tess"], plan=plan, content=content(), review_date=in_days(9)
        )
    with pytest.raises(ValidationError, match="already signed"):
        services.plan_sign(actor=practice.people["tess"], plan=plan)


def test_it_changes_a_draft_and_audits_it(practice):
    plan = draft_plan(practice)
    changed = services.plan_update(
        actor=practice.people["tess"],
        plan=plan,
        content=content(OUTLINE.replace("six hours", "seven hours")),
        review_date=in_days(30),
    )
    assert "seven hours" in services.render_outline(services.plan_content(changed))
    assert changed.review_date == in_days(30)
    assert len(events(EventType.PRACTICE_PLAN_UPDATED)) == 1


def test_it_refuses_to_sign_a_plan_that_is_not_measurable(practice):
    plan = services.plan_create(
        actor=practice.people["tess"],
        client=practice.clients["ada"],
        content=services.parse_outline("Problem: p\nGoal: g\nObjective: o"),
        review_date=in_days(30),
    )
    with pytest.raises(ValidationError, match="Measure"):
        services.plan_sign(actor=practice.people["tess"], plan=plan)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_it_refuses_a_review_date_in_the_past(practice):
    with pytest.raises(ValidationError, match="past"):
        draft_plan(practice, review_in=-1)


# ---- who may write ----------------------------------------------------------------------


@pytest.mark.parametrize("who", ["theo", "sue", "fran", "bill", "priya", "amira", "oren"])
def test_only_a_therapist_of_the_client_starts_a_plan(practice, who):
    with pytest.raises(PermissionDenied):
        draft_plan(practice, author=who)
    assert not TreatmentPlan.objects.exists()


@pytest.mark.parametrize("who", ["sue", "fran", "theo"])
def test_nobody_else_signs_or_closes_the_plan(practice, who):
    draft = draft_plan(practice)
    with pytest.raises(PermissionDenied):
        services.plan_sign(actor=practice.people[who], plan=draft)
    active = services.plan_sign(actor=practice.people["tess"], plan=draft)
    with pytest.raises(PermissionDenied):
        services.plan_close(actor=practice.people[who], plan=active)


# ---- signatures and the digest ----------------------------------------------------------


def test_the_digest_is_the_sha256_of_the_canonical_version(practice):
    plan = active_plan(practice)
    canonical = json.dumps(
        {
            "client": str(plan.client_id),
            "plan": str(plan.pk),
            "version": 1,
            "review_date": plan.review_date.isoformat(),
            "content": content(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert services.plan_digest(plan) == hashlib.sha256(canonical.encode()).hexdigest()


def test_the_digest_changes_with_any_word_of_the_plan(practice):
    plan = draft_plan(practice)
    before = services.plan_digest(plan)
    changed = services.plan_update(
        actor=practice.people["tess"],
        plan=plan,
        content=content(OUTLINE.replace("5 of 7", "6 of 7")),
        review_date=plan.review_date,
    )
    assert services.plan_digest(changed) != before


def test_the_client_signs_the_active_version_with_name_date_and_digest(practice):
    plan = active_plan(practice)
    signed = services.plan_client_sign(
        actor=practice.people["tess"], plan=plan, typed_name="  ada   canaryvale TESTWELL "
    )
    signature = services.client_signature(signed)
    assert signature["name"] == "ada canaryvale TESTWELL"
    assert signature["digest"] == services.plan_digest(signed)
    assert signature["date"] == in_days(0).isoformat()
    assert ADA_LEGAL.split()[1] not in raw_column(TreatmentPlan, plan.pk, "client_signature")
    [entry] = events(EventType.PRACTICE_PLAN_CLIENT_SIGNED)
    assert "Canaryvale" not in (entry.reason + entry.target)


def test_it_refuses_a_client_signature_with_another_name(practice):
    plan = active_plan(practice)
    with pytest.raises(ValidationError) as exc:
        services.plan_client_sign(actor=practice.people["tess"], plan=plan, typed_name="Ben")
    assert "full name" in " ".join(exc.value.messages)
    plan.refresh_from_db()
    assert plan.client_signed_at is None


def test_it_refuses_a_client_signature_on_a_draft_or_twice(practice):
    draft = draft_plan(practice)
    with pytest.raises(ValidationError, match="active"):
        services.plan_client_sign(actor=practice.people["tess"], plan=draft, typed_name=ADA_LEGAL)
    active = services.plan_sign(actor=practice.people["tess"], plan=draft)
    services.plan_client_sign(actor=practice.people["tess"], plan=active, typed_name="Addie")
    with pytest.raises(ValidationError, match="already signed"):
        services.plan_client_sign(actor=practice.people["tess"], plan=active, typed_name="Addie")


def test_closing_keeps_the_plan_readable_and_refuses_a_draft(practice):
    draft = draft_plan(practice)
    with pytest.raises(ValidationError, match="active"):
        services.plan_close(actor=practice.people["tess"], plan=draft)
    closed = services.plan_close(
        actor=practice.people["tess"],
        plan=services.plan_sign(actor=practice.people["tess"], plan=draft),
    )
    assert closed.status == PlanStatus.CLOSED
    assert services.plan_content(closed) == content()
