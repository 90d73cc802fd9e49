"""The differencing check against the truth, found by trying every set of atoms.

For small random families of groups the exact answer is cheap: a set S of
atoms can be worked out from the released sums if and only if its
indicator vector is in their span, which a rank comparison decides. The
check must refuse exactly when some S with fewer than k people can be
worked out, and the batch path must decide every group as checking them
one at a time would.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from wellkept.insights import ledger
from wellkept.insights.ledger import Block, Ledger, check, people_at_least

WEEKS = ("2026-07-06", "2026-07-13")
ATOMS = [f"{week}|u{u}|s|r" for week in WEEKS for u in range(4)]


def _exposed_sets(
    groups: list[frozenset[str]], people: dict[str, int], k: int, blocks: list[Block]
) -> list[frozenset[str]]:
    """Every nonempty set of atoms with fewer than k people that the groups' sums reveal."""
    atoms = sorted(set().union(*groups)) if groups else []
    if not atoms:
        return []
    index = {a: i for i, a in enumerate(atoms)}
    matrix = np.zeros((len(groups), len(atoms)))
    for row, group in enumerate(groups):
        matrix[row, [index[a] for a in group]] = 1.0
    rank = np.linalg.matrix_rank(matrix)
    found = []
    for size in range(1, len(atoms) + 1):
        for chosen in itertools.combinations(atoms, size):
            indicator = np.zeros(len(atoms))
            indicator[[index[a] for a in chosen]] = 1.0
            if np.linalg.matrix_rank(np.vstack([matrix, indicator])) != rank:
                continue
            if people_at_least(chosen, people, blocks) < k:
                found.append(frozenset(chosen))
    return found


@st.composite
def families(draw: st.DrawFn) -> tuple[list[frozenset[str]], dict[str, int], int, list[Block]]:
    atoms = draw(st.lists(st.sampled_from(ATOMS), min_size=2, max_size=7, unique=True))
    people = {a: draw(st.integers(0, 6)) for a in atoms}
    groups = draw(
        st.lists(
            st.frozensets(st.sampled_from(atoms), min_size=1, max_size=len(atoms)),
            min_size=1,
            max_size=7,
        )
    )
    k = draw(st.integers(3, 6))
    blocks = []
    # A month atom made of the same unit's weeks, when both are in the family.
    for u in range(4):
        members = frozenset(a for a in atoms if f"|u{u}|" in a)
        if len(members) == 2 and draw(st.booleans()):
            busiest = max(people[a] for a in members)
            blocks.append(
                Block("month:2026-07-01", members, draw(st.integers(busiest, busiest + 4)))
            )
    return groups, people, k, blocks


@settings(max_examples=300, deadline=None)
@given(family=families())
def test_it_refuses_exactly_when_a_small_set_can_be_worked_out(family) -> None:
    groups, people, k, blocks = family
    *earlier, candidate = groups
    # The ledger only ever holds groups that passed: build it with the truth.
    released: list[frozenset[str]] = []
    for group in earlier:
        if not _exposed_sets([*released, group], people, k, blocks):
            released.append(group)
    verdict = check(candidate, released, people, k, blocks)
    truth = _exposed_sets([*released, candidate], people, k, blocks)
    assert not verdict.gave_up
    assert verdict.safe == (not truth), (truth, verdict)
    if not verdict.safe:
        assert verdict.exposed in truth


@settings(max_examples=300, deadline=None)
@given(family=families(), already=st.integers(0, 3))
def test_the_batch_decides_every_group_as_one_by_one_would(family, already) -> None:
    groups, people, k, blocks = family
    released: list[frozenset[str]] = []
    for group in groups[:already]:
        if not _exposed_sets([*released, group], people, k, blocks):
            released.append(group)
    candidates = groups[already:]
    # One by one: each group checked against the ledger and those let out before it.
    out = list(released)
    one_by_one = []
    for group in candidates:
        safe = check(group, out, people, k, blocks).safe
        one_by_one.append(safe)
        if safe:
            out.append(group)
    batch = Ledger(released, people, k, blocks).decide(candidates)
    assert batch == one_by_one
    # And what the batch let out, all together, exposes nobody.
    let_out = released + [g for g, ok in zip(candidates, batch, strict=True) if ok]
    assert ledger.Ledger([], people, k, blocks).verdict(let_out).safe == (
        not _exposed_sets(let_out, people, k, blocks)
    )


def test_it_refuses_all_minus_one() -> None:
    people = {ATOMS[0]: 4, ATOMS[1]: 1}
    verdict = check(frozenset(ATOMS[:1]), [frozenset(ATOMS[:2])], people, 5)
    assert not verdict.safe
    assert verdict.exposed in ({ATOMS[0]}, {ATOMS[1]})


def test_the_batch_refuses_the_group_that_completes_a_difference() -> None:
    big, one = ATOMS[0], ATOMS[1]
    people = {big: 9, one: 1}
    decisions = Ledger([], people, 5).decide(
        [frozenset({big, one}), frozenset({big}), frozenset({big, one, ATOMS[2]})]
    )
    # The whole is out first, so the part that would leave one person alone is refused.
    assert decisions[:2] == [True, False]


def test_it_fails_closed_when_the_search_is_too_long(monkeypatch) -> None:
    monkeypatch.setattr(ledger, "SEARCH_LIMIT", 0)
    people = {ATOMS[0]: 4, ATOMS[1]: 1}
    verdict = check(frozenset(ATOMS[:1]), [frozenset(ATOMS[:2])], people, 5)
    assert not verdict.safe
    assert verdict.gave_up
