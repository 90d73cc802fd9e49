"""The differencing check: could released sums, combined, single out a small group?

Every released group is a sum over week-level atoms (one week, one unit,
one shift type, one role category). Sums can be added and subtracted, so
what is derivable from a set of releases is exactly their linear span R
(over the atoms' values). A release is refused when, with it, R would
contain the indicator vector 1_S of some set S of atoms holding fewer than
k people (and at least one response): the sum, count and mean of S, and
with one person in S that person's score.

How it is decided, exactly and quickly:

1. Only the connected part of the ledger that shares atoms with the new
   groups can combine with them; the rest was already checked, and a set
   S spread over two disconnected parts is small only if each part is.
2. Atoms that belong to exactly the same groups are merged into one
   *class*: every vector of R is constant on a class, so 1_S in R means S
   is a union of whole classes. A dashboard's thousands of atoms become a
   few dozen classes.
3. A class holding k people or more (counted from below, see 5) can never
   be part of a small S: it is *large*. Ordering the large classes first,
   one reduced row echelon form of the group-by-class matrix gives the
   part of R that is zero on them (the rows whose pivot is a small class),
   already reduced; no separate null-space computation is needed.
4. A 0/1 vector of that part has coefficient 1 on the rows whose pivot it
   contains and 0 on the others, so the candidates are sums of subsets T
   of the rows. The people of S are at least those of T's pivot classes,
   so a depth-first search that stops as soon as T's pivots hold k people
   visits every candidate. Each candidate is tested: all entries 0 or 1,
   and its atoms hold fewer than k people. If the search would need more
   than ``SEARCH_LIMIT`` steps, the release is refused: the check fails
   closed, never open.
5. People in a set of atoms are counted from below. Within one week each
   person answers an instrument at most once, so a week's atoms add up. A
   set spanning weeks holds at least as many people as its busiest week
   (the same person may answer every week), and at least the people
   counted, at month or quarter level, in every month or quarter atom
   whose weeks it wholly contains (each person is counted in one atom per
   period: see ``Contribution``). The larger of these bounds is used; it
   never exceeds the truth, so the check errs towards refusing.

A dashboard releases dozens of groups at once. ``Ledger.decide`` gives
each the decision checking them one by one, in order, would give: group i
is released if and only if the ledger, the groups released before it and
group i together expose no small set. Because adding groups only enlarges
R, it first checks the whole batch in one go (the usual case: nothing to
hide); when that fails it bisects for the longest prefix that is safe,
refuses the group after it, and carries on with the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy is imported where a check runs, not here: commands and pages that
# never release a new group should not pay for loading it.

SEARCH_LIMIT = 20_000
# Entries of a basis computed in floating point are this close to 0 or 1.
TOLERANCE = 1e-7


@dataclass(frozen=True)
class Verdict:
    safe: bool
    # The atoms of a group that could be worked out, when unsafe.
    exposed: frozenset[str] = frozenset()
    gave_up: bool = False


def week_of_atom(atom: str) -> str:
    """Atoms are "<monday>|<unit>|<shift>|<role>"; enrolment atoms start with "-"."""
    return atom.split("|", 1)[0]


@dataclass(frozen=True)
class Block:
    """A month or quarter atom: its week-level atoms and the people counted in it."""

    period: str
    atoms: frozenset[str]
    people: int


def people_at_least(
    atoms: Iterable[str], people: Mapping[str, int], blocks: Sequence[Block] = ()
) -> int:
    """A lower bound on the distinct people in a set of week-level atoms (see module doc)."""
    chosen = set(atoms)
    per_period: dict[str, int] = {}
    for atom in chosen:
        week = week_of_atom(atom)
        per_period[week] = per_period.get(week, 0) + people.get(atom, 0)
    for block in blocks:
        if block.atoms <= chosen:
            per_period[block.period] = per_period.get(block.period, 0) + block.people
    return max(per_period.values(), default=0)


def check(
    candidate: frozenset[str],
    released: Sequence[frozenset[str]],
    people: Mapping[str, int],
    k: int,
    blocks: Sequence[Block] = (),
) -> Verdict:
    """Decide whether releasing ``candidate`` after ``released`` keeps every small group hidden."""
    return Ledger(released, people, k, blocks).verdict([candidate])


class Ledger:
    """The groups already out about one quarter's data, and the checks against them."""

    def __init__(
        self,
        released: Iterable[frozenset[str]],
        people: Mapping[str, int],
        k: int,
        blocks: Sequence[Block] | Callable[[], Sequence[Block]] = (),
    ) -> None:
        self.people = people
        self.k = k
        self.groups: list[frozenset[str]] = []
        # Month and quarter blocks are only needed when some class is small:
        # they may be given as a function, called at most once.
        self._blocks = blocks
        self._blocks_of: dict[str, list[Block]] | None = None
        for group in released:
            self.add(group)

    def blocks_of(self) -> Mapping[str, list[Block]]:
        """The blocks each week-level atom belongs to."""
        if self._blocks_of is None:
            self._blocks_of = {}
            for block in self._blocks() if callable(self._blocks) else self._blocks:
                for atom in block.atoms:
                    self._blocks_of.setdefault(atom, []).append(block)
        return self._blocks_of

    def add(self, group: frozenset[str]) -> None:
        """Record a group as released."""
        self.groups.append(group)

    def decide(self, candidates: Sequence[frozenset[str]]) -> list[bool]:
        """Release each candidate in order if it is safe; return the decisions (see module doc)."""
        decisions = [False] * len(candidates)
        start = 0
        while start < len(candidates):
            rest = candidates[start:]
            if self.verdict(rest).safe:
                safe_prefix = len(rest)
            else:
                # rest[:low] is known safe, rest[:high + 1] known unsafe.
                low, high = 0, len(rest) - 1
                while low < high:
                    middle = (low + high + 1) // 2
                    if self.verdict(rest[:middle]).safe:
                        low = middle
                    else:
                        high = middle - 1
                safe_prefix = low
            for offset, group in enumerate(rest[:safe_prefix]):
                decisions[start + offset] = True
                self.add(group)
            # The group after the safe prefix is refused; it stays out of the ledger.
            start += safe_prefix + 1
        return decisions

    def verdict(self, candidates: Sequence[frozenset[str]]) -> Verdict:
        """Whether the ledger plus all the candidates together keep every small set hidden."""
        for part in self._parts(candidates):
            found = _Part(part, self.people, self.k, self.blocks_of).verdict()
            if not found.safe:
                return found
        return Verdict(True)

    def _parts(self, candidates: Sequence[frozenset[str]]) -> list[list[frozenset[str]]]:
        """Split the candidates and the released groups they reach into connected parts."""
        parts: list[list[frozenset[str]]] = []
        placed: set[int] = set()
        # Set operations on whole groups: a ledger holds thousands of atoms
        # per group, and testing groups against a frontier is cheaper than
        # indexing every atom.
        waiting = list(self.groups)
        for first in range(len(candidates)):
            if first in placed:
                continue
            placed.add(first)
            members = [candidates[first]]
            reach: set[str] = set()
            frontier = set(candidates[first])
            while frontier:
                reach |= frontier
                grown: set[str] = set()
                still: list[frozenset[str]] = []
                for group in waiting:
                    if frontier.isdisjoint(group):
                        still.append(group)
                    else:
                        members.append(group)
                        grown |= group
                waiting = still
                for other in range(len(candidates)):
                    if other not in placed and not frontier.isdisjoint(candidates[other]):
                        placed.add(other)
                        members.append(candidates[other])
                        grown |= candidates[other]
                frontier = grown - reach
            parts.append(members)
        return parts


