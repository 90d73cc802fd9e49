"""Disclosure control: the one gate every aggregate passes, on screen, in exports and the API.

A group (an instrument, a period, and optionally a unit with everything
below it, a shift type, a role category) is released only if:

1. it holds at least k people (the organisation's minimum group size,
   never below 3); a hidden group says why but not how many it holds;
2. the auditor (``auditor``) finds that, together with every figure
   already released about the same quarter's data, to anyone in the
   organisation, through any channel, it lets nobody's score be pinned or
   narrowed, no set of fewer than k people be worked out, and no hidden
   group be shown to be empty or not. Checked group by group in the order
   a page asks for them, largest first, this is also the complementary
   suppression of a table: the cell that would give a hidden neighbour
   away is hidden in its turn;
3. in differential-privacy mode, instead of 2, each period's figures are
   noised once for everyone (``privacy``) and the budget spent once.

A released group is remembered with its figures: asked again, by anyone,
it gets the same answer, and spends nothing more. No standard deviation,
variance or sum of squares is ever released.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction

from wellkept import clock
from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.insights.models import (
    Cell,
    EnrolmentCell,
    EnrolmentSnapshot,
    ErasedAnswers,
    InsightsSettings,
    PrivacyBudget,
    Release,
)
from wellkept.insights.periods import Grain, ledger_quarter, weeks_in
from wellkept.insights.store import (
    BANDS,
    PEOPLE,
    RESPONSES,
    SCORED,
    TOTAL,
    Atoms,
    read_atoms,
    read_enrolment,
    read_erased,
    split_atom,
)
from wellkept.orgs.models import Organisation, RoleCategory, ShiftType, Unit

if TYPE_CHECKING:
    # The auditor loads numpy and the solver: only a request that releases
    # something new pays for them, not one answered from the ledger.
    from wellkept.insights import auditor

ENROLMENT = "enrolment"


@functools.lru_cache(maxsize=65_536)
def _split(atom: str) -> tuple[str, str, str]:
    # A dashboard tests the same few hundred atoms against dozens of groups.
    return split_atom(atom)


class Hidden:
    """Why a figure is not shown. Never how many people the group holds."""

    SMALL = "small"
    COMPLEMENT = "complement"
    BUDGET = "budget"
    OPEN = "open"

    @staticmethod
    def explain(code: str, k: int) -> str:
        # One text for a group too small and for one hidden to protect another,
        # as statistical offices mark both suppressions alike: two texts would
        # say that the second kind holds k people or more, and with a shown
        # total that can show a small neighbour to be empty.
        protected = (
            f"Hidden: fewer than {k} people, or with figures already shown it would give away "
            "a hidden group or someone's answers."
        )
        return {
            Hidden.SMALL: protected,
            Hidden.COMPLEMENT: protected,
            Hidden.BUDGET: "Hidden: this quarter's privacy budget is spent.",
            Hidden.OPEN: "Not yet: figures appear once the period has ended.",
        }[code]


@dataclass(frozen=True)
class Group:
    """A set of people and a period whose figures someone asked for.

    ``bands`` asks for the group's answers per severity band rather than
    its counts and mean: a separate figure, released (or not) on its own.
    """

    family: str
    grain: Grain | None = None
    period: dt.date | None = None
    unit_path: str | None = None
    unit_ids: frozenset[str] | None = None
    shift_id: str | None = None
    role: str | None = None
    bands: bool = False

    @property
    def key(self) -> str:
        parts = [
            self.family,
            self.grain.value if self.grain else "-",
            self.period.isoformat() if self.period else "-",
            f"u:{self.unit_path or '*'}",
            f"s:{self.shift_id or '*'}",
            f"r:{self.role or '*'}",
        ]
        if self.bands:
            parts.append("bands")
        return "|".join(parts)

    @property
    def core(self) -> Group:
        """The group's counts and mean, for a band group."""
        return Group(
            self.family, self.grain, self.period, self.unit_path, self.unit_ids,
            self.shift_id, self.role,
        )  # fmt: skip

    @property
    def everything(self) -> bool:
        """Whether the group takes every atom of its period (no unit, shift or role filter)."""
        return self.unit_ids is None and self.shift_id is None and self.role is None

    def matches(self, atom: str) -> bool:
        if self.everything:
            return True
        unit, shift, role = _split(atom)
        return (
            (self.unit_ids is None or unit in self.unit_ids)
            and (self.shift_id is None or shift == self.shift_id)
            and (self.role is None or role == self.role)
        )


