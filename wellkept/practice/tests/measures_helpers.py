"""Shared pieces of the measures tests: answers that add up to a chosen total."""

from __future__ import annotations

import datetime as dt

from wellkept import clock
from wellkept.practice import services
from wellkept.practice.models import MeasureResult
from wellkept.practice.tests.conftest import Practice


def days_ago(days: int) -> dt.date:
    return clock.now().astimezone(dt.UTC).date() - dt.timedelta(days=days)


def phq9(total: int, item9: int = 0) -> dict[str, int | None]:
    """PHQ-9 answers with this total (item 9 as given, the rest spread over items 1-8)."""
    rest = total - item9
    answers: dict[str, int | None] = {}
    for n in range(1, 9):
        value = min(3, rest)
        answers[f"phq9_{n}"] = value
        rest -= value
    assert rest == 0, "a PHQ-9 total is at most 27"
    answers["phq9_9"] = item9
    return answers


def gad7(total: int) -> dict[str, int | None]:
    rest = total
    answers: dict[str, int | None] = {}
    for n in range(1, 8):
        value = min(3, rest)
        answers[f"gad7_{n}"] = value
        rest -= value
    return answers


def record(
    practice: Practice,
    answers: dict[str, int | None],
    instrument: str = "phq9",
    ago: int = 0,
    who: str = "tess",
    client: str = "ada",
) -> MeasureResult:
    return services.measure_record(
        actor=practice.people[who],
        client=practice.clients[client],
        instrument=instrument,
        answers=answers,
        administered_on=days_ago(ago),
    )
