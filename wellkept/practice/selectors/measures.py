"""Reads of measurement-based care. Every read goes through the policy and is audited.

- ``client_measures``: the client's assignments (with when each is next due)
  and results per instrument, each result marked when it crossed the
  instrument's published cut-off since the first (clinically significant change).
- ``measure_alerts``: the actor's own alerts at one practice.
- ``measure_trend_chart``: one instrument's results as SVG geometry, the same
  numbers always in a table beside it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts.models import User
from wellkept.actors import Caller
from wellkept.assessments.charts import TrendChart, trend_chart
from wellkept.assessments.instruments import Instrument, UnknownInstrument, get_instrument
from wellkept.assessments.models import SupportKind, SupportResource
from wellkept.assessments.selectors import HistoryPoint
from wellkept.orgs.models import Organisation
from wellkept.practice.models import Client, MeasureAlert, MeasureAssignment, MeasureResult
from wellkept.practice.scopes import measures_assigned

MEASURE_PURPOSE = Purpose.CLINICAL_CARE


@dataclass(frozen=True)
class CutOff:
    """A published cut-off between the clinical and the non-clinical range."""

    score: int
    # True: a total at or above ``score`` is in the clinical range (PHQ-9);
    # False: at or below it (WHO-5, where higher is better).
    clinical_at_or_above: bool
    source: str

    def clinical(self, total: int) -> bool:
        return total >= self.score if self.clinical_at_or_above else total <= self.score


# The cut-points of the instruments' own validation studies (as in their
# definition files' sources); see docs/instruments.md.
CUT_OFFS: dict[str, CutOff] = {
    "phq9": CutOff(
        10, True, "Kroenke, Spitzer & Williams 2001 (major depression, score 10 or more)"
    ),
    "gad7": CutOff(10, True, "Spitzer, Kroenke, Williams & Löwe 2006 (score 10 or more)"),
    "phq2": CutOff(3, True, "Kroenke, Spitzer & Williams 2003 (score 3 or more)"),
    "who5": CutOff(
        50, False, "Topp, Østergaard, Søndergaard & Bech 2015 (poor wellbeing, 50 or less)"
    ),
}


@dataclass(frozen=True)
class ReliableChange:
    """The smallest change in total that measurement error alone is unlikely to explain."""

    points: int
    # True where a lower total is better (PHQ-9, GAD-7).
    lower_is_better: bool
    source: str


# Jacobson and Truax's reliable change index (1991), as the NHS Talking
# Therapies programme publishes it per questionnaire: a change of at least
# this many points, from the first result, is reliable (p < 0.05). The
# WHO-5 and PHQ-2 have no such published threshold, so none is marked.
RELIABLE_CHANGE: dict[str, ReliableChange] = {
    "phq9": ReliableChange(
        6, True, "NHS Talking Therapies manual: reliable change on the PHQ-9 is 6 points or more"
    ),
    "gad7": ReliableChange(
        4, True, "NHS Talking Therapies manual: reliable change on the GAD-7 is 4 points or more"
    ),
}


def reliable_change(rule: ReliableChange | None, first: int | None, now: int | None) -> str:
    """Whether ``now`` differs from ``first`` reliably: "improved", "deteriorated" or ""."""
    if rule is None or first is None or now is None or abs(now - first) < rule.points:
        return ""
    return "improved" if (now < first) == rule.lower_is_better else "deteriorated"


@dataclass(frozen=True)
class Row:
    result: MeasureResult
    total: int | None
    band_label: str
    safety: bool
    # "improved" or "deteriorated" past the cut-off since the first result, else "".
    significant: str
    # "improved" or "deteriorated" by at least the reliable change since the first, else "".
    reliable: str = ""


@dataclass(frozen=True)
class Series:
    instrument: Instrument
    rows: list[Row]
    cut_off: CutOff | None
    chart: TrendChart | None
    reliable_change: ReliableChange | None = None


@dataclass(frozen=True)
class Due:
    assignment: MeasureAssignment
    instrument: Instrument
    last: dt.date | None
    due_on: dt.date | None  # None: given once and done

    @property
    def is_due(self) -> bool:
        return self.due_on is not None and self.due_on <= clock.now().astimezone(dt.UTC).date()

    @property
    def ended_on(self) -> dt.date | None:
        ended = self.assignment.ended_at
        return ended.astimezone(dt.UTC).date() if ended else None


def result_data(result: MeasureResult) -> dict[str, Any]:
    """The result's answers, total, band and safety flag ({} for an erased value)."""
    raw = result.result
    if not isinstance(raw, str):
        return {}
    loaded = json.loads(raw)
    return loaded if isinstance(loaded, dict) else {}


def significant_change(cut_off: CutOff | None, first: int | None, now: int | None) -> str:
    """Whether ``now`` crossed the cut-off since ``first``: "improved", "deteriorated" or ""."""
    if cut_off is None or first is None or now is None:
        return ""
    before, after = cut_off.clinical(first), cut_off.clinical(now)
    if before and not after:
        return "improved"
    if after and not before:
        return "deteriorated"
    return ""


