"""Dashboards: what a leader or wellbeing officer asks for, and the groups that answer it.

A dashboard is one instrument at one grain (weeks, months or quarters),
optionally narrowed to a unit (with everything below it) and one shift type
or one role category. Those are the only filters: each adds groups the
ledger must check, and a free combination of filters is exactly what
differencing attacks are made of.

Everything here only reads. ``dashboard_plan`` lists a dashboard's groups
in the order they are decided and reads what the ledger already holds;
deciding new groups writes the ledger (and, in differential-privacy mode,
spends budget), so it is the service ``services.dashboard_release``, which
every page, export and API answer goes through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import decide
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.assessments.instruments.instrument import Instrument
from wellkept.insights import periods
from wellkept.insights.disclosure import ENROLMENT, Figure, Group, Releaser
from wellkept.insights.periods import Grain
from wellkept.orgs.models import Organisation, RoleCategory, ShiftType, Unit

# How many periods a trend shows, per grain.
DEFAULT_PERIODS = {Grain.WEEK: 12, Grain.MONTH: 12, Grain.QUARTER: 6}
MAX_PERIODS = 26


class QueryError(ValueError):
    """A dashboard request that cannot be answered; the message says what to change."""


@dataclass(frozen=True)
class Query:
    instrument: str
    grain: Grain = Grain.MONTH
    count: int = 12
    unit: Unit | None = None
    shift: ShiftType | None = None
    role: str | None = None

    @property
    def reference(self) -> str:
        """The audit trail's description of what was asked: references, never figures."""
        parts = [self.instrument, self.grain.value, str(self.count)]
        if self.unit is not None:
            parts.append(f"unit={self.unit.pk}")
        if self.shift is not None:
            parts.append(f"shift={self.shift.code}")
        if self.role:
            parts.append(f"role={self.role}")
        return "/".join(parts)


def parse_query(organisation: Organisation, params: dict[str, Any]) -> Query:
    """Build a query from request parameters, with a plain message for anything wrong."""
    catalogue = shipped_instruments()
    code = (params.get("instrument") or "").strip() or _default_instrument(organisation)
    if code not in catalogue:
        raise QueryError(
            f"There is no questionnaire {code!r}. Choose one of: {', '.join(sorted(catalogue))}."
        )
    try:
        grain = Grain((params.get("grain") or Grain.MONTH.value).strip())
    except ValueError:
        raise QueryError("Group by week, month or quarter.") from None
    count = DEFAULT_PERIODS[grain]
    raw_count = (params.get("periods") or "").strip()
    if raw_count:
        if not raw_count.isdigit() or not 1 <= int(raw_count) <= MAX_PERIODS:
            raise QueryError(f"Show between 1 and {MAX_PERIODS} periods.")
        count = int(raw_count)
    unit = shift = role = None
    if params.get("unit"):
        unit = Unit.objects.filter(organisation=organisation, pk=_uuid(params["unit"])).first()
        if unit is None:
            raise QueryError("That unit is not part of this organisation.")
    if params.get("shift"):
        shift = ShiftType.objects.filter(organisation=organisation, code=params["shift"]).first()
        if shift is None:
            raise QueryError("That shift type is not used in this organisation.")
    if params.get("role"):
        if params["role"] not in RoleCategory.values:
            raise QueryError("That role category does not exist.")
        role = params["role"]
    if shift is not None and role is not None:
        # Each extra filter multiplies the small groups the ledger has to
        # protect; two at once rarely leaves anything to show.
        raise QueryError("Filter by a shift type or by a role category, not both at once.")
    return Query(instrument=code, grain=grain, count=count, unit=unit, shift=shift, role=role)


def _uuid(value: str) -> Any:
    import uuid

    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise QueryError("That unit is not part of this organisation.") from None


def _default_instrument(organisation: Organisation) -> str:
    from wellkept.assessments.models import Schedule

    for schedule in Schedule.objects.filter(programme__organisation=organisation):
        for code in schedule.instruments:
            return str(code)
    return "phq9"


