"""The auditor against the truth, on random small organisations and random requests.

Two properties, each checked by something written apart from the auditor:

* the small-set check refuses exactly when some set of cells with fewer
  than k people (none counts as fewer) lies in the span of the released
  rows, as found by trying every set of cells with a rank test;
* after any sequence of requests, an exact solver over everything the
  auditor let out (the attacker's, in ``attacker``) finds no person whose
  score is pinned, narrowed below the configured share, or left in one
  band, and no hidden group provably empty or not.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellkept.insights import auditor
from wellkept.insights.auditor import SHOWN, SMALL, Auditor, Row, Scale, Window
from wellkept.insights.tests.attacker import Seen, pinned_hidden_cells, solve_people

PHQ2 = Scale(0, 6, ((0, 2), (3, 6)))
SHARE = 0.5


@dataclass(frozen=True)
class Org:
    """Units as a small tree (parent of each), people in (week, unit, shift, role) with scores."""

    parents: tuple[int | None, ...]
    shifts: int
    roles: int
    weeks: int
    people: tuple[tuple[int, int, int, int, int], ...]  # week, unit, shift, role, score
    k: int

    def subtree(self, unit: int) -> frozenset[int]:
        found = {unit}
        grew = True
        while grew:
            grew = False
            for child, parent in enumerate(self.parents):
                if parent in found and child not in found:
                    found.add(child)
                    grew = True
        return frozenset(found)

    def window(self) -> Window:
        shape = (self.weeks, len(self.parents), self.shifts, self.roles)
        window = Window.empty(shape, self.k, bands=2, scale=PHQ2, share=SHARE)
        for week, unit, shift, role, score in self.people:
            atom = window.atom(week, unit, shift, role)
            window.responses[atom] += 1
            window.scored[atom] += 1
            window.people[atom] += 1
            window.total[atom] += score
            window.bands[atom, 0 if score <= 2 else 1] += 1
        return window

    def members(self, row: Row) -> list[int]:
        return [
            i
            for i, (week, unit, shift, role, _) in enumerate(self.people)
            if (row.weeks is None or week in row.weeks)
            and (row.units is None or unit in row.units)
            and (row.shift is None or shift == row.shift)
            and (row.role is None or role == row.role)
        ]

    def cells(self, row: Row) -> frozenset[tuple[str, str, str, str]]:
        return frozenset(
            (str(u), str(s), str(r), str(w))
            for w in range(self.weeks)
            for u in range(len(self.parents))
            for s in range(self.shifts)
            for r in range(self.roles)
            if (row.weeks is None or w in row.weeks)
            and (row.units is None or u in row.units)
            and (row.shift is None or s == row.shift)
            and (row.role is None or r == row.role)
        )


@st.composite
def organisations(draw: st.DrawFn) -> Org:
    units = draw(st.integers(2, 4))
    parents: list[int | None] = [None]
    for unit in range(1, units):
        parents.append(draw(st.integers(0, unit - 1)))
    shifts = draw(st.integers(1, 2))
    roles = draw(st.integers(1, 2))
    weeks = draw(st.integers(1, 2))
    people = draw(
        st.lists(
            st.tuples(
                st.integers(0, weeks - 1),
                st.integers(0, units - 1),
                st.integers(0, shifts - 1),
                st.integers(0, roles - 1),
                st.integers(0, 6),
            ),
            min_size=3,
            max_size=16,
        )
    )
    return Org(tuple(parents), shifts, roles, weeks, tuple(people), draw(st.integers(3, 4)))


@st.composite
def requests(draw: st.DrawFn, org: Org) -> list[Row]:
    """What a dashboard asks: a period, a unit (with all below) and one shift or one role."""
    found = []
    for _ in range(draw(st.integers(1, 8))):
        weeks = draw(st.sampled_from([None, *[frozenset({w}) for w in range(org.weeks)]]))
        unit = draw(st.sampled_from([None, *range(len(org.parents))]))
        split = draw(st.sampled_from(["none", "shift", "role"]))
        shift = draw(st.integers(0, org.shifts - 1)) if split == "shift" else None
        role = draw(st.integers(0, org.roles - 1)) if split == "role" else None
        bands = draw(st.booleans()) and draw(st.booleans())
        found.append(
            Row(weeks, org.subtree(unit) if unit is not None else None, shift, role, bands=bands)
        )
    return found


def _release(org: Org, wanted: list[Row]) -> tuple[list[Row], list[tuple[Row, bool, str]]]:
    """Run the auditor request by request, as the releaser does: small ones hidden first."""
    window = org.window()
    ledger: list[Row] = []
    decided = []
    for row in wanted:
        people = len(org.members(row))
        state = SMALL if people < org.k else SHOWN
        candidate = Row(row.weeks, row.units, row.shift, row.role, row.bands, state)
        ((shown, reason),) = Auditor(window, ledger).decide([candidate])
        if state == SMALL:
            final = candidate
        else:
            final = Row(row.weeks, row.units, row.shift, row.role, row.bands,
                        SHOWN if shown else auditor.COMPLEMENT)  # fmt: skip
        ledger.append(final)
        decided.append((final, state == SHOWN and shown, reason))
    return ledger, decided


def _seen(org: Org, decided: list[tuple[Row, bool, str]]) -> list[Seen]:
    seen = []
    for row, shown, _ in decided:
        members = org.members(row)
        answers = frozenset((str(i), "w") for i in members)
        cells = org.cells(row)
        if not shown:
            seen.append(
                Seen("auditor", "row", answers, reason="Hidden", cells=cells,
                     small=row.state == SMALL)
            )  # fmt: skip
        elif row.bands:
            counts = (
                sum(org.people[i][4] <= 2 for i in members),
                sum(org.people[i][4] > 2 for i in members),
            )
            seen.append(Seen("auditor", "bands", answers, bands=counts))
        else:
            total = sum(org.people[i][4] for i in members)
            seen.append(
                Seen("auditor", "row", answers, people=len(members), responses=len(members),
                     mean=total / len(members), rounding=0.0, cells=cells)
            )  # fmt: skip
    return seen


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_nothing_released_pins_or_narrows_anyone(data: st.DataObject) -> None:
    org = data.draw(organisations())
    wanted = data.draw(requests(org))
    _, decided = _release(org, wanted)
    seen = _seen(org, decided)
    targets = [(str(i), "w") for i in range(len(org.people))]
    found = solve_people(seen, targets, low=PHQ2.low, high=PHQ2.high, bands=PHQ2.bands)
    for target, recovered in found.items():
        assert not recovered.pinned(), (target, recovered, decided)
        assert recovered.width() >= SHARE * PHQ2.span, (target, recovered, decided)
        assert len(recovered.bands) == 2, (target, recovered, decided)
    assert pinned_hidden_cells(seen, org.k) == [], decided


def _exposed(org: Org, rows: list[Row]) -> bool:
    """Whether some set of cells with fewer than k people is in the rows' span (every set tried)."""
    shape = (org.weeks, len(org.parents), org.shifts, org.roles)
    size = int(np.prod(shape))
    matrix = np.array([auditor.row_mask(shape, r) for r in rows], dtype=float)
    window = org.window()
    rank = np.linalg.matrix_rank(matrix)
    used = [a for a in range(size) if matrix[:, a].any()]
    for count in range(1, len(used) + 1):
        for chosen in itertools.combinations(used, count):
            indicator = np.zeros(size)
            indicator[list(chosen)] = 1.0
            if np.linalg.matrix_rank(np.vstack([matrix, indicator])) != rank:
                continue
            per_week = np.zeros(org.weeks)
            for a in chosen:
                per_week[a // (size // org.weeks)] += window.people[a]
            if per_week.max() < org.k:
                return True
    return False


@pytest.mark.parametrize("seed", range(1))
@settings(max_examples=60, deadline=None)
@given(org=organisations(), data=st.data())
def test_the_small_set_check_refuses_exactly_when_a_small_set_can_be_worked_out(
    seed: int, org: Org, data: st.DataObject
) -> None:
    rows = [r for r in data.draw(requests(org)) if not r.bands][:5]
    shape = (org.weeks, len(org.parents), org.shifts, org.roles)
    if not rows or int(np.prod(shape)) > 10:
        return
    classes = auditor.Classes(org.window(), rows)
    found = auditor.small_set(classes, list(range(len(rows))), org.k)
    assert found == _exposed(org, rows)


def test_it_refuses_a_plus_one_minus_one_combination_that_pins_two_people() -> None:
    """Emergency's day shift minus its nurses is A - B = 6 on a 0-6 scale: both pinned."""
    # unit 0; shift 0 day, 1 night; role 0 nurse, 1 physician
    people = [(0, 0, 0, 0, s) for s in (1, 0, 2, 1, 3)] + [(0, 0, 0, 1, 6), (0, 0, 1, 0, 0)]
    people += [(0, 0, 1, 1, s) for s in (2, 3, 1, 2, 4)]
    org = Org((None,), 2, 2, 1, tuple(people), 5)
    day = Row(None, None, 0, None)
    nurses = Row(None, None, None, 0)
    assert Auditor(org.window(), []).decide([day, nurses]) == [(True, ""), (False, "narrowed")]


def test_it_refuses_a_table_that_would_show_a_hidden_row_empty() -> None:
    """A total and every row but an empty one: the last row shown is refused."""
    people = tuple((0, u, 0, 0, s) for u, s in ((1, 1), (1, 2), (1, 0), (1, 1), (1, 2)))
    people += tuple((0, 2, 0, 0, s) for s in (2, 1, 0, 3, 1))
    org = Org((None, 0, 0, 0), 1, 1, 1, people, 5)
    rows = [Row(None, None, None, None), Row(None, frozenset({1}), None, None),
            Row(None, frozenset({2}), None, None),
            Row(None, frozenset({3}), None, None, state=SMALL)]  # fmt: skip
    decided = Auditor(org.window(), []).decide(rows)
    assert decided[0] == (True, "")
    assert (False, "small-set") in decided[1:3]


def test_it_fails_closed_when_the_solver_gives_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auditor, "SOLVE_LIMIT", 0)
    people = [(0, 0, 0, 0, 6), (0, 0, 0, 0, 6), (0, 0, 0, 0, 6), (0, 0, 0, 0, 5), (0, 0, 1, 0, 6)]
    org = Org((None,), 2, 1, 1, tuple(people), 3)
    verdicts = Auditor(org.window(), []).decide([Row(None, None, None, None)])
    assert verdicts == [(False, "gave-up")]


