"""The attacker's side of the attack suite: read every channel, then solve for people.

Written apart from the auditor, as an attacker would write it: the released
figures are read back out of the JSON API, the CSV and PDF downloads and
the FHIR MeasureReport, turned into equations over the people the attacker
knows to be in each group, and handed to an exact integer solver (HiGHS,
with every bound the rules give away). Two questions are asked:

* **values**: what can a planted person's score be, given everything
  released, whole-number scores between the questionnaire's bounds, and
  the bands? (The attacker is assumed to know who answered where.)
* **hidden cells**: could each hidden group be empty, and could it not be,
  given the released counts? (Both kinds of hidden group show the same
  reason, so the reasons bound nothing; an attacker who could tell them
  apart is tried in ``pinned_hidden_cells(..., reasons=True)``.)
"""

from __future__ import annotations

import csv
import io
import math
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np


@dataclass(frozen=True)
class Seen:
    """One released figure: the answers it adds up (as (person, week) pairs), or hidden."""

    channel: str
    what: str
    answers: frozenset[tuple[str, str]]
    people: int | None = None
    responses: int | None = None
    mean: float | None = None
    rounding: float = 0.0
    bands: tuple[int, ...] | None = None
    reason: str = ""
    # Which atoms (unit, shift, role, week) the group covers: the count side's unknowns.
    cells: frozenset[tuple[str, str, str, str]] = frozenset()
    # Hidden and, in truth, holding fewer than k people: what must stay undecided.
    small: bool = False

    @property
    def shown(self) -> bool:
        return self.people is not None or self.bands is not None


@dataclass
class Solver:
    """A small integer program, built once for HiGHS and asked many questions."""

    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    rows: list[tuple[dict[int, float], float, float]] = field(default_factory=list)
    _highs: object | None = None

    def var(self, lower: float, upper: float) -> int:
        self.lower.append(lower)
        self.upper.append(upper)
        return len(self.lower) - 1

    def add(self, coefficients: dict[int, float], lower: float, upper: float) -> int:
        self.rows.append((coefficients, lower, upper))
        return len(self.rows) - 1

    def _build(self) -> highspy.Highs:
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("mip_rel_gap", 0.0)
        inf = highspy.kHighsInf
        n = len(self.lower)
        lp = highspy.HighsLp()
        lp.num_col_ = n
        lp.num_row_ = len(self.rows)
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.array([max(v, -inf) for v in self.lower])
        lp.col_upper_ = np.array([min(v, inf) for v in self.upper])
        lp.row_lower_ = np.array([max(lo, -inf) for _, lo, _ in self.rows])
        lp.row_upper_ = np.array([min(hi, inf) for _, _, hi in self.rows])
        columns: list[list[tuple[int, float]]] = [[] for _ in range(n)]
        for r, (coefficients, _, _) in enumerate(self.rows):
            for v, c in coefficients.items():
                columns[v].append((r, c))
        starts, index, values = [0], [], []
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

    def optimum(
        self,
        objective: dict[int, float],
        rows: dict[int, tuple[float, float]] | None = None,
        columns: dict[int, tuple[float, float]] | None = None,
    ) -> float | None:
        """The best objective with some rows' or columns' bounds changed, or None if infeasible."""
        if self._highs is None:
            self._highs = self._build()
        highs = self._highs
        inf = highspy.kHighsInf
        n = len(self.lower)
        cost = np.zeros(n)
        for v, c in objective.items():
            cost[v] = c
        highs.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        for r, (lo, hi) in (rows or {}).items():
            highs.changeRowBounds(r, max(lo, -inf), min(hi, inf))
        for v, (lo, hi) in (columns or {}).items():
            highs.changeColBounds(v, lo, hi)
        highs.run()
        status = highs.getModelStatus()
        value = float(highs.getInfo().objective_function_value)
        for r in rows or {}:
            _, lo, hi = self.rows[r]
            highs.changeRowBounds(r, max(lo, -inf), min(hi, inf))
        for v in columns or {}:
            highs.changeColBounds(v, max(self.lower[v], -inf), min(self.upper[v], inf))
        if status == highspy.HighsModelStatus.kInfeasible:
            return None
        assert status == highspy.HighsModelStatus.kOptimal, status
        return value


@dataclass(frozen=True)
class Recovered:
    low: int
    high: int
    bands: frozenset[int]

    def pinned(self) -> bool:
        return self.low == self.high

    def width(self) -> int:
        return self.high - self.low