def measure_trend_chart(instrument: Instrument, rows: list[Row]) -> TrendChart | None:
    """The results' trend as SVG geometry (None for fewer than two scored results)."""
    points = [
        HistoryPoint(
            day=r.result.administered_on,
            total=r.total,
            band=None,
            band_label=r.band_label,
            response_id=r.result.pk,
        )
        for r in rows
    ]
    chart = trend_chart(instrument, points, by_date=True)
    if chart is None:
        return None
    scored = [r for r in rows if r.total is not None]
    direction = "Higher is better." if instrument.higher_is_better else "Lower is better."
    return dataclasses.replace(
        chart,
        description=(
            f"The client's {instrument.short_title} totals over {len(scored)} results, "
            f"from {scored[0].total} on {scored[0].result.administered_on.isoformat()} to "
            f"{scored[-1].total} on {scored[-1].result.administered_on.isoformat()}. {direction}"
        ),
    )


def client_measures(
    *, actor: Caller, client: Client, request: HttpRequest | None = None
) -> tuple[list[Due], list[Series]]:
    """The client's assignments (next due dates) and results per instrument, oldest first."""
    assignments = list(
        visible(
            actor,
            Action.READ,
            MeasureAssignment.objects.filter(client=client),
            MEASURE_PURPOSE,
            request=request,
        ).order_by(F("ended_at").asc(nulls_first=True), "instrument", "-assigned_at")
    )
    results = list(
        visible(
            actor,
            Action.READ,
            MeasureResult.objects.filter(client=client),
            MEASURE_PURPOSE,
            request=request,
        ).order_by("administered_on", "recorded_at")
    )
    by_code: dict[str, list[MeasureResult]] = {}
    for result in results:
        by_code.setdefault(result.instrument_key.split("@")[0], []).append(result)
    series: list[Series] = []
    for code, rows in sorted(by_code.items()):
        try:
            instrument = get_instrument(code)
        except UnknownInstrument:
            continue
        cut_off = CUT_OFFS.get(code)
        rule = RELIABLE_CHANGE.get(code)
        first_total: int | None = None
        marked: list[Row] = []
        for result in rows:
            data = result_data(result)
            total = data.get("total")
            total = total if isinstance(total, int) else None
            if first_total is None:
                first_total = total
            band = data.get("band") or ""
            label = next((b.label for b in instrument.bands if b.code == band), "")
            marked.append(
                Row(
                    result=result,
                    total=total,
                    band_label=label,
                    safety=bool(data.get("safety")),
                    significant=significant_change(cut_off, first_total, total)
                    if result is not rows[0]
                    else "",
                    reliable=reliable_change(rule, first_total, total)
                    if result is not rows[0]
                    else "",
                )
            )
        chart = measure_trend_chart(instrument, marked)
        series.append(Series(instrument, marked, cut_off, chart, rule))
    due: list[Due] = []
    for assignment in assignments:
        try:
            instrument = get_instrument(assignment.instrument)
        except UnknownInstrument:
            continue
        taken = by_code.get(assignment.instrument, [])
        last = taken[-1].administered_on if taken else None
        if assignment.ended_at is not None:
            # Ended: never due again, whatever its schedule said.
            due_on: dt.date | None = None
        elif last is None:
            due_on = assignment.assigned_at.astimezone(dt.UTC).date()
        elif assignment.every_weeks:
            due_on = last + dt.timedelta(weeks=assignment.every_weeks)
        else:
            due_on = None
        due.append(Due(assignment, instrument, last, due_on))
    return due, series


def get_measure_assignment_for(
    *,
    actor: Caller,
    client: Client,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> MeasureAssignment:
    """Return the client's measure assignment the actor may ``action``, or 404."""
    return get_for(
        actor=actor,
        queryset=MeasureAssignment.objects.filter(client=client).select_related("client"),
        pk=pk,
        action=action or declared_action(ResourceKind.CLIENT_RECORD, Action.READ),
        purpose=MEASURE_PURPOSE,
        request=request,
    )


def get_measure_alert_for(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> MeasureAlert:
    """Return one's own measure alert at the practice, or 404 (anyone else's is missing)."""
    return get_for(
        actor=actor,
        queryset=MeasureAlert.objects.filter(client__organisation=organisation).select_related(
            "client"
        ),
        pk=pk,
        action=action or declared_action(ResourceKind.CLIENT_RECORD, Action.READ),
        purpose=MEASURE_PURPOSE,
        request=request,
    )


def unacknowledged_alert_count(*, user: User, organisation: Organisation) -> int:
    """How many of one's own alerts at the practice wait to be acknowledged.

    A number for one's own practice home, naming no client: the policy's
    scope for alerts (one's own, on clients one still works with) without
    an audited read, which the alerts page makes when opened.
    """
    return MeasureAlert.objects.filter(
        Q(therapist_id=user.pk) & measures_assigned(user),
        client__organisation=organisation,
        acknowledged_at__isnull=True,
    ).count()


def measure_alerts(
    *, actor: Caller, organisation: Organisation, request: HttpRequest | None = None
) -> list[MeasureAlert]:
    """The actor's own measure alerts at one practice, newest first."""
    rows = visible(
        actor,
        Action.READ,
        MeasureAlert.objects.filter(client__organisation=organisation).select_related("client"),
        MEASURE_PURPOSE,
        request=request,
    )
    # Those still to acknowledge first, then the newest.
    return list(rows.order_by(F("acknowledged_at").desc(nulls_first=True), "-raised_at"))


def crisis_resources(organisation: Organisation) -> list[SupportResource]:
    """The crisis lines the organisation's wellbeing programme lists (not personal data)."""
    return list(
        SupportResource.objects.filter(
            programme__organisation=organisation, kind=SupportKind.CRISIS
        ).order_by("position", "name")
    )