# --- work limits, not time ----------------------------------------------------------------


def _busy_org() -> tuple[Org, list[Row]]:
    """A fixed random organisation and a page of crossed requests that keep the solver busy."""
    rng = np.random.default_rng(13)
    parents = (None, 0, 0, 1)
    people = tuple(
        (int(rng.integers(2)), int(rng.integers(1, 4)), int(rng.integers(2)),
         int(rng.integers(2)), int(rng.integers(7)))
        for _ in range(30)
    )  # fmt: skip
    org = Org(parents, 2, 2, 2, people, 5)
    rows = []
    for weeks in (None, frozenset({0})):
        for unit in (None, 1, 2, 3):
            units = org.subtree(unit) if unit is not None else None
            rows.append(Row(weeks, units, None, None))
            rows += [Row(weeks, units, s, None) for s in range(2)]
            rows += [Row(weeks, units, None, r) for r in range(2)]
    candidates = [
        Row(r.weeks, r.units, r.shift, r.role, state=SMALL if len(org.members(r)) < 5 else SHOWN)
        for r in rows
    ]
    return org, candidates


def _counting_solves(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    solved: list[int] = []
    solve = auditor._Program.solve

    def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        solved.append(1)
        return solve(self, *args, **kwargs)

    monkeypatch.setattr(auditor._Program, "solve", counted)
    return solved


def test_it_decides_the_same_whatever_the_clock_says(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded machine (every clock reading an hour after the last) changes no verdict."""
    import time

    org, candidates = _busy_org()
    solved = _counting_solves(monkeypatch)
    calm = Auditor(org.window(), []).decide(candidates)
    # The page really exercised the solver, and released some groups and refused others.
    assert solved
    assert any(shown for shown, _ in calm)
    assert any(not shown for shown, _ in calm)

    readings = itertools.count()
    for name in ("monotonic", "perf_counter", "time", "process_time"):
        monkeypatch.setattr(time, name, lambda: 3600.0 * next(readings))
    busy = Auditor(org.window(), []).decide(candidates)
    assert busy == calm
    assert next(readings) == 0, "the auditor read a clock"


def test_it_refuses_what_is_left_when_the_batch_runs_out_of_programs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org, candidates = _busy_org()
    solved = _counting_solves(monkeypatch)
    monkeypatch.setattr(auditor, "REQUEST_SOLVES", 1)
    verdicts = Auditor(org.window(), []).decide(candidates)
    # One question asked: its linear relaxation, then at most its integer program.
    assert 1 <= len(solved) <= 2
    assert (False, "gave-up") in verdicts
    # Nothing was released past the point where the work ran out.
    first = verdicts.index((False, "gave-up"))
    assert all(not shown for shown, _ in verdicts[first:])


def test_it_refuses_what_is_left_when_the_request_runs_out_of_iterations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    org, candidates = _busy_org()
    monkeypatch.setattr(auditor, "REQUEST_ITERATIONS", 1)
    verdicts = Auditor(org.window(), []).decide(candidates)
    assert (False, "gave-up") in verdicts
    first = verdicts.index((False, "gave-up"))
    assert all(not shown for shown, _ in verdicts[first:])


def test_it_counts_one_requests_batches_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work spent on one batch is not spent again on the next batch of the same request."""
    org, candidates = _busy_org()
    alone = Auditor(org.window(), []).decide(candidates)
    work = auditor.Work()
    Auditor(org.window(), [], work).decide(candidates)
    monkeypatch.setattr(auditor, "REQUEST_ITERATIONS", work.iterations + 1)
    assert Auditor(org.window(), []).decide(candidates) == alone
    again = Auditor(org.window(), [], work).decide(candidates)
    assert (False, "gave-up") in again


def test_it_releases_the_same_page_within_the_request_limits() -> None:
    org, candidates = _busy_org()
    assert (False, "gave-up") not in Auditor(org.window(), []).decide(candidates)


def _market_split(program: auditor._Program) -> None:
    """Four equations over thirty binaries: a classic search HiGHS needs a huge tree for."""
    rng = np.random.default_rng(3)
    weights = rng.integers(0, 100, (4, 30))
    xs = [program.binary() for _ in range(30)]
    for row in weights:
        half = float(row.sum() // 2)
        program.constrain({x: float(w) for x, w in zip(xs, row, strict=True)}, half, half)


def test_it_fails_closed_when_an_integer_program_reaches_its_node_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(auditor, "MIP_NODES", 20)
    program = auditor._Program()
    _market_split(program)
    with pytest.raises(auditor._Limit):
        program.solve({})


def test_it_solves_an_integer_program_within_its_node_limit() -> None:
    program = auditor._Program()
    xs = [program.variable(0, 6) for _ in range(3)]
    program.constrain(dict.fromkeys(xs, 1.0), 7, 7)
    point = program.solve({xs[0]: 1.0})
    assert point is not None
    assert sum(point) == 7
    assert point[0] == 0
