"""The auditor: no combination of released figures may single out a person.

Every released figure is a linear equation over the people it describes:
the answers counted, the scores added up and the answers per severity
band of each cell (one week, one unit, one shift type, one role category).
An attacker may combine any released figures, over every output, role and
dimension, with any coefficients, and knows that scores are whole numbers
within the questionnaire's range. Before a new group is released the
auditor checks the whole window (one questionnaire's quarter, or one
quarter's participation denominators) with the group added, and refuses it
if any of these would then hold:

1. **A small set can be worked out.** Some set of cells holding fewer than
   k people (none included: an empty set is small too, so that a hidden
   cell can never be shown to be empty) has its count or its sum in the
   linear span of the released figures. Exact rational arithmetic
   (``fractions``) decides the span; the search for such a set is a walk
   over the reduced rows and, past ``SEARCH_LIMIT`` steps, an integer
   program.
2. **A person's value is pinned or narrowed.** For some person, everything
   released together with the bounds (each score a whole number of the
   questionnaire's steps between its minimum and maximum, each answer in
   exactly one band) leaves their score inside an interval narrower than
   the configured share of the range, or leaves them only one possible
   band. This is the bounded part: an integer program (HiGHS) finds the
   extreme scores and the possible bands of one person of each at-risk
   class. The attacker is assumed to know every count exactly (who
   answered where and when), which only makes the check stricter.
3. **A hidden cell is not hidden.** For some hidden group, the released
   counts and sums and the bounds rule out that it is empty, or rule out
   that it is not. (A group hidden for being small and one hidden to
   protect another show the same reason, so the reasons bound nothing.)

Whatever the solver reports, a check passes only on a certificate that
is verified in exact integer arithmetic: the extreme scores, the second
band and the other side of each hidden cell are all points that satisfy
every equation and bound exactly. A solver failure, a limit reached, or a
point that does not verify, refuses the release: the check fails closed.
The limits count work (nodes, iterations, programs), never seconds, so a
verdict is the same on any machine, however busy.

People are interchangeable within a class (cells that every released
figure treats alike), so the auditor reasons about one person per class;
erased people stay in the equations of figures released before their
erasure as anonymous cells whose scores are unknown, so an erasure never
opens a difference.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

# The subset walk of check 1 gives way to an integer program past this many steps.
SEARCH_LIMIT = 20_000
# Every limit below counts work, never time: the same ledger and request get
# the same verdicts on an idle laptop and a loaded server, and a refusal
# (which the ledger keeps for good) never records a moment of machine load.
# A limit reached refuses the release (fails closed): it costs figures,
# never privacy. The values were measured on the demo and the test suite
# (docs/disclosure-control.md, "The same decision on any machine").
#
# Branch-and-bound nodes HiGHS may explore in one integer program.
MIP_NODES = 2_000
# Open leaves HiGHS may keep in one integer program's search tree.
MIP_LEAVES = 1_000
# Simplex iterations one linear relaxation may take before the integer
# program is asked instead (HiGHS applies this to linear programs only).
LP_ITERATIONS = 20_000
# Integer programs per check; beyond it the check refuses.
SOLVE_LIMIT = 5_000
# What one request (every batch a page releases, ``Work``) may spend: the
# programs it asks for and the simplex iterations they take together; past
# either, the groups not yet decided are refused, so a first view's work is
# bounded whatever the ledger holds. A refused group stays refused. The
# iterations are what bound a page's time: on the loaded 2-CPU development
# machine 40,000 took about 13 seconds.
REQUEST_SOLVES = 2_000
REQUEST_ITERATIONS = 40_000
# Class labels grow by one bit per row; they are renumbered before they overflow.
_RELABEL_EVERY = 48

SHOWN = "shown"
SMALL = "small"
COMPLEMENT = "complement"


class Reason:
    """Why a check refused: for the ledger and the tests, never shown with a count."""

    SMALL_SET = "small-set"
    NARROWED = "narrowed"
    BAND = "band"
    EMPTY = "empty"
    GAVE_UP = "gave-up"


@dataclass(frozen=True)
class Scale:
    """An instrument's scores in whole steps (total / multiplier), and its bands in steps."""

    low: int
    high: int
    bands: tuple[tuple[int, int], ...]

    @property
    def span(self) -> int:
        return self.high - self.low


@dataclass(frozen=True)
class Row:
    """One group in the window: a product of weeks, units, shift types and role categories.

    ``None`` in a dimension takes every value. ``bands`` marks a row that
    releases answers per band rather than the group's counts and sum.
    ``release_id`` orders rows against erasures (a row still to be
    released is after every erasure). ``total`` and ``band_counts`` are the
    exact figures stored when the row was released; they are needed only
    when an erasure has since changed the cells the row adds up.
    """

    weeks: frozenset[int] | None
    units: frozenset[int] | None
    shift: int | None
    role: int | None
    bands: bool = False
    state: str = SHOWN
    release_id: float = math.inf
    total: int | None = None
    band_counts: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Ghost:
    """Answers erased from one cell after rows up to ``epoch`` were released."""

    atom: int
    epoch: int
    responses: int
    scored: int


@dataclass
class Window:
    """The cells of one window: counts, sums and bands per atom, as the store keeps them.

    Atoms are numbered ``((week * units + unit) * shifts + shift) * roles + role``.
    ``blocks`` are month and quarter cells (their atoms and the people
    counted in them), which give lower bounds on the people of a set of
    atoms spanning several weeks.
    """

    shape: tuple[int, int, int, int]
    responses: np.ndarray
    scored: np.ndarray
    total: np.ndarray
    people: np.ndarray
    bands: np.ndarray
    k: int
    share: float = 0.0
    scale: Scale | None = None
    blocks: list[tuple[str, np.ndarray, int]] = field(default_factory=list)
    ghosts: list[Ghost] = field(default_factory=list)
    # Answers one person can give in one week (one per schedule asking the questionnaire).
    per_week: int = 1

    @classmethod
    def empty(
        cls, shape: tuple[int, int, int, int], k: int, bands: int = 0, **kwargs: Any
    ) -> Window:
        size = int(np.prod(shape))
        zeros = np.zeros(size, dtype=np.int64)
        return cls(
            shape=shape,
            responses=zeros.copy(),
            scored=zeros.copy(),
            total=zeros.copy(),
            people=zeros.copy(),
            bands=np.zeros((size, bands), dtype=np.int64),
            k=k,
            **kwargs,
        )

    def atom(self, week: int, unit: int, shift: int, role: int) -> int:
        _, units, shifts, roles = self.shape
        return ((week * units + unit) * shifts + shift) * roles + role


