"""Disclosure control: the one gate every aggregate passes, on screen, in exports and the API.

A group (an instrument, a period, and optionally a unit with everything
below it, a shift type, a role category) is released only if:

1. it holds at least k people (the organisation's minimum group size,
   never below 3); a hidden group says why but not how many it holds;
2. together with every group already released about the same quarter's
   data, to anyone in the organisation, it does not let a group of fewer
   than k people be worked out by adding and subtracting (``ledger``).
   Checked group by group in the order a page asks for them, largest
   first, this is also the complementary suppression of a table: the
   cell that would give a hidden neighbour away is hidden in its turn;
3. in differential-privacy mode, the quarter's privacy budget can pay for
   it; its figures then carry calibrated noise (OpenDP).

A released group is remembered with its figures: asked again, by anyone,
it gets the same answer, and spends nothing more.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from wellkept import clock
from wellkept.assessments.instruments import instruments as shipped_instruments
from wellkept.insights import ledger
from wellkept.insights.models import (
    Cell,
    EnrolmentCell,
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
    TOTAL_SQ,
    Atoms,
    read_atoms,
    read_enrolment,
    split_atom,
)
from wellkept.orgs.models import Organisation

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
        return {
            Hidden.SMALL: f"Hidden: fewer than {k} people.",
            Hidden.COMPLEMENT: (
                "Hidden so that a hidden group cannot be worked out by subtraction from "
                "figures already shown."
            ),
            Hidden.BUDGET: "Hidden: this quarter's privacy budget is spent.",
            Hidden.OPEN: "Not yet: figures appear once the period has ended.",
        }[code]


@dataclass(frozen=True)
class Group:
    """A set of people and a period whose figures someone asked for."""

    family: str
    grain: Grain | None = None
    period: dt.date | None = None
    unit_path: str | None = None
    unit_ids: frozenset[str] | None = None
    shift_id: str | None = None
    role: str | None = None

    @property
    def key(self) -> str:
        return "|".join(
            [
                self.family,
                self.grain.value if self.grain else "-",
                self.period.isoformat() if self.period else "-",
                f"u:{self.unit_path or '*'}",
                f"s:{self.shift_id or '*'}",
                f"r:{self.role or '*'}",
            ]
        )

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
    sd: float | None = None
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
            "sd": self.sd,
            "bands": self.bands,
            "noisy": self.noisy,
            "mean_low": self.mean_low,
            "mean_high": self.mean_high,
            "people_margin": self.people_margin,
        }

    @classmethod
    def from_release(cls, group: Group, release: Release) -> Figure:
        if release.figures is None:
            return cls(group=group, shown=False, hidden=release.suppressed_reason)
        return cls(group=group, shown=True, **release.figures)


@dataclass
class _Raw:
    people: int = 0
    responses: int = 0
    scored: int = 0
    total: int = 0
    total_sq: int = 0
    bands: dict[str, int] = field(default_factory=dict)


def settings_for(organisation: Organisation) -> InsightsSettings:
    found = InsightsSettings.objects.filter(organisation=organisation).first()
    return found if found is not None else InsightsSettings(organisation=organisation)


class _People(Mapping[str, int]):
    """People per week-level atom, read from the week cells when first asked for."""

    def __init__(self, releaser: Releaser, family: str) -> None:
        self._releaser = releaser
        self._family = family
        self._found: dict[str, int] = {}

    def note(self, people: Mapping[str, int]) -> None:
        self._found.update(people)

    def __getitem__(self, name: str) -> int:
        if name not in self._found:
            self._found[name] = self._releaser.people_in_atom(self._family, name)
        return self._found[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._found)

    def __len__(self) -> int:
        return len(self._found)


class Releaser:
    """Release a batch of groups for one organisation through disclosure control."""

    def __init__(self, organisation: Organisation, *, today: dt.date | None = None) -> None:
        self.organisation = organisation
        self.settings = settings_for(organisation)
        self.k = self.settings.min_group_size
        self.today = today or clock.now().astimezone(dt.UTC).date()
        self._cells: dict[tuple[str, str, dt.date], Atoms] = {}
        self._enrolment: dict[str, int] | None = None
        # Releases already made, by group key: a release never changes, so
        # what was read once holds for the length of the request.
        self._known: dict[str, Release] = {}
        # Per (family, quarter), for the length of one request: the groups
        # already out (new releases are added) and the people per atom, so
        # each group is not re-read from the database.
        self._ledgers: dict[tuple[str, dt.date | None], tuple[ledger.Ledger, _People]] = {}
        self._weeks: dict[str, dt.date] = {}
        self._raws: dict[str, _Raw] = {}

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

    def enrolment(self) -> dict[str, int]:
        if self._enrolment is None:
            self._enrolment = read_enrolment(
                EnrolmentCell.objects.filter(organisation=self.organisation).first()
            )
        return self._enrolment

    def _raw(self, group: Group) -> _Raw:
        if group.key not in self._raws:
            self._raws[group.key] = self._add_up(group)
        return self._raws[group.key]

    def _add_up(self, group: Group) -> _Raw:
        raw = _Raw()
        if group.family == ENROLMENT:
            for atom, count in self.enrolment().items():
                if group.matches(atom):
                    raw.people += count
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
            raw.total_sq += stats[TOTAL_SQ]
            for band, n in stats[BANDS].items():
                raw.bands[band] = raw.bands.get(band, 0) + n
        return raw

    def _week_atoms(self, group: Group) -> tuple[frozenset[str], dict[str, int]]:
        """Return the group as week-level atoms, with each atom's people."""
        people: dict[str, int] = {}
        if group.family == ENROLMENT:
            for atom, count in self.enrolment().items():
                if group.matches(atom):
                    people[f"-|{atom}"] = count
            return frozenset(people), people
        if group.grain is None or group.period is None:
            return frozenset(), people
        matching: dict[str, bool] = {}
        for monday in weeks_in(group.grain, group.period):
            prefix = monday.isoformat() + "|"
            week = self._atoms(group.family, Grain.WEEK, monday)
            if group.everything:
                people.update({prefix + atom: stats[PEOPLE] for atom, stats in week.items()})
                continue
            for atom, stats in week.items():
                # The same atoms recur week after week: test each once.
                if atom not in matching:
                    matching[atom] = group.matches(atom)
                if matching[atom]:
                    people[prefix + atom] = stats[PEOPLE]
        return frozenset(people), people

    def people_in_atom(self, family: str, name: str) -> int:
        """People in one week-level atom named in an earlier release (0 if gone since)."""
        week, atom = name.split("|", 1)
        if family == ENROLMENT:
            return self.enrolment().get(atom, 0)
        if week not in self._weeks:
            self._weeks[week] = dt.date.fromisoformat(week)
        stats = self._atoms(family, Grain.WEEK, self._weeks[week]).get(atom)
        return int(stats[PEOPLE]) if stats else 0

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
            # Answering needs the figures, not the atoms (a large list).
            for release in Release.objects.filter(
                organisation=self.organisation, group_key__in=keys
            ).defer("atoms"):
                self._known[release.group_key] = release

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
            # change by erasure, which the ledger cannot undo anyway (see
            # docs/disclosure-control.md), and outside a transaction the
            # vault keeps the aggregate key it unwraps for the next cell.
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
        # What this request read of the ledger before the lock may be stale.
        self._ledgers.clear()

    def _closed(self, group: Group) -> bool:
        if group.grain is None or group.period is None:
            return True
        last = weeks_in(group.grain, group.period)[-1] + dt.timedelta(days=6)
        return last < self.today

    def _quarter(self, group: Group) -> dt.date | None:
        if group.family == ENROLMENT:
            # Enrolment changes as people join and leave: its figures are
            # released afresh each quarter, each quarter its own ledger.
            return group.period
        if group.grain is None or group.period is None:
            return None
        return ledger_quarter(group.grain, group.period)

    def _release_fresh(self, fresh: Sequence[Group]) -> dict[str, Figure]:
        """Decide and record groups never released before, in order; inside the lock."""
        self._prefetch(fresh)
        raws: dict[str, _Raw] = {}
        atoms_of: dict[str, frozenset[str]] = {}
        checked: dict[tuple[str, dt.date | None], list[Group]] = {}
        for group in fresh:
            raws[group.key] = raw = self._raw(group)
            atoms, people = self._week_atoms(group)
            atoms_of[group.key] = atoms
            if raw.people >= self.k:
                scope = (group.family, self._quarter(group))
                self._ledger(scope)[1].note(people)
                checked.setdefault(scope, []).append(group)
        # Each quarter's ledger decides its groups together, as checking them
        # one by one in this order would (see ``ledger``).
        allowed: set[str] = set()
        for scope, groups in checked.items():
            decisions = self._ledger(scope)[0].decide([atoms_of[g.key] for g in groups])
            allowed |= {g.key for g, ok in zip(groups, decisions, strict=True) if ok}
        figures: dict[str, Figure] = {}
        releases = []
        for group in fresh:
            raw = raws[group.key]
            quarter = self._quarter(group)
            figure: Figure
            if raw.people < self.k:
                figure = Figure(group=group, shown=False, hidden=Hidden.SMALL)
            elif group.key not in allowed:
                figure = Figure(group=group, shown=False, hidden=Hidden.COMPLEMENT)
            elif self.settings.dp_enabled:
                figure = self._noisy(group, raw, quarter)
            else:
                figure = _exact(group, raw)
            figures[group.key] = figure
            releases.append(
                Release(
                    organisation=self.organisation,
                    family=group.family,
                    quarter=quarter,
                    group_key=group.key,
                    atoms=sorted(atoms_of[group.key]),
                    figures=figure.as_json() if figure.shown else None,
                    suppressed_reason="" if figure.shown else figure.hidden,
                    epsilon_spent=self.settings.epsilon_per_release if figure.noisy else 0.0,
                )
            )
        for release in Release.objects.bulk_create(releases):
            self._known[release.group_key] = release
        return figures

    def _ledger(self, scope: tuple[str, dt.date | None]) -> tuple[ledger.Ledger, _People]:
        """The groups already out about one family and quarter, and the people per atom."""
        if scope not in self._ledgers:
            family, quarter = scope
            released = [
                frozenset(atoms)
                for atoms in Release.objects.filter(
                    organisation=self.organisation,
                    family=family,
                    quarter=quarter,
                    figures__isnull=False,
                ).values_list("atoms", flat=True)
            ]
            has_blocks = quarter is not None and family != ENROLMENT
            if released and has_blocks:
                # Earlier releases name atoms of any week of the quarter.
                self._prefetch([Group(family, Grain.QUARTER, quarter)])

            def blocks() -> list[ledger.Block]:
                return self._blocks(family, quarter) if has_blocks and quarter else []

            people = _People(self, family)
            self._ledgers[scope] = (ledger.Ledger(released, people, self.k, blocks), people)
        return self._ledgers[scope]

    def _blocks(self, family: str, quarter: dt.date) -> list[ledger.Block]:
        """The quarter's month and quarter atoms, as sets of week-level atoms with their people."""
        starts = [(Grain.QUARTER, quarter)] + [
            (Grain.MONTH, dt.date(quarter.year, quarter.month + i, 1)) for i in range(3)
        ]
        self._prefetch(Group(family, grain, start) for grain, start in starts)
        blocks = []
        for grain, start in starts:
            weeks = weeks_in(grain, start)
            week_atoms = {w: self._atoms(family, Grain.WEEK, w) for w in weeks}
            for atom, stats in self._atoms(family, grain, start).items():
                if stats[PEOPLE] <= 0:
                    continue
                members = frozenset(
                    f"{w.isoformat()}|{atom}" for w in weeks if atom in week_atoms[w]
                )
                blocks.append(ledger.Block(f"{grain.value}:{start}", members, stats[PEOPLE]))
        return blocks

    # -- differential privacy -------------------------------------------------

    def _noisy(self, group: Group, raw: _Raw, quarter: dt.date | None) -> Figure:
        epsilon = self.settings.epsilon_per_release
        budget, _ = PrivacyBudget.objects.select_for_update().get_or_create(
            organisation=self.organisation, family=group.family, quarter=quarter
        )
        if budget.spent + epsilon > self.settings.epsilon_per_quarter + 1e-12:
            return Figure(group=group, shown=False, hidden=Hidden.BUDGET)
        budget.spent += epsilon
        budget.save(update_fields=["spent"])
        from wellkept.insights.privacy import noisy_figure

        return noisy_figure(
            group=group,
            people=raw.people,
            responses=raw.responses,
            scored=raw.scored,
            total=raw.total,
            bands=raw.bands,
            epsilon=epsilon,
            weeks=len(weeks_in(group.grain, group.period)) if group.grain and group.period else 1,
            score_range=_score_range(group.family),
        )


def _score_range(family: str) -> tuple[int, int]:
    instrument = shipped_instruments().get(family)
    if instrument is None:
        return (0, 0)
    return (instrument.minimum, instrument.maximum)


def _exact(group: Group, raw: _Raw) -> Figure:
    mean = sd = None
    if raw.scored:
        mean = raw.total / raw.scored
        variance = max(raw.total_sq / raw.scored - mean * mean, 0.0)
        sd = math.sqrt(variance * raw.scored / (raw.scored - 1)) if raw.scored > 1 else 0.0
        mean, sd = round(mean, 2), round(sd, 2)
    return Figure(
        group=group,
        shown=True,
        people=raw.people,
        responses=raw.responses,
        mean=mean,
        sd=sd,
        bands=dict(sorted(raw.bands.items())),
    )
