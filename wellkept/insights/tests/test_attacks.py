"""The classic differencing attacks, run against disclosure control with a planted participant.

Each attack releases the groups an attacker would ask for, in the order
they would ask, then does the arithmetic on whatever was shown. The
attack fails if a figure it needs is hidden, or if what it computes is
more than one point away from the planted score. Run with ``-s`` to see
each attack and its outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from wellkept.insights.disclosure import Figure, Group, Releaser
from wellkept.insights.periods import Grain, period_of
from wellkept.insights.tests.builders import ANSWER_DAY, TODAY, WardWorld
from wellkept.orgs.models import Unit

pytestmark = pytest.mark.django_db

WEEK = period_of(Grain.WEEK, ANSWER_DAY)


def _units(unit: Unit) -> frozenset[str]:
    return frozenset(
        str(pk)
        for pk in Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)
    )


def group(name: str, **filters: object) -> Group:
    """A group a dashboard can ask for: at most one unit (with all below it), shift or role."""
    units = filters.pop("units", None)
    unit = units[0] if units else None  # type: ignore[index]
    return Group(
        "phq2",
        Grain.WEEK,
        WEEK,
        unit_path=unit.path if unit else None,
        unit_ids=_units(unit) if unit else None,
        **filters,  # type: ignore[arg-type]
    )


def attack(world: WardWorld, name: str, steps: Sequence[tuple[int, Group]]) -> tuple[bool, str]:
    """Release the groups one request at a time; combine the sums as the attacker would."""
    releaser = Releaser(world.h.organisation, today=TODAY)
    derived = 0.0
    for coefficient, wanted in steps:
        figure: Figure = releaser.release([wanted])[wanted.key]
        if not figure.shown:
            outcome = f"blocked: {wanted.key} hidden ({figure.hidden})"
            print(f"{name}: {outcome}")  # noqa: T201
            return False, outcome
        assert figure.mean is not None
        assert figure.people is not None
        derived += coefficient * figure.mean * figure.people
    recovered = abs(derived - world.planted_score) <= 1
    outcome = f"derived {derived:.2f} vs planted {world.planted_score}: " + (
        "RECOVERED" if recovered else "not recovered"
    )
    print(f"{name}: {outcome}")  # noqa: T201
    return recovered, outcome


def test_it_stops_all_minus_one(ward_world: WardWorld) -> None:
    recovered, outcome = attack(
        ward_world,
        "all minus one",
        [(+1, group("all")), (-1, group("nurses", role="nurse"))],
    )
    assert not recovered, outcome


def test_it_stops_unit_minus_shift(ward_world: WardWorld) -> None:
    w = ward_world
    recovered, outcome = attack(
        w,
        "unit minus shift",
        [
            (+1, group("medicine", units=[w.medicine])),
            (-1, group("medicine", units=[w.medicine], shift_id=str(w.h.day.pk))),
        ],
    )
    assert not recovered, outcome


def test_it_stops_a_plus_b_minus_union(ward_world: WardWorld) -> None:
    w = ward_world
    # A = Ward 7 + Night team, B = Intensive care + Night team, A u B = Medicine:
    # with one unit per filter, A + B - (A u B) comes down to Medicine - ICU - Ward 7.
    recovered, outcome = attack(
        w,
        "A + B - (A u B)",
        [
            (+1, group("medicine", units=[w.medicine])),
            (-1, group("icu", units=[w.h.icu])),
            (-1, group("ward", units=[w.h.ward])),
        ],
    )
    assert not recovered, outcome


def test_it_stops_all_minus_day_minus_rotating(ward_world: WardWorld) -> None:
    w = ward_world
    recovered, outcome = attack(
        w,
        "all - day - rotating",
        [
            (+1, group("all")),
            (-1, group("all", shift_id=str(w.h.day.pk))),
            (-1, group("all", shift_id=str(w.rotating.pk))),
        ],
    )
    assert not recovered, outcome


def test_it_still_shows_groups_that_single_nobody_out(ward_world: WardWorld) -> None:
    w = ward_world
    releaser = Releaser(w.h.organisation, today=TODAY)
    shown = releaser.release([group("all"), group("surgery", units=[w.surgery])])
    assert all(f.shown for f in shown.values())


def test_it_answers_a_repeated_question_with_the_same_figures(ward_world: WardWorld) -> None:
    first = Releaser(ward_world.h.organisation, today=TODAY).release([group("all")])
    again = Releaser(ward_world.h.organisation, today=TODAY).release([group("all")])
    assert first[group("all").key].as_json() == again[group("all").key].as_json()


def test_it_hides_a_small_group_without_saying_how_small(ward_world: WardWorld) -> None:
    w = ward_world
    figure = Releaser(w.h.organisation, today=TODAY).release(
        [group("night", units=[w.night_team])]
    )[group("night", units=[w.night_team]).key]
    assert not figure.shown
    assert figure.hidden == "small"
    assert figure.people is None
    assert figure.mean is None
    assert "1" not in figure.reason(5).replace("5", "")