@dataclass(frozen=True)
class Verdict:
    safe: bool
    reason: str = ""

    @staticmethod
    def ok() -> Verdict:
        return Verdict(True)


class _Limit(Exception):
    """The solver could not settle a question within its work limits: the check refuses."""


# --- classes --------------------------------------------------------------------


def _dimension(size: int, chosen: Iterable[int] | int | None) -> np.ndarray:
    if chosen is None:
        return np.ones(size, dtype=bool)
    mask = np.zeros(size, dtype=bool)
    if isinstance(chosen, int):
        mask[chosen] = True
    else:
        mask[list(chosen)] = True
    return mask


def row_mask(shape: tuple[int, int, int, int], row: Row) -> np.ndarray:
    """The atoms a row adds up, as a boolean vector."""
    weeks, units, shifts, roles = shape
    w = _dimension(weeks, row.weeks)
    u = _dimension(units, row.units)
    s = _dimension(shifts, row.shift)
    r = _dimension(roles, row.role)
    return (w[:, None, None, None] & u[None, :, None, None] & s[None, None, :, None] & r).ravel()


class Classes:
    """The window's atoms (and erased answers) merged into classes every row treats alike.

    People in one class are interchangeable: no released figure tells them
    apart, so what holds for one holds for all. Each class keeps the sums
    of its atoms; a class holding erased answers has an unknown total.
    """

    def __init__(self, window: Window, rows: Sequence[Row], work: Work | None = None) -> None:
        self.window = window
        size = int(np.prod(window.shape))
        ghosts = window.ghosts
        masks = []
        labels = np.zeros(size + len(ghosts), dtype=np.int64)
        ghost_atoms = np.array([g.atom for g in ghosts], dtype=np.int64)
        ghost_epochs = np.array([g.epoch for g in ghosts], dtype=np.float64)
        for count, row in enumerate(rows, start=1):
            mask = row_mask(window.shape, row)
            if ghosts:
                # Erased answers were in the rows released before the erasure only.
                extra = mask[ghost_atoms] & (row.release_id <= ghost_epochs)
                mask = np.concatenate([mask, extra])
            masks.append(mask)
            labels = labels * 2 + mask
            if count % _RELABEL_EVERY == 0:
                labels = np.unique(labels, return_inverse=True)[1].astype(np.int64)
        self.labels = np.unique(labels, return_inverse=True)[1].astype(np.int64).ravel()
        self.count = int(self.labels.max()) + 1 if self.labels.size else 0
        # One atom per class stands for it: a row holds a class if it holds that atom.
        representative = np.full(self.count, -1, dtype=np.int64)
        representative[self.labels[::-1]] = np.arange(self.labels.size)[::-1]
        self.incidence = (
            np.array([m[representative] for m in masks], dtype=bool)
            if masks
            else np.zeros((0, self.count), dtype=bool)
        )
        regular = self.labels[:size]
        ghost_labels = self.labels[size:]
        n = self.count

        def add(values: np.ndarray, extra: Sequence[int] = ()) -> np.ndarray:
            found = np.bincount(regular, weights=values, minlength=n)
            if len(extra):
                found += np.bincount(ghost_labels, weights=np.asarray(extra), minlength=n)
            return np.rint(found).astype(np.int64)

        self.responses = add(window.responses, [g.responses for g in ghosts])
        self.scored = add(window.scored, [g.scored for g in ghosts])
        self.total = add(window.total)
        self.ghost_scored = (
            add(np.zeros(size), [g.scored for g in ghosts])
            if ghosts
            else np.zeros(n, dtype=np.int64)
        )
        self.bands = (
            np.stack([add(window.bands[:, j]) for j in range(window.bands.shape[1])], axis=1)
            if window.bands.shape[1]
            else np.zeros((n, 0), dtype=np.int64)
        )
        # People per class and week (erased answers count no one: a lower bound).
        weeks = window.shape[0]
        per_atom_week = np.arange(size) // (size // weeks if weeks else 1)
        self.weekly = (
            np.bincount(regular * weeks + per_atom_week, weights=window.people, minlength=n * weeks)
            .reshape(n, weeks)
            .astype(np.int64)
        )
        # The work spent so far, against REQUEST_SOLVES and REQUEST_ITERATIONS.
        self.work = work if work is not None else Work()
        # Verified worlds found by the solver, kept for the rest of the batch:
        # a world that satisfies more figures satisfies fewer too.
        self.value_points: list[_Point] = []
        self.count_points: list[_Point] = []
        self.blocks = [
            (name, frozenset(np.unique(regular[atoms]).tolist()), people)
            for name, atoms, people in window.blocks
            if people > 0
        ]
        # Each class's blocks: a set of classes only ever holds blocks of its own classes.
        self.blocks_of: dict[int, list[int]] = {}
        for b, (_, members, _) in enumerate(self.blocks):
            for c in members:
                self.blocks_of.setdefault(c, []).append(b)

    def known(self, c: int) -> bool:
        """Whether the class's total score is known (no erased answer in it)."""
        return int(self.ghost_scored[c]) == 0

    def people_at_least(self, classes: Iterable[int]) -> int:
        """A lower bound on the people in a set of classes (busiest week, or a month block)."""
        chosen = set(classes)
        if not chosen:
            return 0
        best = int(self.weekly[sorted(chosen)].sum(axis=0).max(initial=0))
        per_block: dict[str, int] = {}
        seen: set[int] = set()
        for c in chosen:
            for b in self.blocks_of.get(c, ()):
                if b in seen:
                    continue
                seen.add(b)
                name, members, people = self.blocks[b]
                if members <= chosen:
                    per_block[name] = per_block.get(name, 0) + people
        return max([best, *per_block.values()])


# --- check 1: a small set in the span ------------------------------------------------


def _echelon(
    rows: Sequence[Sequence[int]], position: dict[int, int]
) -> dict[int, dict[int, Fraction]]:
    """Reduced row echelon form in exact arithmetic, keyed by pivot position."""
    basis: dict[int, dict[int, Fraction]] = {}
    for row in rows:
        vector: dict[int, Fraction] = {position[c]: Fraction(1) for c in row}
        for pivot in [p for p in vector if p in basis]:
            factor = vector.get(pivot)
            if not factor:
                continue
            for col, value in basis[pivot].items():
                updated = vector.get(col, Fraction(0)) - factor * value
                if updated:
                    vector[col] = updated
                else:
                    vector.pop(col, None)
        if not vector:
            continue
        pivot = min(vector)
        lead = vector[pivot]
        if lead != 1:
            vector = {col: value / lead for col, value in vector.items()}
        for other in basis.values():
            factor = other.get(pivot)
            if factor:
                for col, value in vector.items():
                    updated = other.get(col, Fraction(0)) - factor * value
                    if updated:
                        other[col] = updated
                    else:
                        other.pop(col, None)
        basis[pivot] = vector
    return basis