def solve_people(
    seen: Iterable[Seen],
    targets: Iterable[tuple[str, str]],
    *,
    low: int,
    high: int,
    bands: Sequence[tuple[int, int]],
) -> dict[tuple[str, str], Recovered]:
    """The range and possible bands of each target answer, from every shown figure."""
    solver = Solver()
    shown = [s for s in seen if s.shown and s.answers]
    answers = sorted({a for s in shown for a in s.answers} | set(targets))
    x = {a: solver.var(low, high) for a in answers}
    y = {(a, j): solver.var(0, 1) for a in answers for j in range(len(bands))}
    for a in answers:
        solver.add({y[(a, j)]: 1.0 for j in range(len(bands))}, 1, 1)
        solver.add(
            {x[a]: 1.0, **{y[(a, j)]: -float(b[0]) for j, b in enumerate(bands)}}, 0, math.inf
        )
        solver.add(
            {x[a]: 1.0, **{y[(a, j)]: -float(b[1]) for j, b in enumerate(bands)}}, -math.inf, 0
        )
    for s in shown:
        if s.bands is not None:
            for j, count in enumerate(s.bands):
                solver.add({y[(a, j)]: 1.0 for a in s.answers}, count, count)
            continue
        if s.mean is None or s.responses is None:
            continue
        lo = s.responses * (s.mean - s.rounding)
        hi = s.responses * (s.mean + s.rounding)
        solver.add({x[a]: 1.0 for a in s.answers}, math.ceil(lo - 1e-9), math.floor(hi + 1e-9))
    found = {}
    for target in targets:
        top = solver.optimum({x[target]: -1.0})
        bottom = solver.optimum({x[target]: 1.0})
        assert top is not None, "the true scores satisfy every figure"
        assert bottom is not None, "the true scores satisfy every figure"
        possible = frozenset(
            j
            for j in range(len(bands))
            if solver.optimum({}, columns={y[(target, j)]: (1, 1)}) is not None
        )
        found[target] = Recovered(round(bottom), round(-top), possible)
    return found


def pinned_hidden_cells(seen: Iterable[Seen], k: int, *, reasons: bool = False) -> list[str]:
    """The hidden groups whose emptiness the released counts settle, one way or the other.

    With ``reasons``, the attacker also reads "fewer than k" as at most k - 1
    people and any other hidden reason as at least k.
    """
    solver = Solver()
    figures = [s for s in seen if s.cells and s.bands is None]
    cells = sorted({c for s in figures for c in s.cells})
    n = {c: solver.var(0, math.inf) for c in cells}
    for s in figures:
        if s.shown and s.responses is not None:
            solver.add({n[c]: 1.0 for c in s.cells}, s.responses, s.responses)
        elif reasons and not s.shown and s.reason.startswith("small"):
            weeks = len({c[3] for c in s.cells})
            solver.add({n[c]: 1.0 for c in s.cells}, 0, (k - 1) * weeks)
        elif reasons and not s.shown:
            solver.add({n[c]: 1.0 for c in s.cells}, k, math.inf)
    # The same hidden group read through several views is asked about once.
    hidden: dict[frozenset[tuple[str, str, str, str]], str] = {}
    for s in figures:
        # A hidden group that holds a shown one is plainly not empty; what must
        # not be told is whether a group that is in truth small is empty.
        if not s.shown and s.small:
            hidden.setdefault(s.cells, f"{s.channel}: {s.what}")
    probes = {
        cells: solver.add({n[c]: 1.0 for c in cells}, -math.inf, math.inf) for cells in hidden
    }
    pinned = []
    for cells, name in hidden.items():
        empty = solver.optimum({}, rows={probes[cells]: (0, 0)})
        someone = solver.optimum({}, rows={probes[cells]: (1, math.inf)})
        if empty is None or someone is None:
            pinned.append(name)
    return pinned


# -- reading a PDF export -----------------------------------------------------------


def pdf_rows(data: bytes) -> list[list[str]]:
    """The table rows of a dashboard PDF: text runs grouped by line, left to right."""
    runs: list[tuple[float, float, str]] = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text = zlib.decompress(stream)
        except zlib.error:
            text = stream
        for x, y, body in re.findall(rb"([\d.]+) ([\d.]+) Td\s*\((.*?)\) Tj", text, re.S):
            runs.append(
                (float(y), float(x), body.decode("latin-1").replace("\\(", "(").replace("\\)", ")"))
            )
    lines: dict[float, list[tuple[float, str]]] = {}
    for y, x, body in runs:
        lines.setdefault(round(y, 1), []).append((x, body))
    return [[t for _, t in sorted(items)] for _, items in sorted(lines.items(), reverse=True)]


def pdf_columns(data: bytes, widths: Sequence[int]) -> list[dict[int, str]]:
    """Like ``pdf_rows``, with each run placed in its column by its position."""
    runs: list[tuple[float, float, str]] = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            text = zlib.decompress(stream)
        except zlib.error:
            text = stream
        for x, y, body in re.findall(rb"([\d.]+) ([\d.]+) Td\s*\((.*?)\) Tj", text, re.S):
            runs.append((float(y), float(x), body.decode("latin-1")))
    # Columns start at the left margin (10 mm = 28.35 pt) plus the widths before them.
    edges = np.cumsum([0, *widths]) * 72 / 25.4 + 28.35
    lines: dict[float, dict[int, str]] = {}
    for y, x, body in runs:
        column = int(np.searchsorted(edges, x + 0.5, side="right")) - 1
        lines.setdefault(round(y, 1), {})[column] = body
    return [line for _, line in sorted(lines.items(), reverse=True)]


def csv_rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body)))