@dataclass
class Row:
    """One line of a breakdown: a label and the figure for its group."""

    label: str
    figure: Figure
    enrolled: Figure | None = None
    depth: int = 0
    unit_id: str | None = None

    @property
    def participation(self) -> float | None:
        """Share of people taking part who answered: both counts must be shown."""
        if self.enrolled is None or not (self.figure.shown and self.enrolled.shown):
            return None
        if not self.enrolled.people:
            return None
        return min(100.0, round(100.0 * (self.figure.people or 0) / self.enrolled.people, 0))


@dataclass
class TrendPoint:
    period: dt.date
    label: str
    figure: Figure
    overall: Figure


@dataclass
class Dashboard:
    organisation: Organisation
    query: Query
    instrument: Instrument
    k: int
    dp: bool
    trend: list[TrendPoint]
    latest: TrendPoint | None
    by_unit: list[Row] = field(default_factory=list)
    by_shift: list[Row] = field(default_factory=list)
    by_role: list[Row] = field(default_factory=list)
    participation: Row | None = None
    # Answers per severity band of the latest period's view: a figure of its own.
    band_figure: Figure | None = None

    @property
    def bands(self) -> list[tuple[str, str, int | None]]:
        """(code, label, answers) per severity band of the latest period, in order, if shown."""
        if self.band_figure is None or not self.band_figure.shown:
            return []
        counts = self.band_figure.bands
        return [(b.code, b.label, counts.get(b.code, 0)) for b in self.instrument.bands]

    def figures(self) -> list[Figure]:
        found = [p.figure for p in self.trend] + [p.overall for p in self.trend]
        for rows in (self.by_unit, self.by_shift, self.by_role):
            found += [r.figure for r in rows]
        if self.band_figure is not None:
            found.append(self.band_figure)
        return found


def aggregate_resource(organisation: Organisation, reference: str) -> Resource:
    return Resource(
        kind=ResourceKind.AGGREGATE,
        reference=f"aggregate:{organisation.pk}/{reference}",
        organisation_id=organisation.pk,
    )


def may_view(actor: Any, organisation: Organisation, purpose: Purpose) -> bool:
    """Whether the actor may see this organisation's dashboards at all (not audited)."""
    return decide(
        actor=actor,
        action=Action.VIEW_AGGREGATE,
        resource=aggregate_resource(organisation, "dashboard"),
        purpose=purpose,
        consent_ok=True,
    ).allowed


class _Subtrees:
    """Each unit's id with the ids of every unit below it, from one query per dashboard."""

    def __init__(self, organisation: Organisation) -> None:
        self._paths = list(Unit.objects.filter(organisation=organisation).values_list("path", "pk"))
        self._found: dict[str, frozenset[str]] = {}

    def __call__(self, unit: Unit) -> frozenset[str]:
        if unit.path not in self._found:
            self._found[unit.path] = frozenset(
                str(pk) for path, pk in self._paths if path.startswith(unit.path)
            )
        return self._found[unit.path]