def small_set(classes: Classes, shown: Sequence[int], k: int) -> bool:
    """Whether the shown rows' span holds the indicator of a set with fewer than k people."""
    sizes = [classes.people_at_least([c]) for c in range(classes.count)]
    involved: list[int] = (
        np.flatnonzero(classes.incidence[list(shown)].any(axis=0)).tolist() if shown else []
    )
    large = [c for c in involved if sizes[c] >= k]
    # Small classes busiest first: pivots land on classes with people, the walk stops sooner.
    small = sorted((c for c in involved if sizes[c] < k), key=lambda c: (-sizes[c], c))
    if not small:
        return False
    position = {c: i for i, c in enumerate([*large, *small])}
    rows = [np.flatnonzero(classes.incidence[r]).tolist() for r in shown]
    basis = _echelon(rows, position)
    offset = len(large)
    reduced = [
        {col - offset: value for col, value in vector.items()}
        for pivot, vector in sorted(basis.items())
        if pivot >= offset
    ]
    if not reduced:
        return False
    try:
        return _walk(classes, reduced, small, k)
    except _Limit:
        return _small_set_program(classes, reduced, small, k)


def _is_set(vector: dict[int, Fraction]) -> bool:
    return all(value == 1 for value in vector.values())


def _walk(classes: Classes, reduced: list[dict[int, Fraction]], small: list[int], k: int) -> bool:
    """Depth-first over subsets of the reduced rows: a set's coefficient on a row is its pivot."""
    pivots = [min(vector) for vector in reduced]
    steps = 0
    stack: list[tuple[int, dict[int, Fraction], list[int]]] = [(0, {}, [])]
    while stack:
        start, total, chosen = stack.pop()
        for i in range(start, len(reduced)):
            steps += 1
            if steps > SEARCH_LIMIT:
                raise _Limit
            pivot_classes = [*chosen, small[pivots[i]]]
            if classes.people_at_least(pivot_classes) >= k:
                continue
            vector = dict(total)
            for col, value in reduced[i].items():
                updated = vector.get(col, Fraction(0)) + value
                if updated:
                    vector[col] = updated
                else:
                    vector.pop(col, None)
            if _is_set(vector) and classes.people_at_least(small[c] for c in vector) < k:
                return True
            stack.append((i + 1, vector, pivot_classes))
    return False


def _small_set_program(
    classes: Classes, reduced: list[dict[int, Fraction]], small: list[int], k: int
) -> bool:
    """The same question as an integer program, for a span too entangled to walk.

    A set in the span has coefficient 1 on the rows whose pivot it holds
    and 0 on the others: one binary per row, one binary per class it may
    hold, and the people lower bounds below k. A point found is verified
    exactly; "infeasible" is HiGHS's proof.
    """
    program = _Program(classes.work)
    rows = [program.binary() for _ in reduced]
    columns = sorted({col for vector in reduced for col in vector})
    member = {col: program.binary() for col in columns}
    for col in columns:
        coefficients = {rows[i]: float(v[col]) for i, v in enumerate(reduced) if col in v}
        coefficients[member[col]] = -1.0
        program.constrain(coefficients, 0.0, 0.0)
    program.constrain(dict.fromkeys(member.values(), 1.0), 1.0, math.inf)
    for week in range(classes.weekly.shape[1]):
        weights = {member[col]: float(classes.weekly[small[col], week]) for col in columns}
        program.constrain(weights, -math.inf, k - 1)
    where = {c: col for col, c in enumerate(small) if col in member}
    per_period: dict[str, dict[int, float]] = {}
    for name, members, people in classes.blocks:
        if not all(c in where for c in members):
            continue
        # The block counts once all its classes are in the set.
        flag = program.binary()
        inside = [member[where[c]] for c in members]
        program.constrain({flag: 1.0, **dict.fromkeys(inside, -1.0)}, 1 - len(inside), math.inf)
        per_period.setdefault(name, {})[flag] = float(people)
    for weights in per_period.values():
        program.constrain(weights, -math.inf, k - 1)
    classes.work.spend()
    found = program.solve({})
    if found is None:
        return False
    vector: dict[int, Fraction] = {}
    for i, var in enumerate(rows):
        if found[var] == 1:
            for col, value in reduced[i].items():
                vector[col] = vector.get(col, Fraction(0)) + value
    vector = {c: v for c, v in vector.items() if v}
    if vector and _is_set(vector) and classes.people_at_least(small[c] for c in vector) < k:
        return True
    # The solver's point does not verify exactly: fail closed.
    raise _Limit


# --- the integer programs ---------------------------------------------------------------


