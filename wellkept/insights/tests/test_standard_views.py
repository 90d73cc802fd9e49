"""The daily job releases each closed period's standard views before any leader asks.

Personas: Lena, a leader, opens the insights page with no filters; Priya,
the privacy officer, may change disclosure control but not release figures
ahead of viewers; the scheduler's job (``RELEASE_JOB``) may. The world is
``ward_world``: twenty people answered PHQ-2 in one July week, one of them
alone in the night team, so some groups are shown and some hidden.
"""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command

from wellkept.assessments.models import Schedule
from wellkept.audit.models import AuditEntry
from wellkept.insights import selectors
from wellkept.insights.disclosure import Releaser
from wellkept.insights.models import EnrolmentSnapshot, Release
from wellkept.insights.selectors import Dashboard, parse_query
from wellkept.insights.services import (
    RELEASE_JOB,
    dashboard_release,
    insights_release_standard_views,
    insights_settings_update,
)
from wellkept.insights.tests.builders import TODAY, WardWorld, on_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def pulse_world(ward_world: WardWorld, staffed_hospital: Any) -> WardWorld:
    """The ward world with only the weekly pulse (PHQ-2, burnout) scheduled: fewer views."""
    Schedule.objects.filter(programme__organisation=ward_world.h.organisation).exclude(
        pk=ward_world.h.pulse.pk
    ).delete()
    return ward_world


def _target(world: WardWorld) -> str:
    return f"aggregate:{world.h.organisation.pk}/standard-views"


def _leaders_default_view(world: WardWorld) -> Dashboard:
    """What Lena's page asks for when she opens it without choosing anything."""
    organisation = world.h.organisation
    return dashboard_release(
        actor=world.h.people["lena"],
        organisation=organisation,
        query=parse_query(organisation, {}),
    )


def _decisions(dashboard: Dashboard) -> list[tuple[str, bool, str, dict[str, Any]]]:
    return [(f.group.key, f.shown, f.hidden, f.as_json()) for f in dashboard.figures()]


def _forget_every_release(world: WardWorld) -> None:
    """Back to an empty ledger: the state of a database nobody has asked anything of."""
    Release.objects.filter(organisation=world.h.organisation).delete()
    EnrolmentSnapshot.objects.filter(organisation=world.h.organisation).delete()


def test_it_makes_a_leaders_first_view_a_repeat_view_with_the_same_figures(
    pulse_world: WardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, TODAY):
        # Without the job: Lena asks first, against an empty ledger.
        asked_first = _decisions(_leaders_default_view(pulse_world))
        _forget_every_release(pulse_world)
        result = insights_release_standard_views()
        released = Release.objects.count()
        after_the_job = _decisions(_leaders_default_view(pulse_world))
    assert result.figures == released > 0
    # A repeat view: nothing new decided or recorded.
    assert Release.objects.count() == released
    assert after_the_job == asked_first
    shown = [shown for _, shown, _, _ in asked_first]
    # The world must show some groups and hide others, or the comparison says little.
    assert any(shown)
    assert not all(shown)