@dataclass
class DashboardPlan:
    """A dashboard's groups, in the order they are decided, and the releases they already have.

    Made by ``dashboard_plan`` without writing anything; the service
    ``dashboard_release`` decides the groups never released before and
    records them, then ``assemble`` lays out the figures.
    """

    organisation: Organisation
    query: Query
    instrument: Instrument
    releaser: Releaser
    starts: list[dt.date]
    filtered: list[Group]
    overall: list[Group]
    total: Group | None = None
    total_bands: Group | None = None
    total_enrolled: Group | None = None
    unit_groups: list[tuple[Unit, Group]] = field(default_factory=list)
    enrolled_groups: list[Group] = field(default_factory=list)
    shift_groups: list[tuple[ShiftType, Group]] = field(default_factory=list)
    role_groups: list[tuple[str, str, Group]] = field(default_factory=list)
    # The breakdown's batch, each table largest first (its order decides what is hidden).
    breakdown: list[Group] = field(default_factory=list)

    @property
    def batches(self) -> list[list[Group]]:
        """The groups in the order they are released: the trend, then the latest breakdown.

        The whole organisation comes before the filtered view, each table's
        total before its rows: bigger groups first, so a small one is what
        gets hidden.
        """
        trend = [*self.overall, *self.filtered]
        return [trend, self.breakdown] if self.breakdown else [trend]

    def assemble(self, released: dict[str, Figure]) -> Dashboard:
        """Lay the released figures out as the page shows them; reads and writes nothing."""
        query = self.query
        trend = [
            TrendPoint(
                period=s,
                label=periods.label(query.grain, s),
                figure=released[f.key],
                overall=released[o.key],
            )
            for s, f, o in zip(self.starts, self.filtered, self.overall, strict=True)
        ]
        latest = trend[-1] if trend else None
        dashboard = Dashboard(
            organisation=self.organisation,
            query=query,
            instrument=self.instrument,
            k=self.releaser.k,
            dp=self.releaser.settings.dp_enabled,
            trend=trend,
            latest=latest,
        )
        if self.total is None or self.total_bands is None or self.total_enrolled is None:
            return dashboard
        if released[self.total.key].shown:
            dashboard.band_figure = released[self.total_bands.key]
        dashboard.participation = Row(
            label="All people in this view",
            figure=released[self.total.key],
            enrolled=released[self.total_enrolled.key],
        )
        base_depth = query.unit.depth if query.unit else 0
        dashboard.by_unit = [
            Row(
                label=u.name,
                figure=released[g.key],
                enrolled=released[e.key],
                depth=u.depth - base_depth,
                unit_id=str(u.pk),
            )
            for (u, g), e in zip(self.unit_groups, self.enrolled_groups, strict=True)
        ]
        dashboard.by_shift = [
            Row(label=s.name, figure=released[g.key]) for s, g in self.shift_groups
        ]
        dashboard.by_role = [
            Row(label=label, figure=released[g.key]) for _, label, g in self.role_groups
        ]
        return dashboard


def dashboard_plan(
    organisation: Organisation, query: Query, *, today: dt.date | None = None
) -> DashboardPlan:
    """The dashboard's groups in release order, with what the ledger already holds; read only.

    Reads the units, the releases already made and, when some group is
    new, the cells that order a table's rows; decides and writes nothing
    (``services.dashboard_release`` does).
    """
    today = today or clock.now().astimezone(dt.UTC).date()
    instrument = shipped_instruments()[query.instrument]
    releaser = Releaser(organisation, today=today)
    subtree = _Subtrees(organisation)
    base: dict[str, Any] = {
        "unit_path": query.unit.path if query.unit else None,
        "unit_ids": subtree(query.unit) if query.unit else None,
        "shift_id": str(query.shift.pk) if query.shift else None,
        "role": query.role,
    }
    starts = periods.recent(query.grain, query.count, today)
    plan = DashboardPlan(
        organisation=organisation,
        query=query,
        instrument=instrument,
        releaser=releaser,
        starts=starts,
        filtered=[Group(query.instrument, query.grain, s, **base) for s in starts],
        overall=[Group(query.instrument, query.grain, s) for s in starts],
    )
    if not starts:
        releaser.prepare(plan.batches[0])
        return plan
    start = starts[-1]
    plan.total = Group(query.instrument, query.grain, start, **base)
    plan.total_bands = Group(query.instrument, query.grain, start, bands=True, **base)
    # Participation denominators are counted as they stand this quarter.
    this_quarter = periods.period_of(Grain.QUARTER, today)
    plan.total_enrolled = Group(ENROLMENT, period=this_quarter, **base)
    # Breakdowns of the latest period: each table's total first, then its
    # rows largest first (decided inside the releaser from the cells).
    units = _child_units(organisation, query.unit)
    plan.unit_groups = [
        (
            u,
            Group(
                query.instrument,
                query.grain,
                start,
                **{**base, "unit_path": u.path, "unit_ids": subtree(u)},
            ),
        )
        for u in units
    ]
    plan.enrolled_groups = [
        Group(
            ENROLMENT,
            period=this_quarter,
            **{**base, "unit_path": u.path, "unit_ids": subtree(u)},
        )
        for u in units
    ]
    if query.shift is None:
        plan.shift_groups = [
            (s, Group(query.instrument, query.grain, start, **{**base, "shift_id": str(s.pk)}))
            for s in ShiftType.objects.filter(organisation=organisation).order_by("name")
        ]
    if query.role is None:
        plan.role_groups = [
            (value, label, Group(query.instrument, query.grain, start, **{**base, "role": value}))
            for value, label in RoleCategory.choices
        ]
    # What was released before is read in one query; only new rows need ordering.
    releaser.lookup(
        [
            *plan.batches[0],
            plan.total,
            plan.total_bands,
            plan.total_enrolled,
            *(g for _, g in plan.unit_groups),
            *(g for _, g in plan.shift_groups),
            *(g for _, _, g in plan.role_groups),
            *plan.enrolled_groups,
        ]
    )
    order = releaser.largest_first
    plan.breakdown = [
        plan.total,
        plan.total_bands,
        *order([g for _, g in plan.unit_groups]),
        *order([g for _, g in plan.shift_groups]),
        *order([g for _, _, g in plan.role_groups]),
        plan.total_enrolled,
        *order(plan.enrolled_groups),
    ]
    releaser.prepare(plan.batches[0])
    return plan