class _Program:
    """A small integer program for HiGHS, kept in exact form so its points can be verified."""

    def __init__(self, work: Work | None = None) -> None:
        self.work = work
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.rows: list[tuple[dict[int, float], float, float]] = []

    def variable(self, lower: float, upper: float) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.lower) - 1

    def binary(self) -> int:
        return self.variable(0, 1)

    def constrain(self, coefficients: dict[int, float], lower: float, upper: float) -> int:
        self.rows.append(({v: c for v, c in coefficients.items() if c}, lower, upper))
        return len(self.rows) - 1

    def build(self) -> Any:
        import highspy

        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        # Work limits, not a time limit: whether a program is settled must
        # not depend on how busy the machine is (see MIP_NODES).
        highs.setOptionValue("mip_max_nodes", MIP_NODES)
        highs.setOptionValue("mip_max_leaves", MIP_LEAVES)
        highs.setOptionValue("simplex_iteration_limit", LP_ITERATIONS)
        highs.setOptionValue("mip_rel_gap", 0.0)
        # Each program is solved many times with another objective or bound;
        # presolving it again every time cost two thirds of a first view
        # (bench_insights at 1,000 earlier releases: 23 s of CPU with it,
        # 7.5 s without, the same figures shown). The verdict never rests on
        # presolve: every point is verified in exact arithmetic.
        highs.setOptionValue("presolve", "off")
        lp = highspy.HighsLp()
        n = len(self.lower)
        lp.num_col_ = n
        lp.num_row_ = len(self.rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array(self.lower, dtype=float)
        lp.col_upper_ = np.array([u if u != math.inf else highspy.kHighsInf for u in self.upper])
        inf = highspy.kHighsInf
        lp.row_lower_ = np.array([lo if lo != -math.inf else -inf for _, lo, _ in self.rows])
        lp.row_upper_ = np.array([hi if hi != math.inf else inf for _, _, hi in self.rows])
        starts, index, values = [0], [], []
        columns: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        for r, (coefficients, _, _) in enumerate(self.rows):
            for v, c in coefficients.items():
                columns[v].append((r, c))
        for column in columns:
            for r, c in column:
                index.append(r)
                values.append(c)
            starts.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(values, dtype=float)
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n
        highs.passModel(lp)
        return highs

    def solve(
        self,
        objective: dict[int, float],
        *,
        highs: Any = None,
        fixed: dict[int, tuple[float, float]] | None = None,
        rows: dict[int, tuple[float, float]] | None = None,
        relax: bool = False,
    ) -> list[int] | None:
        """Return a verified integer point optimising the objective, or None if there is none.

        Raises ``_Limit`` when the solver stops without an answer it proved,
        or returns a point that does not satisfy the program exactly.
        """
        import highspy

        if highs is None:
            highs = self.build()
        n = len(self.lower)
        cost = np.zeros(n)
        for v, c in objective.items():
            cost[v] = c
        highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        for v, (lo, hi) in (fixed or {}).items():
            highs.changeColBounds(v, lo, hi)
        for r, (lo, hi) in (rows or {}).items():
            highs.changeRowBounds(r, lo, hi)
        if relax:
            # The linear relaxation: quick, and its vertices are often whole
            # numbers already (the caller verifies; a fraction raises _Limit).
            highs.changeColsIntegrality(
                n, np.arange(n, dtype=np.int32), np.zeros(n, dtype=np.uint8)
            )
        try:
            highs.run()
            if self.work is not None:
                self.work.iterations += int(highs.getInfo().simplex_iteration_count)
            status = highs.getModelStatus()
            if status == highspy.HighsModelStatus.kInfeasible:
                return None
            if status != highspy.HighsModelStatus.kOptimal:
                raise _Limit
            values = list(highs.getSolution().col_value)
        finally:
            if relax:
                highs.changeColsIntegrality(
                    n, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint8)
                )
            for v in fixed or {}:
                highs.changeColBounds(v, self.lower[v], _finite(self.upper[v]))
            for r in rows or {}:
                _, lo, hi = self.rows[r]
                highs.changeRowBounds(r, _finite(lo), _finite(hi))
        raw = np.asarray(values, dtype=float)
        whole = np.rint(raw)
        if np.any(np.abs(raw - whole) > 1e-6):
            raise _Limit
        point = [int(x) for x in whole]
        bounds = {**{v: (self.lower[v], self.upper[v]) for v in range(n)}, **(fixed or {})}
        for v, (lo, hi) in bounds.items():
            if not lo <= point[v] <= hi:
                raise _Limit
        # The caller checks the point against its own equations, in exact integers.
        return point


def _finite(value: float) -> float:
    import highspy

    if value == math.inf:
        return float(highspy.kHighsInf)
    if value == -math.inf:
        return -float(highspy.kHighsInf)
    return value


# --- check 2: people's values --------------------------------------------------------------


def person_range(
    scale: Scale, members: int, total: int, bands: Sequence[int] | None
) -> tuple[int, int, set[int]]:
    """One member's possible scores and bands when the class's total (and bands) are known."""
    if members <= 0:
        return scale.low, scale.high, set(range(len(scale.bands)))
    if bands is None or not scale.bands:
        low = max(scale.low, total - (members - 1) * scale.high)
        high = min(scale.high, total - (members - 1) * scale.low)
        possible = {j for j, (a, b) in enumerate(scale.bands) if a <= high and b >= low}
        return low, high, possible
    lows, highs, possible = [], [], set()
    for j, count in enumerate(bands):
        if count <= 0:
            continue
        rest = list(bands)
        rest[j] -= 1
        rest_low = sum(n * scale.bands[i][0] for i, n in enumerate(rest))
        rest_high = sum(n * scale.bands[i][1] for i, n in enumerate(rest))
        a = max(scale.bands[j][0], total - rest_high)
        b = min(scale.bands[j][1], total - rest_low)
        if a <= b:
            lows.append(a)
            highs.append(b)
            possible.add(j)
    if not possible:
        return scale.low, scale.high, set(range(len(scale.bands)))
    return min(lows), max(highs), possible


def too_narrow(scale: Scale, share: float, low: int, high: int, bands: set[int]) -> str:
    """Why one person's possible values say too much about them, or "" if they do not."""
    if high <= low:
        return Reason.NARROWED
    if high - low < share * scale.span:
        return Reason.NARROWED
    if len(scale.bands) > 1 and len(bands) < 2:
        return Reason.BAND
    return ""


def _row_totals(classes: Classes, rows: Sequence[Row], indices: Sequence[int]) -> dict[int, int]:
    """The exact sum each row states: stored when released, else the cells' own."""
    found = {}
    for r in indices:
        row = rows[r]
        members = np.flatnonzero(classes.incidence[r])
        if row.total is not None:
            found[r] = int(row.total)
        elif any(not classes.known(int(c)) for c in members):
            # A row over erased answers whose total was not kept: nothing to reason with.
            raise _Limit
        else:
            found[r] = int(classes.total[members].sum())
    return found


def _row_bands(
    classes: Classes, rows: Sequence[Row], indices: Sequence[int]
) -> dict[int, tuple[int, ...]]:
    found = {}
    for r in indices:
        row = rows[r]
        members = np.flatnonzero(classes.incidence[r])
        if row.band_counts is not None:
            found[r] = tuple(int(x) for x in row.band_counts)
        elif any(not classes.known(int(c)) for c in members):
            raise _Limit
        else:
            found[r] = tuple(int(x) for x in classes.bands[members].sum(axis=0))
    return found


@dataclass
class _Point:
    """A whole world of class totals: every released figure holds in it, verified exactly."""

    sums: dict[int, int]
    counts: dict[int, int] = field(default_factory=dict)
    scored: dict[int, int] = field(default_factory=dict)
    bands: dict[int, tuple[int, ...]] = field(default_factory=dict)