class _Part:
    """One connected set of groups, its atoms merged into classes, ready to search."""

    def __init__(
        self,
        groups: Sequence[frozenset[str]],
        people: Mapping[str, int],
        k: int,
        blocks_of: Callable[[], Mapping[str, list[Block]]],
    ) -> None:
        self.k = k
        # Split the atoms into classes with set operations, group by group:
        # a class inside or outside each group, never across one.
        classes: list[tuple[frozenset[str], tuple[int, ...]]] = [(frozenset().union(*groups), ())]
        for row, group in enumerate(groups):
            split: list[tuple[frozenset[str], tuple[int, ...]]] = []
            for atoms, rows in classes:
                inside = atoms & group
                if inside:
                    split.append((inside, (*rows, row)))
                if len(inside) < len(atoms):
                    split.append((atoms - inside, rows))
            classes = split
        self.rows = len(groups)
        self.classes = [atoms for atoms, _ in classes]
        self.signatures = [rows for _, rows in classes]
        # Per class, its people by period (a week, or a month or quarter block).
        self.weekly: list[dict[str, int]] = []
        for atoms in self.classes:
            per_week: dict[str, int] = {}
            for atom in atoms:
                week = atom.partition("|")[0]
                per_week[week] = per_week.get(week, 0) + people.get(atom, 0)
            self.weekly.append(per_week)
        self.blocks: list[tuple[frozenset[int], str, int]] = []
        # Classes whose busiest week alone holds k people are large whatever
        # the blocks say; only the others can need them.
        maybe_small = {
            c for c, per_week in enumerate(self.weekly) if max(per_week.values(), default=0) < k
        }
        if not maybe_small:
            return
        class_of = {atom: c for c in maybe_small for atom in self.classes[c]}
        found = blocks_of()
        seen: set[int] = set()
        for atom in class_of:
            for block in found.get(atom, ()):
                if id(block) in seen:
                    continue
                seen.add(id(block))
                # A block reaching beyond the possibly small classes is never
                # inside a small set.
                if all(a in class_of for a in block.atoms):
                    needs = frozenset(class_of[a] for a in block.atoms)
                    self.blocks.append((needs, block.period, block.people))

    def people_at_least(self, classes: Iterable[int]) -> int:
        chosen = set(classes)
        per_period: dict[str, int] = {}
        for c in chosen:
            for week, n in self.weekly[c].items():
                per_period[week] = per_period.get(week, 0) + n
        for needs, period, n in self.blocks:
            if needs <= chosen:
                per_period[period] = per_period.get(period, 0) + n
        return max(per_period.values(), default=0)

    def verdict(self) -> Verdict:
        import numpy as np

        sizes = [self.people_at_least([c]) for c in range(len(self.classes))]
        large = [c for c in range(len(self.classes)) if sizes[c] >= self.k]
        # Small classes, busiest first: pivots then fall on classes with many
        # people, and the search below stops sooner.
        small = sorted(
            (c for c in range(len(self.classes)) if sizes[c] < self.k), key=lambda c: -sizes[c]
        )
        if not small:
            return Verdict(True)
        matrix = np.zeros((self.rows, len(self.classes)))
        for column, c in enumerate([*large, *small]):
            matrix[list(self.signatures[c]), column] = 1.0
        reduced, pivots = _rref(matrix)
        keep = [i for i, p in enumerate(pivots) if p >= len(large)]
        if not keep:
            return Verdict(True)
        basis = reduced[keep][:, len(large) :]
        return self._search(basis, [pivots[i] - len(large) for i in keep], small)

    def _search(self, reduced: np.ndarray, pivots: list[int], small: list[int]) -> Verdict:
        import numpy as np

        steps = 0
        n = len(pivots)

        def exposed(vector: np.ndarray) -> frozenset[str] | None:
            rounded = np.rint(vector)
            if np.any(np.abs(vector - rounded) > TOLERANCE) or np.any(
                (rounded != 0) & (rounded != 1)
            ):
                return None
            support = [small[i] for i in np.flatnonzero(rounded)]
            if support and self.people_at_least(support) < self.k:
                return frozenset(a for c in support for a in self.classes[c])
            return None

        # Depth-first over subsets of rows, in increasing index order, keeping
        # the running sum and the pivot classes chosen so far.
        stack: list[tuple[int, np.ndarray, list[int]]] = [(0, np.zeros(reduced.shape[1]), [])]
        while stack:
            start, total, chosen = stack.pop()
            for i in range(start, n):
                steps += 1
                if steps > SEARCH_LIMIT:
                    return Verdict(False, gave_up=True)
                pivot_classes = [*chosen, small[pivots[i]]]
                if self.people_at_least(pivot_classes) >= self.k:
                    continue
                vector = total + reduced[i]
                found = exposed(vector)
                if found is not None:
                    return Verdict(False, exposed=found)
                stack.append((i + 1, vector, pivot_classes))
        return Verdict(True)


def _rref(matrix: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """Reduced row echelon form in floating point, with partial pivoting."""
    import numpy as np

    m = matrix.astype(float).copy()
    rows, cols = m.shape
    pivots: list[int] = []
    r = 0
    for c in range(cols):
        if r >= rows:
            break
        best = r + int(np.argmax(np.abs(m[r:, c])))
        if abs(m[best, c]) < TOLERANCE:
            continue
        m[[r, best]] = m[[best, r]]
        m[r] /= m[r, c]
        others = np.abs(m[:, c]) > 0
        others[r] = False
        m[others] -= np.outer(m[others, c], m[r])
        pivots.append(c)
        r += 1
    return m[:r], pivots
