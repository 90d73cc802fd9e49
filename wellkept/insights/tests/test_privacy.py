"""Differential-privacy mode: noisy figures, one answer per question, a budget that runs out.

The privacy officer turns the mode on through the settings service; a
leader then reads the dashboards through the page, the CSV export and the
API. What a viewer sees is read back from the responses; the budget spent
is read from the ledger, which is what a privacy officer's budget table
shows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from wellkept.actors import SystemActor
from wellkept.audit.models import AuditEntry
from wellkept.insights.api_tokens import api_token_create
from wellkept.insights.disclosure import Group, Releaser, settings_for
from wellkept.insights.models import NoisyRelease, PrivacyBudget, Release
from wellkept.insights.periods import Grain, period_of
from wellkept.insights.privacy import noisy_figure, period_release
from wellkept.insights.services import insights_release_periods, insights_settings_update
from wellkept.insights.tests.builders import ANSWER_DAY, WardWorld, on_day

pytestmark = pytest.mark.django_db

ANSWER_WEEK = period_of(Grain.WEEK, ANSWER_DAY)
# The Monday after the answers: their week is the dashboard's latest period.
VIEW_DAY = ANSWER_WEEK + dt.timedelta(weeks=1)
PULSE = {"instrument": "phq2", "grain": "week", "periods": "4"}
API = "/api/v1/insights/dashboard"
BUDGET_REASON = "Hidden: this quarter's privacy budget is spent."
# ward_world: twenty people answered PHQ-2 in the answer week, 34 points in all.
PEOPLE, TOTAL = 20, 34


def dp_on(world: WardWorld, **epsilons: float) -> None:
    insights_settings_update(
        actor=world.h.people["priya"],
        organisation=world.h.organisation,
        dp_enabled=True,
        **epsilons,
    )


def spent(world: WardWorld) -> float:
    return sum(
        b.spent
        for b in PrivacyBudget.objects.filter(organisation=world.h.organisation, family="phq2")
    )


def shown_releases(world: WardWorld) -> int:
    return Release.objects.filter(
        organisation=world.h.organisation, family="phq2", figures__isnull=False
    ).count()


def leader_api(world: WardWorld) -> Client:
    raw = api_token_create(
        actor=SystemActor("privacy-tests"),
        user=world.h.people["lena"],
        organisation=world.h.organisation,
    ).raw
    return Client(headers={"Authorization": f"Bearer {raw}"})


def leader_session(world: WardWorld) -> Client:
    client = Client()
    client.force_login(world.h.people["lena"])
    return client


def answer_week(body: dict[str, Any]) -> dict[str, Any]:
    """The whole organisation's figure for the answer week, from an API answer."""
    (point,) = [p for p in body["trend"] if p["period"] == ANSWER_WEEK.isoformat()]
    overall: dict[str, Any] = point["overall"]
    return overall