class _ValueModel:
    """Check 2's equations in class space: each class's total score (and band counts)."""

    def __init__(
        self, classes: Classes, rows: Sequence[Row], shown: Sequence[int], scale: Scale
    ) -> None:
        self.classes = classes
        self.scale = scale
        self.core = [r for r in shown if not rows[r].bands]
        self.banded = [r for r in shown if rows[r].bands]
        incidence = classes.incidence
        involved: list[int] = (
            np.flatnonzero(incidence[list(shown)].any(axis=0)).tolist() if shown else []
        )
        self.scored = [int(c) for c in involved if classes.scored[c] > 0]
        self.band_classes: set[int] = (
            set(np.flatnonzero(incidence[self.banded].any(axis=0)).tolist()) & set(self.scored)
            if self.banded
            else set()
        )
        self.totals = _row_totals(classes, rows, self.core)
        self.band_totals = _row_bands(classes, rows, self.banded)
        scored = set(self.scored)
        self.members = {
            r: [int(c) for c in np.flatnonzero(incidence[r]) if c in scored]
            for r in [*self.core, *self.banded]
        }

    def holds(self, point: _Point) -> bool:
        """Whether every equation and bound holds in the point, in exact integers."""
        scale, n = self.scale, self.classes.scored
        for c in self.scored:
            value = point.sums.get(c)
            if value is None or not n[c] * scale.low <= value <= n[c] * scale.high:
                return False
        for c in self.band_classes:
            counts = point.bands.get(c)
            if counts is None or sum(counts) != n[c] or min(counts) < 0:
                return False
            low = sum(k * b[0] for k, b in zip(counts, scale.bands, strict=True))
            high = sum(k * b[1] for k, b in zip(counts, scale.bands, strict=True))
            if not low <= point.sums[c] <= high:
                return False
        for r in self.core:
            if sum(point.sums[c] for c in self.members[r]) != self.totals[r]:
                return False
        for r in self.banded:
            for j, wanted in enumerate(self.band_totals[r]):
                if sum(point.bands[c][j] for c in self.members[r]) != wanted:
                    return False
        return True

    def person(self, point: _Point, c: int) -> tuple[int, int, set[int]]:
        bands = point.bands.get(c) if c in self.band_classes else None
        return person_range(self.scale, int(self.classes.scored[c]), point.sums[c], bands)

    def program(self) -> tuple[_Program, dict[int, int], dict[tuple[int, int], int]]:
        scale = self.scale
        program = _Program(self.classes.work)
        sums = {
            c: program.variable(
                int(self.classes.scored[c]) * scale.low, int(self.classes.scored[c]) * scale.high
            )
            for c in self.scored
        }
        counts: dict[tuple[int, int], int] = {}
        nbands = len(scale.bands)
        for c in sorted(self.band_classes):
            n = int(self.classes.scored[c])
            for j in range(nbands):
                counts[(c, j)] = program.variable(0, n)
            program.constrain({counts[(c, j)]: 1 for j in range(nbands)}, n, n)
            program.constrain(
                {sums[c]: -1, **{counts[(c, j)]: scale.bands[j][0] for j in range(nbands)}},
                -math.inf,
                0,
            )
            program.constrain(
                {sums[c]: 1, **{counts[(c, j)]: -scale.bands[j][1] for j in range(nbands)}},
                -math.inf,
                0,
            )
        for r in self.core:
            program.constrain({sums[c]: 1 for c in self.members[r]}, self.totals[r], self.totals[r])
        for r in self.banded:
            for j in range(nbands):
                value = self.band_totals[r][j]
                program.constrain({counts[(c, j)]: 1 for c in self.members[r]}, value, value)
        return program, sums, counts

    def point(
        self, found: list[int], sums: dict[int, int], counts: dict[tuple[int, int], int]
    ) -> _Point:
        nbands = len(self.scale.bands)
        return _Point(
            sums={c: found[v] for c, v in sums.items()},
            bands={
                c: tuple(found[counts[(c, j)]] for j in range(nbands)) for c in self.band_classes
            },
        )


def values_exposed(
    classes: Classes, rows: Sequence[Row], shown: Sequence[int], scale: Scale, share: float
) -> str:
    """Whether some person's score is pinned, narrowed, or left in one band; the reason if so.

    One person per class stands for all its members. Their possible scores
    are the union, over every world of class totals that satisfies the
    released figures, of what the class total allows one member. The
    worlds are the truth, walks from it along directions that change no
    released total, and points found by the solver (extreme totals, or a
    member in another band); each is verified in exact integers, and what
    they show of each class (its least and greatest total) is kept.
    """
    model = _ValueModel(classes, rows, shown, scale)
    if not model.scored:
        return ""
    seen = _Extremes(model)
    pool: list[_Point] = classes.value_points
    start = None
    if all(classes.known(c) for c in model.scored):
        start = _Point(
            sums={c: int(classes.total[c]) for c in model.scored},
            bands={c: tuple(int(x) for x in classes.bands[c]) for c in model.band_classes},
        )
        seen.add(start)
    for point in pool:
        if model.holds(point):
            seen.add(point)
    at_risk = [c for c in model.scored if seen.narrow(c, share)]
    if not at_risk:
        return ""
    if start is not None:
        # Most at-risk classes are settled by walking from the truth along
        # single directions that leave every released total as it is (and
        # touch no class whose band counts are released).
        walker = _Walker(model, start)
        for c in at_risk:
            if c in model.band_classes:
                continue
            for direction, t in walker.steps(c):
                seen.walk(start, walker, direction, t)
                if not seen.narrow(c, share):
                    break
        at_risk = [c for c in at_risk if seen.narrow(c, share)]
        if not at_risk:
            return ""
    program, sums, counts = model.program()
    people: dict[int, tuple[int, list[int]]] = {}
    nbands = len(scale.bands)
    for c in at_risk:
        if c not in model.band_classes:
            continue
        # A class whose band counts are released: one member, explicitly.
        x = program.variable(scale.low, scale.high)
        ys = [program.binary() for _ in range(nbands)]
        program.constrain(dict.fromkeys(ys, 1), 1, 1)
        program.constrain({x: 1, **{y: -scale.bands[j][0] for j, y in enumerate(ys)}}, 0, math.inf)
        program.constrain({x: 1, **{y: -scale.bands[j][1] for j, y in enumerate(ys)}}, -math.inf, 0)
        for j, y in enumerate(ys):
            program.constrain({counts[(c, j)]: 1, y: -1}, 0, math.inf)
        rest_low = {counts[(c, j)]: -scale.bands[j][0] for j in range(nbands)}
        rest_high = {counts[(c, j)]: -scale.bands[j][1] for j in range(nbands)}
        program.constrain(
            {sums[c]: 1, x: -1, **rest_low, **{y: scale.bands[j][0] for j, y in enumerate(ys)}},
            0,
            math.inf,
        )
        program.constrain(
            {sums[c]: 1, x: -1, **rest_high, **{y: scale.bands[j][1] for j, y in enumerate(ys)}},
            -math.inf,
            0,
        )
        people[c] = (x, ys)
    highs = program.build()
    budget = _Budget(classes.work)

    def attempt(objective: dict[int, float], **changes: Any) -> list[int] | None:
        try:
            return program.solve(objective, highs=highs, relax=True, **changes)
        except _Limit:
            # The relaxation's optimum is not a whole-number world: search for one.
            return program.solve(objective, highs=highs, **changes)

    def far_end(objective: dict[int, float]) -> list[int] | None:
        """A world with the variable at its own bound, if one is found; None otherwise.

        Most classes can reach the ends of their range. Finding one world
        there is many times cheaper for the solver than proving an optimum
        (on the demo a program took 0.04 s instead of 0.9 s), and that
        world is the optimum. When there is none, or the solver stops, the
        optimum is searched for as before; nothing is concluded from the
        failed attempt, so the shortcut cannot weaken the check.
        """
        ((v, sign),) = objective.items()
        end = program.lower[v] if sign > 0 else program.upper[v]
        if not math.isfinite(end):
            return None
        try:
            return attempt({}, fixed={v: (end, end)})
        except _Limit:
            return None

    def search(objective: dict[int, float], **changes: Any) -> None:
        budget.spend()
        found = far_end(objective) if len(objective) == 1 and not changes else None
        if found is None:
            found = attempt(objective, **changes)
        if found is None:
            # The true world satisfies every figure: "infeasible" is a solver error.
            raise _Limit
        point = model.point(found, sums, counts)
        if not model.holds(point):
            raise _Limit
        seen.add(point)
        pool.append(point)

    for c in at_risk:
        if c in people:
            x, ys = people[c]
            for objective in ({x: -1.0}, {x: 1.0}):
                if seen.narrow(c, share):
                    search(objective)
            for j, y in enumerate(ys):
                if not seen.narrow(c, share):
                    break
                if j not in seen.bands(c):
                    try:
                        search({}, fixed={y: (1.0, 1.0)})
                    except _Limit:
                        continue
        else:
            for objective in ({sums[c]: -1.0}, {sums[c]: 1.0}):
                if seen.narrow(c, share):
                    search(objective)
        reason = seen.narrow(c, share)
        if reason:
            return reason
    return ""