@dataclass
class Figure:
    """What may be shown of a group: its figures, or the reason they are hidden."""

    group: Group
    shown: bool
    hidden: str = ""
    people: int | None = None
    responses: int | None = None
    mean: float | None = None
    bands: dict[str, int] = field(default_factory=dict)
    # Differential privacy: the noise added and an approximate 95% interval.
    noisy: bool = False
    mean_low: float | None = None
    mean_high: float | None = None
    people_margin: float | None = None

    def reason(self, k: int) -> str:
        return Hidden.explain(self.hidden, k) if self.hidden else ""

    def as_json(self) -> dict[str, Any]:
        return {
            "people": self.people,
            "responses": self.responses,
            "mean": self.mean,
            "bands": self.bands,
            "noisy": self.noisy,
            "mean_low": self.mean_low,
            "mean_high": self.mean_high,
            "people_margin": self.people_margin,
        }

    @classmethod
    def from_json(cls, group: Group, figures: dict[str, Any] | None, reason: str) -> Figure:
        if figures is None:
            return cls(group=group, shown=False, hidden=reason or Hidden.COMPLEMENT)
        # Only the fields figures have now: a standard deviation stored by an
        # older version is never shown again.
        known = {name: figures[name] for name in FIGURE_FIELDS if name in figures}
        return cls(group=group, shown=True, **known)

    @classmethod
    def from_release(cls, group: Group, release: Release) -> Figure:
        return cls.from_json(group, release.figures, release.suppressed_reason)


FIGURE_FIELDS = (
    "people", "responses", "mean", "bands", "noisy", "mean_low", "mean_high", "people_margin",
)  # fmt: skip


@dataclass
class _Raw:
    people: int = 0
    responses: int = 0
    scored: int = 0
    total: int = 0
    bands: dict[str, int] = field(default_factory=dict)


def settings_for(organisation: Organisation) -> InsightsSettings:
    found = InsightsSettings.objects.filter(organisation=organisation).first()
    return found if found is not None else InsightsSettings(organisation=organisation)


