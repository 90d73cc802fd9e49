"""Shared pieces of the plan tests: a complete, measurable plan and a signed version."""

from __future__ import annotations

import datetime as dt

from wellkept import clock
from wellkept.practice import services
from wellkept.practice.models import TreatmentPlan
from wellkept.practice.tests.conftest import Practice

# Distinctive words, so a canary can look for them in every byte written.
OUTLINE = """\
Problem: Sleep disrupted by rotating night shifts (Plovercanary)
  Goal: Sleep at least six hours after a night shift
    Objective: Sleep diary shows six hours or more
      Measure: Sleep diary
      Target: 5 of 7 nights
      By: 2027-03-01
      Intervention: Sleep scheduling (CBT-I)
      Intervention: Wind-down routine
"""


def in_days(days: int) -> dt.date:
    return clock.now().astimezone(dt.UTC).date() + dt.timedelta(days=days)


def content(outline: str = OUTLINE) -> list[dict[str, object]]:
    return services.parse_outline(outline)


def draft_plan(
    practice: Practice, author: str = "tess", client: str = "ada", review_in: int = 60
) -> TreatmentPlan:
    return services.plan_create(
        actor=practice.people[author],
        client=practice.clients[client],
        content=content(),
        review_date=in_days(review_in),
    )


def active_plan(
    practice: Practice, author: str = "tess", client: str = "ada", review_in: int = 60
) -> TreatmentPlan:
    plan = draft_plan(practice, author, client, review_in)
    return services.plan_sign(actor=practice.people[author], plan=plan)