class _Extremes:
    """What the verified worlds show of each class: its least and greatest total, its bands."""

    def __init__(self, model: _ValueModel) -> None:
        self.model = model
        self.low: dict[int, int] = {}
        self.high: dict[int, int] = {}
        # Classes with released band counts keep what each world allows one member.
        self.members: dict[int, tuple[int, int, set[int]]] = {}

    def _total(self, c: int, value: int) -> None:
        if c not in self.low or value < self.low[c]:
            self.low[c] = value
        if c not in self.high or value > self.high[c]:
            self.high[c] = value

    def add(self, point: _Point) -> None:
        for c, value in point.sums.items():
            self._total(c, value)
        for c in self.model.band_classes:
            a, b, bands = self.model.person(point, c)
            old = self.members.get(c)
            if old is None:
                self.members[c] = (a, b, set(bands))
            else:
                self.members[c] = (min(old[0], a), max(old[1], b), old[2] | bands)

    def walk(self, start: _Point, walker: _Walker, direction: int, t: int) -> None:
        for col, d in walker.directions[direction].items():
            c = walker.columns[col]
            self._total(c, start.sums[c] + t * d)

    def range(self, c: int) -> tuple[int, int, set[int]]:
        if c in self.members:
            return self.members[c]
        scale, n = self.model.scale, int(self.model.classes.scored[c])
        if c not in self.low:
            return scale.high, scale.low, set()
        low = max(scale.low, self.low[c] - (n - 1) * scale.high)
        high = min(scale.high, self.high[c] - (n - 1) * scale.low)
        # Each end is a score some member really takes in some world; between
        # the ends, all lie in one band if both ends do.
        bands = {j for j, (a, b) in enumerate(scale.bands) if a <= low <= b or a <= high <= b}
        return low, high, bands

    def bands(self, c: int) -> set[int]:
        return self.range(c)[2]

    def narrow(self, c: int, share: float) -> str:
        low, high, bands = self.range(c)
        if high < low:
            return Reason.NARROWED
        return too_narrow(self.model.scale, share, low, high, bands)


class _Walker:
    """Directions of the equations' null space, from their reduced row echelon form (exact).

    For each column that is not a pivot: +1 on that class, minus its
    coefficients on the pivot classes; moving along it changes no released
    total. A class is walked from the truth as far as every class's bounds
    allow, both ways, along each direction that moves it, until settled.
    """

    def __init__(self, model: _ValueModel, start: _Point) -> None:
        self.model = model
        self.start = start
        self.columns = list(model.scored)
        self.position = {c: i for i, c in enumerate(self.columns)}
        basis = _echelon([model.members[r] for r in model.core], self.position)
        self.directions: dict[int, dict[int, int]] = {}
        self.moving: dict[int, list[int]] = {}
        for free in range(len(self.columns)):
            if free in basis:
                continue
            vector = {free: Fraction(1)}
            for pivot, row in basis.items():
                value = row.get(free)
                if value:
                    vector[pivot] = -value
            by = math.lcm(*(v.denominator for v in vector.values()))
            self.directions[free] = {col: int(v * by) for col, v in vector.items()}
            for col in vector:
                self.moving.setdefault(col, []).append(free)
        # Each direction changes no released total: checked once, exactly.
        for r in model.core:
            members = {self.position[c] for c in model.members[r]}
            for direction in self.directions.values():
                if sum(d for col, d in direction.items() if col in members):
                    raise _Limit

    def steps(self, c: int) -> Iterator[tuple[int, int]]:
        scale, n = self.model.scale, self.model.classes.scored
        banded = {self.position[b] for b in self.model.band_classes}
        for free in self.moving.get(self.position[c], []):
            vector = self.directions[free]
            if banded and not banded.isdisjoint(vector):
                continue
            low_t, high_t = -math.inf, math.inf
            for col, d in vector.items():
                cls = self.columns[col]
                value = self.start.sums[cls]
                lo, hi = int(n[cls]) * scale.low - value, int(n[cls]) * scale.high - value
                a, b = (lo / d, hi / d) if d > 0 else (hi / d, lo / d)
                low_t, high_t = max(low_t, math.ceil(a)), min(high_t, math.floor(b))
            for t in (low_t, high_t):
                if t != 0 and low_t <= t <= high_t:
                    yield free, int(t)


class Work:
    """What a request has spent in the solver: counted, so that the limit is the same everywhere."""

    def __init__(self) -> None:
        self.solves = 0
        self.iterations = 0

    def spend(self) -> None:
        """Count one more program asked for; refuse once the request has spent its share."""
        self.solves += 1
        if self.spent:
            raise _Limit

    @property
    def spent(self) -> bool:
        return self.solves > REQUEST_SOLVES or self.iterations >= REQUEST_ITERATIONS