def test_it_plans_every_scheduled_questionnaire_grain_and_top_level_unit_default_first(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation = ward_world.h.organisation
    with on_day(monkeypatch, TODAY):
        views = selectors.standard_views(organisation)
    scheduled = {
        code
        for schedule in Schedule.objects.filter(programme__organisation=organisation)
        for code in schedule.instruments
    }
    asked = [(v.query.instrument, v.query.grain.value, v.query.unit) for v in views]
    assert len(asked) == len(set(asked)) == len(scheduled) * 3 * 3
    assert {i for i, _, _ in asked} == scheduled
    assert {g for _, g, _ in asked} == {"week", "month", "quarter"}
    assert {u for _, _, u in asked} == {None, ward_world.medicine, ward_world.surgery}
    # The page a leader opens first is released first; every organisation-wide
    # view before any unit's: larger groups first.
    assert views[0].query == parse_query(organisation, {})
    assert [u is None for _, _, u in asked] == sorted(
        (u is None for _, _, u in asked), reverse=True
    )
    assert all(v.unreleased for v in views)
    assert not Release.objects.exists()


def test_it_releases_nothing_the_second_time_and_audits_nothing(
    pulse_world: WardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    with on_day(monkeypatch, TODAY):
        first = insights_release_standard_views(units=False)
        mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
        releases = Release.objects.count()
        second = insights_release_standard_views(units=False)
    assert first.figures > 0
    assert (second.views, second.figures, second.organisations) == (0, 0, 0)
    assert Release.objects.count() == releases
    assert not AuditEntry.objects.filter(id__gt=mark).exists()


def test_it_says_what_it_would_release_in_a_dry_run_and_releases_nothing(
    pulse_world: WardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = StringIO()
    with on_day(monkeypatch, TODAY):
        call_command(
            "insights", "release-views", "--dry-run", "--no-units", "--no-progress", stdout=out
        )
        assert not Release.objects.exists()
        call_command("insights", "release-views", "--no-units", "--no-progress", stdout=out)
    would, did = out.getvalue().splitlines()
    assert "nothing released (dry run)" in would
    assert did.startswith(f"Standard views: {Release.objects.count()} figures")


def test_it_leaves_organisations_in_differential_privacy_mode_to_the_noisy_release(
    pulse_world: WardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    insights_settings_update(
        actor=pulse_world.h.people["priya"],
        organisation=pulse_world.h.organisation,
        dp_enabled=True,
    )
    with on_day(monkeypatch, TODAY):
        result = insights_release_standard_views()
    assert result.skipped == 1
    assert result.figures == 0
    assert not Release.objects.filter(organisation=pulse_world.h.organisation).exists()


@pytest.mark.parametrize("who", ["lena", "priya"])
def test_it_refuses_anyone_but_the_job_and_audits_the_refusal(
    pulse_world: WardWorld, monkeypatch: pytest.MonkeyPatch, who: str
) -> None:
    with on_day(monkeypatch, TODAY), pytest.raises(PermissionDenied):
        insights_release_standard_views(actor=pulse_world.h.people[who])
    assert not Release.objects.exists()
    last = AuditEntry.objects.order_by("-id").first()
    assert (last.event, last.target) == ("access.denied", _target(pulse_world))


def test_it_audits_each_view_it_releases_with_references_only(
    pulse_world: WardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation = pulse_world.h.organisation
    with on_day(monkeypatch, TODAY):
        views = selectors.standard_views(organisation, units=False)
        insights_release_standard_views(units=False)
    entries = AuditEntry.objects.filter(target__startswith=_target(pulse_world)).order_by("id")
    assert [(e.event, e.outcome, e.actor_label, e.target) for e in entries] == [
        (
            "record.update",
            "allowed",
            f"system:{RELEASE_JOB.name}",
            f"{_target(pulse_world)}/{v.query.reference}",
        )
        for v in views
    ]


def test_it_keeps_a_views_releases_and_its_audit_entry_together_when_one_fails(
    pulse_world: WardWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    organisation = pulse_world.h.organisation
    release = Releaser.release
    calls = []

    def fails_in_the_second_view(self: Releaser, groups: Any) -> Any:
        # Each view is two batches: its trend, then its breakdown.
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("the solver fell over")
        return release(self, groups)

    monkeypatch.setattr(Releaser, "release", fails_in_the_second_view)
    with on_day(monkeypatch, TODAY):
        with pytest.raises(RuntimeError):
            insights_release_standard_views(units=False)
        first, second, *_ = selectors.standard_views(organisation, units=False)
    # The first view is released and audited; the second neither, not in part.
    assert first.unreleased == []
    assert second.query.grain.value == "quarter"
    assert not Release.objects.filter(group_key__startswith="phq2|quarter|").exists()
    entries = AuditEntry.objects.filter(target__startswith=_target(pulse_world))
    assert [e.target for e in entries] == [f"{_target(pulse_world)}/{first.query.reference}"]


def test_the_daily_scheduler_releases_the_standard_views(
    pulse_world: WardWorld,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.WELLKEPT_SCHEDULER_STATE_FILE = tmp_path / "scheduler.json"
    settings.WELLKEPT_TOMBSTONE_FILE = tmp_path / "tombstones.jsonl"
    out = StringIO()
    with on_day(monkeypatch, TODAY):
        call_command("scheduler", "--once", stdout=out)
    assert "Standard views:" in out.getvalue()
    assert AuditEntry.objects.filter(target__startswith=_target(pulse_world)).count() == 2 * 3 * 3
    assert Release.objects.filter(organisation=pulse_world.h.organisation).exists()