def figures(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = [p["figure"] for p in body["trend"]] + [p["overall"] for p in body["trend"]]
    for key in ("by_unit", "by_shift", "by_role"):
        found += [row["figure"] for row in body[key]]
    return found


def noisy_periods(world: WardWorld) -> int:
    return NoisyRelease.objects.filter(
        organisation=world.h.organisation, family="phq2", epsilon_spent__gt=0
    ).count()


def test_it_answers_the_same_question_with_the_same_figures_and_spends_once(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dp_on(ward_world)
    with on_day(monkeypatch, VIEW_DAY):
        client = leader_api(ward_world)
        first = client.get(API, PULSE)
        after_first = spent(ward_world)
        again = client.get(API, PULSE)
        # Another leader's session asks the same: still the same answer.
        page = leader_session(ward_world).get("/team/insights/", PULSE)
    assert first.status_code == again.status_code == page.status_code == 200
    assert first.json() == again.json()
    # One release per week shown, each paid for once.
    per_release = settings_for(ward_world.h.organisation).epsilon_per_release
    assert noisy_periods(ward_world) == 4
    assert math.isclose(after_first, 4 * per_release)
    assert spent(ward_world) == after_first
    assert all(f["noisy"] for f in figures(first.json()) if not f["hidden"])


def test_no_viewer_can_spend_the_budget_for_others(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every filter and channel a leader can try about the same periods spends nothing more."""
    dp_on(ward_world)
    w = ward_world
    with on_day(monkeypatch, VIEW_DAY):
        client = leader_api(w)
        client.get(API, PULSE)
        before = spent(w)
        for filters in (
            {"unit": str(w.medicine.pk)},
            {"unit": str(w.night_team.pk)},
            {"shift": "night"},
            {"role": "resident"},
            {"unit": str(w.medicine.pk), "shift": "day"},
        ):
            for _ in range(3):
                assert client.get(API, {**PULSE, **filters}).status_code == 200
            leader_session(w).get("/team/insights/export.csv", {**PULSE, **filters})
    assert spent(w) == before
    assert noisy_periods(w) == 4


def test_it_releases_a_closed_period_once_from_the_scheduler(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The daily job noises each closed period once; viewers then only read."""
    dp_on(ward_world)
    with on_day(monkeypatch, VIEW_DAY):
        first = insights_release_periods()
        again = insights_release_periods()
        before = spent(ward_world)
        leader_api(ward_world).get(API, {**PULSE, "periods": "1"})
    assert first.released > 0
    assert again.released == 0
    assert spent(ward_world) == before
    week = NoisyRelease.objects.get(
        organisation=ward_world.h.organisation,
        family="phq2",
        grain="week",
        period_start=ANSWER_WEEK,
    )
    assert week.epsilon_spent > 0


def test_it_refuses_to_release_periods_for_anyone_but_a_maintenance_job(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A leader cannot spend the budget ahead of the schedule; the refusal is audited."""
    dp_on(ward_world)
    leader = ward_world.h.people["lena"]
    with on_day(monkeypatch, VIEW_DAY), pytest.raises(PermissionDenied):
        insights_release_periods(actor=leader)
    assert not NoisyRelease.objects.filter(organisation=ward_world.h.organisation).exists()
    assert AuditEntry.objects.order_by("-id").first().event == "access.denied"


def test_it_hides_a_period_its_quarters_spent_budget_cannot_pay_for_and_says_so(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The quarter's budget was used up before (for instance under older settings).
    dp_on(ward_world)
    quarter = period_of(Grain.QUARTER, ANSWER_WEEK)
    PrivacyBudget.objects.create(
        organisation=ward_world.h.organisation, family="phq2", quarter=quarter, spent=18.0
    )
    with on_day(monkeypatch, VIEW_DAY):
        client = leader_api(ward_world)
        body = client.get(API, PULSE).json()
        page = leader_session(ward_world).get("/team/insights/", PULSE).content.decode()
    overall = answer_week(body)
    assert overall["hidden"] is True
    assert overall["reason"] == BUDGET_REASON
    assert overall["people"] is None
    assert BUDGET_REASON.replace("'", "&#x27;") in page
    assert math.isclose(
        PrivacyBudget.objects.get(
            organisation=ward_world.h.organisation, family="phq2", quarter=quarter
        ).spent,
        18.0,
    )


def test_it_shows_noisy_figures_with_their_uncertainty_band(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a period's noisy release holds is shown alike on the page, in the CSV and the API."""
    dp_on(ward_world)
    releaser = Releaser(ward_world.h.organisation, today=VIEW_DAY)
    overall_group = Group("phq2", Grain.WEEK, ANSWER_WEEK)
    shown = noisy_figure(
        group=overall_group,
        people=PEOPLE,
        responses=PEOPLE,
        scored=PEOPLE,
        total=TOTAL,
        bands={},
        epsilon=5.0,
        weeks=1,
        score_range=(0, 6),
    )
    # The week's release, made ahead by the job with a figure the test controls.
    period_release(releaser, "phq2", Grain.WEEK, ANSWER_WEEK)
    stored = NoisyRelease.objects.get(family="phq2", grain="week", period_start=ANSWER_WEEK)
    stored.figures[overall_group.key] = shown.as_json()
    stored.save(update_fields=["figures"])
    with on_day(monkeypatch, VIEW_DAY):
        body = leader_api(ward_world).get(API, PULSE).json()
        session = leader_session(ward_world)
        page = session.get("/team/insights/", PULSE).content.decode()
        export = session.get("/team/insights/export.csv", PULSE).content.decode()
    overall = answer_week(body)
    assert body["differential_privacy"] is True
    assert overall["noisy"] is True
    assert overall["mean_low"] <= overall["mean"] <= overall["mean_high"]
    assert overall["mean_low"] < overall["mean_high"]
    assert overall["people_margin"] > 0
    # The page says what the band means and shows it beside the mean.
    assert "95 times in 100" in page
    band = f"({overall['mean_low']:.1f}&ndash;{overall['mean_high']:.1f})"
    assert band in page.replace("\u2013", "&ndash;")
    rows = [r for r in csv.reader(io.StringIO(export)) if r[:2] == ["Trend", "Whole organisation"]]
    (week,) = [r for r in rows if r[3] != "hidden" and r[6]]
    assert (float(week[6]), float(week[7])) == (
        pytest.approx(overall["mean_low"], abs=0.05),
        pytest.approx(overall["mean_high"], abs=0.05),
    )
    assert "differential-privacy noise" in week[-1]


def test_its_uncertainty_band_holds_the_true_mean_about_95_times_in_100() -> None:
    """Honest band: over many draws it covers the truth as often as it claims, and no wider."""
    people, total, trials = 200, 340, 300
    covered = people_covered = 0
    widths = []
    for _ in range(trials):
        figure = noisy_figure(
            group=Group("phq2"),
            people=people,
            responses=people,
            scored=people,
            total=total,
            bands={},
            epsilon=5.0,
            weeks=1,
            score_range=(0, 6),
        )
        assert figure.mean_low is not None
        assert figure.mean_high is not None
        assert figure.people is not None
        assert figure.people_margin is not None
        covered += figure.mean_low <= total / people <= figure.mean_high
        people_covered += abs(figure.people - people) <= figure.people_margin
        widths.append(figure.mean_high - figure.mean_low)
    # 95% expected; 90% is more than four standard deviations below it.
    assert covered / trials >= 0.90
    assert people_covered / trials >= 0.90
    # Not honest by being useless: the band is far narrower than the 0-6 scale.
    assert sum(widths) / trials < 1.0


def test_it_gives_exact_figures_when_the_mode_is_off(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    insights_settings_update(
        actor=ward_world.h.people["priya"], organisation=ward_world.h.organisation, dp_enabled=False
    )
    with on_day(monkeypatch, VIEW_DAY):
        body = leader_api(ward_world).get(API, PULSE).json()
        page = leader_session(ward_world).get("/team/insights/", PULSE).content.decode()
    overall = answer_week(body)
    assert body["differential_privacy"] is False
    assert overall["noisy"] is False
    assert overall["people"] == PEOPLE
    assert overall["mean"] == round(TOTAL / PEOPLE, 2)
    assert overall["mean_low"] is None
    assert overall["mean_high"] is None
    assert "95 times in 100" not in page
    assert spent(ward_world) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"epsilon_per_quarter": 0.0}, "epsilon_per_quarter"),
        ({"epsilon_per_quarter": -1.0}, "epsilon_per_quarter"),
        ({"epsilon_per_quarter": 25.0}, "epsilon_per_quarter"),
        ({"epsilon_per_quarter": math.inf}, "epsilon_per_quarter"),
        ({"epsilon_per_release": 0.0}, "epsilon_per_release"),
        ({"epsilon_per_release": 6.0}, "epsilon_per_release"),
    ],
)
def test_it_refuses_epsilon_settings_out_of_range(
    staffed_hospital: Any, change: dict[str, float], field: str
) -> None:
    h = staffed_hospital
    with pytest.raises(ValidationError) as refused:
        insights_settings_update(
            actor=h.people["priya"], organisation=h.organisation, dp_enabled=True, **change
        )
    assert field in refused.value.message_dict
    assert refused.value.message_dict[field][0]
    assert settings_for(h.organisation).dp_enabled is False


@pytest.mark.parametrize("field", ["epsilon_per_quarter", "epsilon_per_release"])
def test_it_refuses_an_epsilon_that_is_not_a_number(staffed_hospital: Any, field: str) -> None:
    h = staffed_hospital
    with pytest.raises(ValidationError):
        insights_settings_update(
            actor=h.people["priya"],
            organisation=h.organisation,
            dp_enabled=True,
            **{field: math.nan},
        )
    stored = settings_for(h.organisation)
    assert stored.dp_enabled is False
    assert math.isfinite(stored.epsilon_per_quarter)
    assert math.isfinite(stored.epsilon_per_release)


def test_it_refuses_a_release_the_quarters_budget_cannot_pay_for_every_period(
    staffed_hospital: Any,
) -> None:
    h = staffed_hospital
    with pytest.raises(ValidationError) as refused:
        insights_settings_update(
            actor=h.people["priya"],
            organisation=h.organisation,
            dp_enabled=True,
            epsilon_per_quarter=1.0,
            epsilon_per_release=0.1,
        )
    assert "18 periods" in refused.value.message_dict["epsilon_per_release"][0]
    assert settings_for(h.organisation).dp_enabled is False


def test_it_refuses_bad_epsilon_on_the_command_line_with_a_message(staffed_hospital: Any) -> None:
    with pytest.raises(CommandError) as refused:
        call_command(
            "insights", "settings", "--organisation", "st-annes", "--epsilon-per-quarter", "0"
        )
    assert "epsilon_per_quarter" in str(refused.value)
    assert "Traceback" not in str(refused.value)


def test_it_lets_only_the_privacy_officer_turn_the_mode_on(staffed_hospital: Any) -> None:
    h = staffed_hospital
    for name in ("lena", "wendy", "amira"):
        with pytest.raises(PermissionDenied):
            insights_settings_update(
                actor=h.people[name], organisation=h.organisation, dp_enabled=True
            )
    assert settings_for(h.organisation).dp_enabled is False