class _Budget:
    """One check's programs, counted against the check's limit and the batch's."""

    def __init__(self, work: Work) -> None:
        self.used = 0
        self.work = work

    def spend(self) -> None:
        self.used += 1
        if self.used > SOLVE_LIMIT:
            raise _Limit
        self.work.spend()


# --- check 3: hidden cells --------------------------------------------------------------


class _CountModel:
    """Check 3's equations in class space: answers, scored answers and total score per class."""

    def __init__(
        self,
        classes: Classes,
        rows: Sequence[Row],
        shown: Sequence[int],
        hidden: Sequence[int],
        complement: Sequence[int],
        k: int,
        scale: Scale | None,
        per_week: int,
    ) -> None:
        self.classes = classes
        self.scale = scale
        self.k = k
        incidence = classes.incidence
        self.core = [r for r in shown if not rows[r].bands]
        self.hidden = [r for r in hidden if incidence[r].any()]
        self.complement = list(complement)
        involved = np.flatnonzero(
            incidence[[*self.core, *self.hidden, *self.complement]].any(axis=0)
        )
        self.involved = [int(c) for c in involved]
        self.members = {
            r: [int(c) for c in np.flatnonzero(incidence[r])]
            for r in [*self.core, *self.hidden, *self.complement]
        }
        self.responses = {r: int(classes.responses[self.members[r]].sum()) for r in self.core}
        self.totals = _row_totals(classes, rows, self.core) if scale is not None else {}
        # Both kinds of hidden group show the same reason: nothing bounds them.
        self.upper: dict[int, float] = dict.fromkeys(self.hidden, math.inf)
        del per_week
        # A class is never larger than a shown row that holds it.
        self.cap: dict[int, float] = dict.fromkeys(self.involved, math.inf)
        for r in self.core:
            for c in self.members[r]:
                self.cap[c] = min(self.cap[c], self.responses[r])
        self.split = {c for c in self.involved if classes.scored[c] != classes.responses[c]}
        # Classes every shown figure treats alike: moving answers between them shows nowhere.
        shown_rows = incidence[self.core][:, self.involved] if self.core else None
        groups: dict[bytes, list[int]] = {}
        for i, c in enumerate(self.involved):
            key = shown_rows[:, i].tobytes() if shown_rows is not None else b""
            groups.setdefault(key, []).append(c)
        self._alike = {c: group for group in groups.values() for c in group}

    def alike(self, c: int) -> list[int]:
        return self._alike.get(c, [])

    def holds(self, point: _Point) -> bool:
        scale = self.scale
        for c in self.involved:
            n = point.counts.get(c)
            if n is None or n < 0 or n > self.cap[c]:
                return False
            if scale is not None:
                m = point.scored.get(c, n)
                if m < 0 or m > n or (c not in self.split and m != n):
                    return False
                if not m * scale.low <= point.sums.get(c, 0) <= m * scale.high:
                    return False
        for r in self.core:
            if sum(point.counts[c] for c in self.members[r]) != self.responses[r]:
                return False
            if scale is not None and sum(point.sums[c] for c in self.members[r]) != self.totals[r]:
                return False
        return True


def hidden_pinned(
    classes: Classes,
    rows: Sequence[Row],
    shown: Sequence[int],
    hidden: Sequence[int],
    complement: Sequence[int],
    k: int,
    scale: Scale | None,
    per_week: int,
) -> bool:
    """Whether the released counts and sums rule out that a small hidden cell is empty, or not."""
    model = _CountModel(classes, rows, shown, hidden, complement, k, scale, per_week)
    if not model.hidden:
        return False
    pool: list[_Point] = classes.count_points
    if all(classes.known(c) for c in model.involved):
        pool.append(
            _Point(
                sums={c: int(classes.total[c]) for c in model.involved},
                counts={c: int(classes.responses[c]) for c in model.involved},
                scored={c: int(classes.scored[c]) for c in model.involved},
            )
        )
    valid = [p for p in pool if model.holds(p)]

    def settled(r: int) -> bool:
        sizes = {sum(p.counts[c] for c in model.members[r]) for p in valid}
        return not (0 in sizes and any(n >= 1 for n in sizes))

    waiting = [r for r in model.hidden if settled(r)]
    if not waiting:
        return False
    # Most hidden cells are settled by moving answers between two classes that
    # every shown figure treats alike: no shown total changes. Only what
    # that cannot show goes to the solver.
    for r in waiting:
        for point in list(valid):
            if not settled(r):
                break
            moved = _moved(model, point, r)
            if moved is not None and model.holds(moved):
                valid.append(moved)
                pool.append(moved)
    waiting = [r for r in waiting if settled(r)]
    if not waiting:
        return False
    program = _Program(classes.work)
    counts = {c: program.variable(0, model.cap[c]) for c in model.involved}
    scored = dict(counts)
    sums: dict[int, int] = {}
    if scale is not None:
        for c in model.involved:
            if c in model.split:
                scored[c] = program.variable(0, model.cap[c])
                program.constrain({scored[c]: 1, counts[c]: -1}, -math.inf, 0)
            cap = model.cap[c]
            sums[c] = program.variable(
                -math.inf if cap == math.inf else min(0, scale.low) * cap,
                math.inf if cap == math.inf else max(0, scale.high) * cap,
            )
            program.constrain({sums[c]: 1, scored[c]: -scale.low}, 0, math.inf)
            program.constrain({sums[c]: 1, scored[c]: -scale.high}, -math.inf, 0)
    for r in model.core:
        members = model.members[r]
        program.constrain({counts[c]: 1 for c in members}, model.responses[r], model.responses[r])
        if scale is not None:
            program.constrain({sums[c]: 1 for c in members}, model.totals[r], model.totals[r])
    checks = {
        r: program.constrain({counts[c]: 1 for c in model.members[r]}, 0, model.upper[r])
        for r in model.hidden
    }
    highs = program.build()
    budget = _Budget(classes.work)
    for r in waiting:
        if not settled(r):
            continue
        sizes = {sum(p.counts[c] for c in model.members[r]) for p in valid}
        wanted = (1.0, float(model.upper[r])) if 0 in sizes else (0.0, 0.0)
        if wanted[1] < wanted[0]:
            return True
        budget.spend()
        try:
            found = program.solve({}, highs=highs, rows={checks[r]: wanted}, relax=True)
            if found is not None and not model.holds(_count_point(found, sums, counts, scored)):
                raise _Limit
        except _Limit:
            found = program.solve({}, highs=highs, rows={checks[r]: wanted})
        if found is None:
            return True
        point = _count_point(found, sums, counts, scored)
        if not model.holds(point):
            raise _Limit
        valid.append(point)
        pool.append(point)
    return any(settled(r) for r in model.hidden)