# The order the daily job releases a questionnaire's standard views in. The
# page's default grain comes first, so the view a leader opens first is
# decided exactly as if they had asked first; then the coarser grain before
# the finer, so that where a quarter and its weeks compete for what may be
# shown, the larger groups are shown and the smaller hidden, as a page does.
STANDARD_GRAINS: tuple[Grain, ...] = (Grain.MONTH, Grain.QUARTER, Grain.WEEK)


@dataclass
class StandardView:
    """A standard view, planned, and its groups nobody has released yet."""

    query: Query
    plan: DashboardPlan
    unreleased: list[Group]


def standard_views(
    organisation: Organisation, *, today: dt.date | None = None, units: bool = True
) -> list[StandardView]:
    """The views every leader starts from, in the order the daily job releases them; read only.

    For each questionnaire the programmes schedule (the page's default
    first) and each grain: the organisation-wide view as a page without
    filters asks for it; then, with ``units``, the same for each top-level
    unit (the organisation's drill-down one level below it). Largest first,
    and always in this order, so which group complementary suppression
    hides does not depend on who happens to ask first. Each view is planned
    as ``dashboard_plan`` plans it for a viewer; ``unreleased`` is empty for
    a view that would be a repeat view.
    """
    from wellkept.assessments.models import Schedule

    today = today or clock.now().astimezone(dt.UTC).date()
    catalogue = shipped_instruments()
    scheduled = {
        str(code)
        for schedule in Schedule.objects.filter(programme__organisation=organisation)
        for code in schedule.instruments or []
    } & set(catalogue)
    if not scheduled:
        return []
    default = _default_instrument(organisation)
    families = [default] if default in scheduled else []
    families += sorted(scheduled - {default})
    params: list[dict[str, str]] = [
        {"instrument": family, "grain": grain.value}
        for family in families
        for grain in STANDARD_GRAINS
    ]
    if units:
        params += [
            {**p, "unit": str(unit.pk)}
            for unit in sorted(_child_units(organisation, None), key=lambda u: (u.name, u.path))
            for p in params
        ]
    found = []
    for p in params:
        # Parsed as a page's request is, so the query is the one a viewer's would be.
        query = parse_query(organisation, p)
        plan = dashboard_plan(organisation, query, today=today)
        found.append(
            StandardView(
                query=query,
                plan=plan,
                unreleased=plan.releaser.unreleased(g for batch in plan.batches for g in batch),
            )
        )
    return found


def _child_units(organisation: Organisation, focus: Unit | None) -> Sequence[Unit]:
    """The units one level below the focus (or the organisation's top-level units)."""
    if focus is None:
        roots = list(Unit.objects.filter(organisation=organisation, parent__isnull=True))
        if len(roots) == 1:
            return list(Unit.objects.filter(parent=roots[0]).order_by("name"))
        return roots
    return list(Unit.objects.filter(parent=focus).order_by("name"))