def scale_of(family: str) -> auditor.Scale | None:
    """An instrument's scores in whole steps (WHO-5 moves in fours), or None for enrolment."""
    from wellkept.insights import auditor

    instrument = shipped_instruments().get(family)
    if instrument is None:
        return None
    step = max(instrument.multiplier, 1)
    return auditor.Scale(
        low=-(-instrument.minimum // step),
        high=instrument.maximum // step,
        bands=tuple((-(-b.minimum // step), b.maximum // step) for b in instrument.bands),
    )


def band_codes(family: str) -> list[str]:
    instrument = shipped_instruments().get(family)
    return [b.code for b in instrument.bands] if instrument is not None else []


@dataclass
class _Universe:
    """The window's weeks, units, shift types and role categories, numbered for the auditor."""

    weeks: list[dt.date]
    units: list[str]
    shifts: list[str]
    roles: list[str]

    def __post_init__(self) -> None:
        self.week_index = {w: i for i, w in enumerate(self.weeks)}
        self.unit_index = {u: i for i, u in enumerate(self.units)}
        self.shift_index = {s: i for i, s in enumerate(self.shifts)}
        self.role_index = {r: i for i, r in enumerate(self.roles)}
        self._bases: dict[str, int | None] = {}

    @property
    def shape(self) -> tuple[int, int, int, int]:
        return (len(self.weeks), len(self.units), len(self.shifts), len(self.roles))

    def atom(self, week: int, atom: str) -> int | None:
        base = self.base(atom)
        return None if base is None else week * self.stride + base

    @property
    def stride(self) -> int:
        _, units, shifts, roles = self.shape
        return units * shifts * roles

    def base(self, atom: str) -> int | None:
        """The atom's number within its week; the same atoms recur week after week."""
        if atom not in self._bases:
            unit, shift, role = _split(atom)
            u = self.unit_index.get(unit)
            s = self.shift_index.get(shift)
            r = self.role_index.get(role)
            _, _, shifts, roles = self.shape
            self._bases[atom] = (
                None if u is None or s is None or r is None else (u * shifts + s) * roles + r
            )
        return self._bases[atom]


class Releaser:
    """Release a batch of groups for one organisation through disclosure control."""

    def __init__(self, organisation: Organisation, *, today: dt.date | None = None) -> None:
        self.organisation = organisation
        self.settings = settings_for(organisation)
        self.k = self.settings.min_group_size
        self.today = today or clock.now().astimezone(dt.UTC).date()
        self._cells: dict[tuple[str, str, dt.date], Atoms] = {}
        self._enrolment: dict[dt.date | None, dict[str, int]] = {}
        # Releases already made, by group key: a release never changes, so
        # what was read once holds for the length of the request.
        self._known: dict[str, Release] = {}
        self._raws: dict[str, _Raw] = {}
        self._units: list[tuple[str, str, int]] | None = None
        self._universe: dict[tuple[str, dt.date | None], _Universe] = {}
        # The solver work this request may spend, shared by all its batches.
        self._work: auditor.Work | None = None

    # -- reading cells ------------------------------------------------------

    def _atoms(self, family: str, grain: Grain, start: dt.date) -> Atoms:
        key = (family, grain.value, start)
        if key not in self._cells:
            cell = (
                Cell.objects.filter(
                    organisation=self.organisation, instrument=family, grain=grain.value
                )
                .filter(period_start=start)
                .first()
            )
            self._cells[key] = read_atoms(cell) if cell is not None else {}
        return self._cells[key]

    def _prefetch(self, groups: Iterable[Group]) -> None:
        """Read every cell the batch needs in one query per family."""
        wanted: dict[str, set[tuple[str, dt.date]]] = {}
        for group in groups:
            if group.family == ENROLMENT or group.grain is None or group.period is None:
                continue
            needed = wanted.setdefault(group.family, set())
            needed.add((group.grain.value, group.period))
            for monday in weeks_in(group.grain, group.period):
                needed.add((Grain.WEEK.value, monday))
        for family, needed in wanted.items():
            missing = {n for n in needed if (family, *n) not in self._cells}
            if not missing:
                continue
            starts = {start for _, start in missing}
            for cell in Cell.objects.filter(
                organisation=self.organisation, instrument=family, period_start__in=starts
            ):
                self._cells[(family, cell.grain, cell.period_start)] = read_atoms(cell)
            for grain, start in missing:
                self._cells.setdefault((family, grain, start), {})

    def enrolment(self, quarter: dt.date | None = None) -> dict[str, int]:
        """Enrolment counts: the quarter's frozen snapshot once one exists, else as they stand."""
        if quarter not in self._enrolment:
            snapshot = (
                EnrolmentSnapshot.objects.filter(
                    organisation=self.organisation, quarter=quarter
                ).first()
                if quarter is not None
                else None
            )
            if snapshot is not None:
                self._enrolment[quarter] = _read_counts(snapshot.payload)
            else:
                self._enrolment[quarter] = read_enrolment(
                    EnrolmentCell.objects.filter(organisation=self.organisation).first()
                )
        return self._enrolment[quarter]

    def _freeze_enrolment(self, quarter: dt.date | None) -> None:
        """Freeze the quarter's enrolment at its first participation figure; inside the lock."""
        if quarter is None:
            return
        if EnrolmentSnapshot.objects.filter(
            organisation=self.organisation, quarter=quarter
        ).exists():
            self._enrolment.pop(quarter, None)
            return
        counts = read_enrolment(
            EnrolmentCell.objects.filter(organisation=self.organisation).first()
        )
        snapshot = EnrolmentSnapshot(organisation=self.organisation, quarter=quarter)
        snapshot.payload = json.dumps(counts, sort_keys=True, separators=(",", ":"))
        snapshot.save(force_insert=True)
        self._enrolment[quarter] = counts

    def _raw(self, group: Group) -> _Raw:
        if group.key not in self._raws:
            self._raws[group.key] = self._add_up(group.core if group.bands else group)
        return self._raws[group.key]

    def _add_up(self, group: Group) -> _Raw:
        raw = _Raw()
        if group.family == ENROLMENT:
            for atom, count in self.enrolment(group.period).items():
                if group.matches(atom):
                    raw.people += count
                    raw.responses += count
            return raw
        if group.grain is None or group.period is None:
            return raw
        for atom, stats in self._atoms(group.family, group.grain, group.period).items():
            if not group.matches(atom):
                continue
            raw.people += stats[PEOPLE]
            raw.responses += stats[RESPONSES]
            raw.scored += stats[SCORED]
            raw.total += stats[TOTAL]
            for band, n in stats[BANDS].items():
                raw.bands[band] = raw.bands.get(band, 0) + n
        return raw

    def largest_first(self, groups: Sequence[Group]) -> list[Group]:
        """Order a table's rows by how many people they hold, largest first.

        Only the order comes from the counts, never shown: it decides which
        of two rows is hidden when one must be, and the smaller goes. Rows
        all released already keep their answers whatever the order, so
        their cells are not read.
        """
        self.lookup(groups)
        if all(g.key in self._known for g in groups):
            return list(groups)
        self._prefetch(groups)
        return sorted(groups, key=lambda g: (-self._raw(g).people, g.key))

    # -- releasing ----------------------------------------------------------

    def lookup(self, groups: Iterable[Group]) -> None:
        """Read, in one query, the releases already made for any of these groups."""
        keys = {g.key for g in groups} - set(self._known)
        if keys:
            # Answering needs the figures, not the exact totals behind them.
            for release in Release.objects.filter(
                organisation=self.organisation, group_key__in=keys
            ).defer("exact"):
                self._known[release.group_key] = release

    def unreleased(self, groups: Iterable[Group]) -> list[Group]:
        """The closed groups among these that nobody has released yet; read only.

        A view whose groups are all released is a repeat view: answered from
        the ledger, without the lock or the auditor.
        """
        wanted = list(groups)
        self.lookup(wanted)
        return [
            g
            for g in wanted
            if g.key not in self._known and (g.family == ENROLMENT or self._closed(g))
        ]

    def prepare(self, groups: Iterable[Group]) -> None:
        """Read the releases made of these groups, and the cells of those never released.

        Read only, and best before the transaction that releases them:
        outside one, the vault keeps the aggregate key it unwraps.
        """
        wanted = list(groups)
        self.lookup(wanted)
        self._prefetch(g for g in wanted if g.key not in self._known)

    def release(self, groups: Sequence[Group]) -> dict[str, Figure]:
        """Return a figure for every group, releasing new ones through the checks, in order."""
        figures: dict[str, Figure] = {}
        pending = []
        seen: set[str] = set()
        for group in groups:
            if group.key in seen:
                continue
            seen.add(group.key)
            if group.family != ENROLMENT and not self._closed(group):
                figures[group.key] = Figure(group=group, shown=False, hidden=Hidden.OPEN)
            else:
                pending.append(group)
        # Released groups are answered without a lock: a release never changes.
        self.lookup(pending)
        unknown = [g for g in pending if g.key not in self._known]
        if unknown:
            # Cells are read before the lock: those of closed periods only
            # change by erasure, which the auditor accounts for, and outside
            # a transaction the vault keeps the aggregate key it unwraps for
            # the next cell.
            self._prefetch(unknown)
            with transaction.atomic():
                self._lock_ledger()
                # Someone else may have released some of them while we waited.
                self.lookup(pending)
                fresh = [g for g in pending if g.key not in self._known]
                if fresh:
                    figures.update(self._release_fresh(fresh))
        for group in pending:
            if group.key not in figures:
                figures[group.key] = Figure.from_release(group, self._known[group.key])
        return figures

    def _lock_ledger(self) -> None:
        """Take the organisation's release lock; call inside a transaction.

        One release at a time per organisation: two viewers checked against
        the same ledger could otherwise release, between them, a pair that
        neither check would have allowed. The lock is the organisation's
        settings row (PostgreSQL: SELECT ... FOR UPDATE; SQLite: the
        IMMEDIATE transaction already holds the database's write lock). An
        organisation that never changed its settings gets the default row
        here, the first time anything about it is released.
        """
        InsightsSettings.objects.get_or_create(organisation=self.organisation)
        self.settings = InsightsSettings.objects.select_for_update().get(
            organisation=self.organisation
        )
        # Decide with the settings as they stand under the lock.
        self.k = self.settings.min_group_size

    def _closed(self, group: Group) -> bool:
        if group.grain is None or group.period is None:
            return True
        last = weeks_in(group.grain, group.period)[-1] + dt.timedelta(days=6)
        return last < self.today

    def _quarter(self, group: Group) -> dt.date | None:
        if group.family == ENROLMENT:
            # Enrolment changes as people join and leave: its figures are
            # released afresh each quarter, each quarter its own window.
            return group.period
        if group.grain is None or group.period is None:
            return None
        return ledger_quarter(group.grain, group.period)

    def _release_fresh(self, fresh: Sequence[Group]) -> dict[str, Figure]:
        """Decide and record groups never released before, in order; inside the lock."""
        for group in fresh:
            # The ledger knows a group by its key: the key must say exactly
            # which units it adds up, or later checks would reason about
            # another group than the one released.
            if group.unit_path is not None and group.unit_ids != self.subtree(group.unit_path):
                raise ValueError(f"{group.key}: a unit filter is a unit with everything below it.")
        for quarter in {g.period for g in fresh if g.family == ENROLMENT}:
            self._freeze_enrolment(quarter)
            self._raws = {k: v for k, v in self._raws.items() if not k.startswith(ENROLMENT)}
        if self.settings.dp_enabled:
            return self._release_noisy(fresh)
        self._prefetch(fresh)
        scopes: dict[tuple[str, dt.date | None], list[Group]] = {}
        for group in fresh:
            scopes.setdefault((group.family, self._quarter(group)), []).append(group)
        decisions: dict[str, tuple[bool, str]] = {}
        for scope, groups in scopes.items():
            decisions.update(self._decide(scope, groups))
        figures: dict[str, Figure] = {}
        releases = []
        for group in fresh:
            raw = self._raw(group)
            shown, because = decisions[group.key]
            figure: Figure
            if raw.people < self.k:
                figure = Figure(group=group, shown=False, hidden=Hidden.SMALL)
            elif not shown:
                figure = Figure(group=group, shown=False, hidden=Hidden.COMPLEMENT)
            elif group.bands:
                figure = Figure(group=group, shown=True, bands=dict(sorted(raw.bands.items())))
            else:
                figure = _exact(group, raw)
            figures[group.key] = figure
            releases.append(
                Release(
                    organisation=self.organisation,
                    family=group.family,
                    quarter=self._quarter(group),
                    group_key=group.key,
                    figures=figure.as_json() if figure.shown else None,
                    exact=self._exact_totals(group, raw) if figure.shown else None,
                    suppressed_reason="" if figure.shown else figure.hidden,
                    refused_because=because if not figure.shown else "",
                )
            )
        for release in Release.objects.bulk_create(releases):
            self._known[release.group_key] = release
        return figures

    def _exact_totals(self, group: Group, raw: _Raw) -> dict[str, Any]:
        scale_step = _step(group.family)
        return {
            "responses": raw.responses,
            "scored": raw.scored,
            "total": raw.total // scale_step,
            "bands": [raw.bands.get(code, 0) for code in band_codes(group.family)],
        }

    # -- the auditor ------------------------------------------------------------

    def _decide(
        self, scope: tuple[str, dt.date | None], groups: Sequence[Group]
    ) -> dict[str, tuple[bool, str]]:
        """Run one window's auditor over the ledger and the new groups, in order."""
        from wellkept.insights import auditor

        universe = self._universe_of(scope)
        candidates = []
        for group in groups:
            state = auditor.SMALL if self._raw(group).people < self.k else auditor.SHOWN
            candidates.append(self._row(universe, group, state=state))
        window = self._window(scope, universe)
        ledger = self._ledger_rows(scope, universe, exact=bool(window.ghosts))
        if self._work is None:
            self._work = auditor.Work()
        decided = auditor.Auditor(window, ledger, self._work).decide(candidates)
        return {g.key: d for g, d in zip(groups, decided, strict=True)}

    def _unit_paths(self) -> list[tuple[str, str, int]]:
        """(id, path, depth) of every unit of the organisation, read once."""
        if self._units is None:
            self._units = [
                (str(pk), path, path.count("/") - 1)
                for pk, path in Unit.objects.filter(organisation=self.organisation).values_list(
                    "pk", "path"
                )
            ]
        return self._units

    def subtree(self, path: str) -> frozenset[str]:
        return frozenset(pk for pk, p, _ in self._unit_paths() if p.startswith(path))

    def _universe_of(self, scope: tuple[str, dt.date | None]) -> _Universe:
        """Every cell a person could be counted in, empty or not: hidden must not mean empty.

        Units are those anyone can join (the programmes' units and all below
        them) and any unit the cells name; shift types are the
        organisation's; role categories are all of them.
        """
        if scope in self._universe:
            return self._universe[scope]
        from wellkept.assessments.models import Programme
        from wellkept.assessments.selectors import programme_units

        family, quarter = scope
        units: set[str] = set()
        for programme in Programme.objects.filter(organisation=self.organisation):
            units |= {str(pk) for pk in programme_units(programme).values_list("pk", flat=True)}
        shifts = {
            str(pk)
            for pk in ShiftType.objects.filter(organisation=self.organisation).values_list(
                "pk", flat=True
            )
        }
        roles = set(RoleCategory.values)
        if family == ENROLMENT:
            weeks: list[dt.date] = [quarter or dt.date.min]
            named = list(self.enrolment(quarter))
        elif quarter is None:
            raise ValueError(f"{family}: a questionnaire's window is a quarter.")
        else:
            weeks = weeks_in(Grain.QUARTER, quarter)
            self._prefetch([Group(family, Grain.QUARTER, quarter)])
            named = [atom for w in weeks for atom in self._atoms(family, Grain.WEEK, w)]
        for atom in named:
            unit, shift, role = _split(atom)
            units.add(unit)
            shifts.add(shift)
            roles.add(role)
        universe = _Universe(weeks, sorted(units), sorted(shifts), sorted(roles))
        self._universe[scope] = universe
        return universe

    def _row(
        self,
        universe: _Universe,
        group: Group,
        *,
        state: str = "shown",
        release_id: float = math.inf,
        exact: dict[str, Any] | None = None,
    ) -> auditor.Row:
        from wellkept.insights import auditor

        if group.family == ENROLMENT or group.grain is None or group.period is None:
            weeks = None
        else:
            weeks = frozenset(
                universe.week_index[w]
                for w in weeks_in(group.grain, group.period)
                if w in universe.week_index
            )
        units = (
            None
            if group.unit_ids is None
            else frozenset(
                universe.unit_index[u] for u in group.unit_ids if u in universe.unit_index
            )
        )
        # A filter on a value outside the universe selects nobody.
        shift: int | None = None
        role: int | None = None
        empty = False
        if group.shift_id is not None:
            found = universe.shift_index.get(group.shift_id)
            empty |= found is None
            shift = found
        if group.role is not None:
            found = universe.role_index.get(group.role)
            empty |= found is None
            role = found
        if empty:
            units = frozenset()
        return auditor.Row(
            weeks=weeks,
            units=units,
            shift=shift,
            role=role,
            bands=group.bands,
            state=state,
            release_id=release_id,
            total=exact.get("total") if exact else None,
            band_counts=tuple(exact["bands"]) if exact and exact.get("bands") is not None else None,
        )

    def _ledger_rows(
        self, scope: tuple[str, dt.date | None], universe: _Universe, *, exact: bool
    ) -> list[auditor.Row]:
        """Every group already decided in the window, as rows: released, or hidden and why."""
        from wellkept.insights import auditor

        family, quarter = scope
        found = Release.objects.filter(
            organisation=self.organisation, family=family, quarter=quarter
        ).order_by("id")
        fields = ["id", "group_key", "figures", "suppressed_reason"] + (["exact"] if exact else [])
        rows = []
        for release_id, key, figures, reason, *more in found.values_list(*fields):
            group = self.parse_key(key)
            if group is None:
                continue
            if figures is not None:
                state = auditor.SHOWN
            elif reason == Hidden.SMALL:
                state = auditor.SMALL
            else:
                state = auditor.COMPLEMENT
            totals = more[0] if more else None
            if totals is None and exact and figures is not None:
                totals = _legacy_totals(figures, family)
            rows.append(
                self._row(universe, group, state=state, release_id=release_id, exact=totals)
            )
        return rows

    def parse_key(self, key: str) -> Group | None:
        """The group a ledger key describes, its units as they stand (units are never moved)."""
        parts = key.split("|")
        if len(parts) not in (6, 7):
            return None
        family, grain, period, unit, shift, role = parts[:6]
        unit_path = unit[2:] if unit != "u:*" else None
        return Group(
            family=family,
            grain=Grain(grain) if grain != "-" else None,
            period=dt.date.fromisoformat(period) if period != "-" else None,
            unit_path=unit_path,
            unit_ids=self.subtree(unit_path) if unit_path else None,
            shift_id=shift[2:] if shift != "s:*" else None,
            role=role[2:] if role != "r:*" else None,
            bands=len(parts) == 7 and parts[6] == "bands",
        )

    def _window(self, scope: tuple[str, dt.date | None], universe: _Universe) -> auditor.Window:
        import numpy as np

        from wellkept.insights import auditor

        family, quarter = scope
        codes = band_codes(family)
        window = auditor.Window.empty(
            universe.shape,
            self.k,
            bands=len(codes),
            share=self.settings.narrowing_share,
            scale=scale_of(family),
        )
        if family == ENROLMENT:
            for atom, count in self.enrolment(quarter).items():
                index = universe.atom(0, atom)
                if index is not None:
                    window.responses[index] = count
                    window.people[index] = count
            return window
        if quarter is None:
            raise ValueError(f"{family}: a questionnaire's window is a quarter.")
        step = _step(family)
        band_index = {code: j for j, code in enumerate(codes)}
        stride = universe.stride
        for w, monday in enumerate(universe.weeks):
            for atom, stats in self._atoms(family, Grain.WEEK, monday).items():
                base = universe.base(atom)
                if base is None:
                    continue
                index = w * stride + base
                window.responses[index] = stats[RESPONSES]
                window.scored[index] = stats[SCORED]
                window.total[index] = stats[TOTAL] // step
                window.people[index] = stats[PEOPLE]
                for band, n in stats[BANDS].items():
                    if band in band_index:
                        window.bands[index, band_index[band]] = n
        starts = [(Grain.QUARTER, quarter)] + [
            (Grain.MONTH, dt.date(quarter.year, quarter.month + i, 1)) for i in range(3)
        ]
        self._prefetch(Group(family, grain, start) for grain, start in starts)
        for grain, start in starts:
            weeks = [
                universe.week_index[m] for m in weeks_in(grain, start) if m in universe.week_index
            ]
            offsets = np.array(weeks, dtype=np.int64) * stride
            for atom, stats in self._atoms(family, grain, start).items():
                if stats[PEOPLE] <= 0:
                    continue
                base = universe.base(atom)
                if base is None:
                    continue
                window.blocks.append((f"{grain.value}:{start}", offsets + base, stats[PEOPLE]))
        for erased in ErasedAnswers.objects.filter(
            organisation=self.organisation, instrument=family, week__in=universe.weeks
        ):
            w = universe.week_index[erased.week]
            for atom, entries in read_erased(erased).items():
                index = universe.atom(w, atom)
                if index is None:
                    continue
                for epoch, responses, scored in entries:
                    window.ghosts.append(auditor.Ghost(index, epoch, responses, scored))
        window.per_week = self._answers_per_week(family)
        return window

    def _answers_per_week(self, family: str) -> int:
        """How many answers to one questionnaire a person can give in a week: one per schedule."""
        from wellkept.assessments.models import Schedule

        return max(
            1,
            sum(
                family in (schedule.instruments or [])
                for schedule in Schedule.objects.filter(programme__organisation=self.organisation)
            ),
        )

    # -- differential privacy -------------------------------------------------

    def _release_noisy(self, fresh: Sequence[Group]) -> dict[str, Figure]:
        """Answer from each period's one noisy release, making it first if need be (``privacy``)."""
        from wellkept.insights.privacy import period_release

        figures: dict[str, Figure] = {}
        releases = []
        for group in fresh:
            noisy = period_release(self, group.family, group.grain, group.period)
            stored = noisy.figures.get(group.core.key if group.bands else group.key)
            figure = _noisy_figure(group, stored)
            figures[group.key] = figure
            releases.append(
                Release(
                    organisation=self.organisation,
                    family=group.family,
                    quarter=self._quarter(group),
                    group_key=group.key,
                    figures=figure.as_json() if figure.shown else None,
                    suppressed_reason="" if figure.shown else figure.hidden,
                )
            )
        for release in Release.objects.bulk_create(releases):
            self._known[release.group_key] = release
        return figures

    def spend(self, family: str, quarter: dt.date | None, epsilon: float) -> bool:
        """Spend epsilon of the quarter's budget if it can pay; inside the lock."""
        budget, _ = PrivacyBudget.objects.select_for_update().get_or_create(
            organisation=self.organisation, family=family, quarter=quarter
        )
        if budget.spent + epsilon > self.settings.epsilon_per_quarter + 1e-12:
            return False
        budget.spent += epsilon
        budget.save(update_fields=["spent"])
        return True

    def raw(self, group: Group) -> _Raw:
        return self._raw(group)


def _noisy_figure(group: Group, stored: dict[str, Any] | None) -> Figure:
    if stored is None or stored.get("hidden"):
        reason = stored.get("hidden") if stored else Hidden.COMPLEMENT
        return Figure(group=group, shown=False, hidden=str(reason))
    figure = Figure.from_json(group.core, stored, "")
    if group.bands:
        return Figure(group=group, shown=True, bands=figure.bands, noisy=True)
    return Figure(**{**figure.__dict__, "group": group, "bands": {}})


def _step(family: str) -> int:
    instrument = shipped_instruments().get(family)
    return max(instrument.multiplier, 1) if instrument is not None else 1


def _legacy_totals(figures: dict[str, Any], family: str) -> dict[str, Any]:
    """The totals of a group released before exact totals were kept, from its rounded mean."""
    responses = int(figures.get("responses") or 0)
    mean = figures.get("mean")
    total = round(mean * responses) if mean is not None else 0
    return {"responses": responses, "scored": responses, "total": total // _step(family)}


def _read_counts(value: Any) -> dict[str, int]:
    from wellkept.vault.services import is_erased

    if is_erased(value) or not value:
        return {}
    counts: dict[str, int] = json.loads(str(value))
    return counts


def _exact(group: Group, raw: _Raw) -> Figure:
    """A group's exact figures: people, answers and mean. Never a spread: see the module doc."""
    mean = round(raw.total / raw.scored, 2) if raw.scored else None
    return Figure(
        group=group,
        shown=True,
        people=raw.people,
        responses=raw.responses,
        mean=mean,
    )