def _count_point(
    found: list[int], sums: dict[int, int], counts: dict[int, int], scored: dict[int, int]
) -> _Point:
    return _Point(
        sums={c: found[v] for c, v in sums.items()},
        counts={c: found[v] for c, v in counts.items()},
        scored={c: found[v] for c, v in scored.items()},
    )


def _moved(model: _CountModel, point: _Point, r: int) -> _Point | None:
    """The point with hidden row r emptied, or given one answer, by moves no shown figure sees."""
    inside = set(model.members[r])
    counts, sums, scored = dict(point.counts), dict(point.sums), dict(point.scored)
    size = sum(counts[c] for c in inside)
    partners = {c: [d for d in model.alike(c) if d not in inside] for c in inside}
    if size > 0:
        # Empty the row: each class's answers go to a partner outside it.
        for c in sorted(inside):
            if not counts[c]:
                continue
            if not partners[c]:
                return None
            d = partners[c][0]
            counts[d] += counts[c]
            sums[d] = sums.get(d, 0) + sums.get(c, 0)
            scored[d] = scored.get(d, counts[d] - counts[c]) + scored.get(c, counts[c])
            counts[c], sums[c], scored[c] = 0, 0, 0
        return _Point(sums=sums, counts=counts, scored=scored)
    # Give the row one answer, taken from a partner outside it.
    scale = model.scale
    for c in sorted(inside):
        for d in partners[c]:
            if counts[d] < 1:
                continue
            m = scored.get(d, counts[d])
            counts[d] -= 1
            counts[c] += 1
            if scale is not None and m >= 1:
                # The moved answer's score: whatever keeps both classes in bounds.
                rest = sums[d]
                for value in range(scale.low, scale.high + 1):
                    if (m - 1) * scale.low <= rest - value <= (m - 1) * scale.high:
                        sums[d] = rest - value
                        sums[c] = sums.get(c, 0) + value
                        scored[d] = m - 1
                        scored[c] = scored.get(c, 0) + 1
                        break
            elif scale is not None:
                scored[d] = m
            return _Point(sums=sums, counts=counts, scored=scored)
    return None


# --- the whole check ---------------------------------------------------------------------


class Auditor:
    """One window's rows, already released or hidden, and the checks of new ones against them."""

    def __init__(self, window: Window, ledger: Sequence[Row], work: Work | None = None) -> None:
        self.window = window
        self.ledger = list(ledger)
        # Shared by every batch of one request when given; else each batch has its own.
        self.work = work

    def decide(self, candidates: Sequence[Row]) -> list[tuple[bool, str]]:
        """Release each candidate in order if it is safe with everything before it.

        Candidates hidden already (``state`` small) are only protected, never
        released. The batch is first checked whole; if that fails, the
        longest safe prefix is found by halving and the candidate after it
        refused, exactly as checking one by one would decide.
        """
        rows = [*self.ledger, *candidates]
        classes = Classes(self.window, rows, self.work)
        base = len(self.ledger)
        return self._decide(classes, rows, candidates, base)

    def _decide(
        self, classes: Classes, rows: list[Row], candidates: Sequence[Row], base: int
    ) -> list[tuple[bool, str]]:
        shown = [i for i, r in enumerate(self.ledger) if r.state == SHOWN]
        small = [i for i, r in enumerate(rows) if r.state == SMALL]
        complement = [i for i, r in enumerate(self.ledger) if r.state == COMPLEMENT]
        wanted = [base + i for i, r in enumerate(candidates) if r.state == SHOWN]
        decisions: dict[int, tuple[bool, str]] = {
            base + i: (False, "") for i, r in enumerate(candidates) if r.state != SHOWN
        }
        start = 0
        while start < len(wanted):
            rest = wanted[start:]
            if classes.work.spent:
                # Out of work: what is not decided yet is refused, all at once.
                for r in rest:
                    decisions[r] = (False, Reason.GAVE_UP)
                break
            verdict = self._verdict(classes, rows, shown + rest, small, complement)
            # Why each prefix known unsafe is unsafe, by its length.
            reasons = {len(rest): verdict.reason}
            if verdict.safe:
                prefix = len(rest)
            else:
                # rest[:low] is known safe, rest[:high + 1] known unsafe.
                low, high = 0, len(rest) - 1
                while low < high and not classes.work.spent:
                    middle = (low + high + 1) // 2
                    found = self._verdict(classes, rows, shown + rest[:middle], small, complement)
                    if found.safe:
                        low = middle
                    else:
                        high = middle - 1
                        reasons[middle] = found.reason
                prefix = low
            refusal = reasons.get(prefix + 1, "")
            for r in rest[:prefix]:
                decisions[r] = (True, "")
                shown.append(r)
            if prefix < len(rest):
                decisions[rest[prefix]] = (False, refusal or Reason.GAVE_UP)
                complement.append(rest[prefix])
            start += prefix + 1
        return [decisions[base + i] for i in range(len(candidates))]

    def verdict(self, candidates: Sequence[Row]) -> Verdict:
        """Whether the ledger with all the candidates shown keeps everyone hidden."""
        rows = [*self.ledger, *candidates]
        classes = Classes(self.window, rows)
        shown = [i for i, r in enumerate(rows) if r.state == SHOWN]
        small = [i for i, r in enumerate(rows) if r.state == SMALL]
        complement = [i for i, r in enumerate(rows) if r.state == COMPLEMENT]
        return self._verdict(classes, rows, shown, small, complement)

    def _verdict(
        self,
        classes: Classes,
        rows: Sequence[Row],
        shown: list[int],
        small: list[int],
        complement: list[int],
    ) -> Verdict:
        window = self.window
        core = [r for r in shown if not rows[r].bands]
        try:
            if core and small_set(classes, core, window.k):
                return Verdict(False, Reason.SMALL_SET)
            banded = [r for r in shown if rows[r].bands]
            if banded and small_set(classes, banded, window.k):
                return Verdict(False, Reason.SMALL_SET)
            if window.scale is not None and shown:
                reason = values_exposed(classes, rows, shown, window.scale, window.share)
                if reason:
                    return Verdict(False, reason)
            if small and hidden_pinned(
                classes, rows, shown, small, complement, window.k, window.scale, window.per_week
            ):
                return Verdict(False, Reason.EMPTY)
        except _Limit:
            return Verdict(False, Reason.GAVE_UP)
        return Verdict.ok()
