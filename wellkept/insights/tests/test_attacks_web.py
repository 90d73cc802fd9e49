"""The classic differencing attacks, run by a leader through the dashboard, its CSV and the API.

``test_attacks.py`` runs the attacks against the releaser itself; here the
attacker has only what a leader has: a signed-in browser session (the HTML
dashboard and its CSV export) or a bearer token for the API. Every figure
the attacker uses is read back out of the responses, exactly as shown.

The attacker knows the organisation chart (who works in which unit, on
which shift, in which role) and that the planted participant is the only
resident, the only night worker and the whole Night team. Each attack asks
for the filtered views it needs, then:

1. follows its recipe (for instance "whole organisation minus nurses"),
   using the released figures it needs, if they are shown;
2. also tries every linear combination of *everything* released during
   the attack, the best an attacker with a spreadsheet can do.

Means are rounded on screen, so each released sum (people x mean) is only
known to within an interval; scores are whole numbers, so the attacker
snaps a sum to the one whole number inside its interval when there is one.
The attack succeeds if an estimate lands within one point of the planted
score. Run with ``-s`` to see each attack, its channel, the figures it used
and its outcome.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import numpy as np
import pytest
from django.test import Client

from wellkept.actors import SystemActor
from wellkept.insights.api_tokens import api_token_create
from wellkept.insights.models import Release
from wellkept.insights.periods import Grain, label, period_of
from wellkept.insights.tests.builders import ANSWER_DAY, WardWorld, on_day

pytestmark = pytest.mark.django_db

ANSWER_WEEK = period_of(Grain.WEEK, ANSWER_DAY)
# The Monday after: the week has just closed, so the dashboard's latest
# period, and every breakdown table on it, is the week the planted score
# is in. That gives the attacker the most figures to combine.
VIEW_DAY = ANSWER_WEEK + dt.timedelta(weeks=1)
PULSE = {"instrument": "phq2", "grain": "week", "periods": "4"}
CHANNELS = ("page", "csv", "api")
SETUP = SystemActor("attack-tests")

# The attacker's picture of who answered that week, as the four groups of
# people who share a unit, shift type and role (see builders.WardWorld).
ATOMS = ("ward7", "icu", "theatre", "night")
PLANTED = "night"
EVERYONE = frozenset(ATOMS)
NURSES = frozenset({"ward7", "icu", "theatre"})
MEDICINE = frozenset({"ward7", "icu", "night"})
DAY_SHIFT = frozenset({"ward7", "icu"})


# -- what the test alone knows ------------------------------------------------


def true_scores() -> dict[str, list[int]]:
    """Each group's PHQ-2 totals, worked out as builders.ward_world answers them."""
    names = (
        [f"ward{i}" for i in range(7)]
        + [f"icu{i}" for i in range(6)]
        + [f"theatre{i}" for i in range(6)]
        + ["planted"]
    )
    scores: dict[str, list[int]] = {atom: [] for atom in ATOMS}
    for index, name in enumerate(sorted(names)):
        if name == "planted":
            scores["night"].append(6)
        else:
            atom = "ward7" if name.startswith("ward") else name.rstrip("0123456789")
            scores[atom].append(index % 3 + (index + 1) % 2)
    return scores


# -- what the attacker sees -------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """One released figure as read from a response: shown with its rounding, or hidden."""

    where: str
    members: frozenset[str]
    people: int | None = None
    mean: float | None = None
    # Half the last shown digit of the mean: the true mean is within this.
    rounding: float = 0.0
    reason: str = ""

    @property
    def shown(self) -> bool:
        return self.people is not None and self.mean is not None

    def sum_bounds(self) -> tuple[float, float]:
        assert self.people is not None
        assert self.mean is not None
        return (
            self.people * (self.mean - self.rounding),
            self.people * (self.mean + self.rounding),
        )

    def best_sum(self) -> float:
        """The group's total score: the single whole number the shown mean allows, if just one."""
        low, high = self.sum_bounds()
        whole = list(range(math.ceil(low - 1e-9), math.floor(high + 1e-9) + 1))
        if len(whole) == 1:
            return float(whole[0])
        assert self.people is not None
        assert self.mean is not None
        return self.people * self.mean

    def describe(self) -> str:
        if self.shown:
            return f"{self.where} ({self.people} people, mean {self.mean})"
        return f"{self.where} (hidden: {self.reason.split(':')[-1].strip()})"


@dataclass
class Board:
    """The answer week's figures from one response, in the attacker's terms."""

    figures: list[Seen] = field(default_factory=list)


@dataclass(frozen=True)
class Org:
    """The organisation chart as the attacker knows it: which atoms a filter covers."""

    units: Mapping[str, frozenset[str]]  # unit id -> atoms below it
    unit_names: Mapping[str, frozenset[str]]  # unit name -> atoms below it
    shifts: Mapping[str, frozenset[str]]  # shift code or name -> atoms
    roles: Mapping[str, frozenset[str]]  # role value or label -> atoms

    def members(self, filters: Mapping[str, str]) -> frozenset[str]:
        found = EVERYONE
        if "unit" in filters:
            found &= self.units[filters["unit"]]
        if "shift" in filters:
            found &= self.shifts[filters["shift"]]
        if "role" in filters:
            found &= self.roles[filters["role"]]
        return found


def org_chart(world: WardWorld) -> Org:
    h = world.h
    root = world.medicine.parent
    assert root is not None
    units = {
        str(root.pk): EVERYONE,
        str(world.medicine.pk): MEDICINE,
        str(world.surgery.pk): frozenset({"theatre"}),
        str(h.ward.pk): frozenset({"ward7"}),
        str(h.icu.pk): frozenset({"icu"}),
        str(world.theatre.pk): frozenset({"theatre"}),
        str(world.night_team.pk): frozenset({"night"}),
    }
    names = {
        "Medicine": MEDICINE,
        "Surgery": frozenset({"theatre"}),
        "Ward 7": frozenset({"ward7"}),
        "Intensive care": frozenset({"icu"}),
        "Theatre": frozenset({"theatre"}),
        "Night team": frozenset({"night"}),
    }
    shifts = {"day": DAY_SHIFT, "night": frozenset({"night"}), "rotating": frozenset({"theatre"})}
    shifts |= {"Day": DAY_SHIFT, "Night": frozenset({"night"}), "Rotating": frozenset({"theatre"})}
    roles: dict[str, frozenset[str]] = {"nurse": NURSES, "resident": frozenset({"night"})}
    roles |= {"Nurse": NURSES, "Resident": frozenset({"night"})}
    return Org(units=units, unit_names=names, shifts=shifts, roles=roles)


def _breakdown_members(org: Org, view: frozenset[str], section: str, row: str) -> frozenset[str]:
    table = {"unit": org.unit_names, "shift": org.shifts, "role": org.roles}[section]
    # A role nobody in the organisation has is an empty group.
    return view & table.get(row, frozenset())


# -- reading the three channels ----------------------------------------------------


class _Tables(HTMLParser):
    """Collect every table of a page: its caption, its labelling id and its rows of cells."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, Any]] = []
        self._cell: dict[str, Any] | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.tables.append({"id": found.get("aria-labelledby"), "caption": "", "rows": []})
        elif tag == "caption":
            self._in_caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]["rows"]:
            self._cell = {"tag": tag, "class": found.get("class") or "", "text": ""}
            self.tables[-1]["rows"][-1].append(self._cell)

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag in ("td", "th"):
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._in_caption:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell["text"] += data


def _page_figures(cells: list[dict[str, Any]]) -> list[tuple[int | None, float | None, str]]:
    """Read (people, mean, hidden reason) figures from a row's cells, left to right."""
    found: list[tuple[int | None, float | None, str]] = []
    rest = list(cells)
    while rest:
        cell = rest.pop(0)
        if "hidden-cell" in cell["class"]:
            # "<strong>hidden</strong> <reason>": the reason follows the word.
            words = cell["text"].split()
            assert words[:1] == ["hidden"], cell
            found.append((None, None, " ".join(words[1:])))
        elif "num" in cell["class"] and rest and "num" in rest[0]["class"]:
            mean_cell = rest.pop(0)
            mean_text = mean_cell["text"].split()
            found.append((int(cell["text"]), float(mean_text[0]), ""))
        else:
            break
    return found


@dataclass(frozen=True)
class Target:
    """The period holding the planted answer, at the grain a view is asked for."""

    grain: Grain

    @property
    def start(self) -> dt.date:
        return period_of(self.grain, ANSWER_DAY)

    @property
    def label(self) -> str:
        return label(self.grain, self.start)


WEEK = Target(Grain.WEEK)
MONTH = Target(Grain.MONTH)


def read_page(html: str, org: Org, view: frozenset[str], filtered: bool, target: Target) -> Board:
    parser = _Tables()
    parser.feed(html)
    board = Board()
    by_id = {t["id"]: t for t in parser.tables if t["id"]}
    (trend,) = [t for t in parser.tables if t["caption"].startswith("Mean score per period")]
    labels = [" ".join(row[0]["text"].split()) for row in trend["rows"][1:]]
    for row, period in zip(trend["rows"][1:], labels, strict=True):
        if period != target.label:
            continue
        figures = _page_figures(row[1:])
        places = [("trend, filtered view", view), ("trend, whole organisation", EVERYONE)]
        for (where, members), (people, mean, reason) in zip(
            places if filtered else places[1:], figures, strict=True
        ):
            board.figures.append(Seen(where, members, people, mean, 0.05, reason))
    if labels[-1] != target.label:
        # The breakdowns describe the latest period, which is another one.
        return board
    for section, table_id in (
        ("unit", "units-title"),
        ("shift", "shifts-title"),
        ("role", "roles-title"),
    ):
        table = by_id.get(table_id)
        for row in table["rows"][1:] if table else []:
            name = " ".join(row[0]["text"].split())
            ((people, mean, reason), *_) = _page_figures(row[1:])
            members = _breakdown_members(org, view, section, name)
            board.figures.append(Seen(f"by {section}: {name}", members, people, mean, 0.05, reason))
    return board


def read_csv(body: str, org: Org, view: frozenset[str], target: Target) -> Board:
    board = Board()
    rows = list(csv.reader(io.StringIO(body)))
    header = rows.index(next(r for r in rows if r[:1] == ["Section"]))
    sections = {"By unit": "unit", "By shift type": "shift", "By role": "role"}
    body_rows = rows[header + 1 :]
    # The figures table ends at the first blank line; the severity bands follow.
    end = next((i for i, r in enumerate(body_rows) if not r), len(body_rows))
    for section, group, period, people, _, mean, *rest in body_rows[:end]:
        if period != target.label:
            continue
        reason = rest[-1] if people == "hidden" else ""
        count = None if people == "hidden" else int(people)
        value = float(mean) if mean else None
        if section == "Trend":
            members = EVERYONE if group == "Whole organisation" else view
            where = f"trend, {group.lower()}"
        elif section == "Participation":
            members, where = view, "participation, this view"
        else:
            kind = sections[section]
            members = _breakdown_members(org, view, kind, group)
            where = f"by {kind}: {group}"
        board.figures.append(Seen(where, members, count, value, 0.05, reason))
    return board


def _api_seen(where: str, members: frozenset[str], figure: dict[str, Any]) -> Seen:
    if figure["hidden"]:
        return Seen(where, members, reason=figure["reason"])
    return Seen(where, members, figure["people"], figure["mean"], 0.005)


def read_api(body: dict[str, Any], org: Org, view: frozenset[str], target: Target) -> Board:
    board = Board()
    for point in body["trend"]:
        if point["period"] != target.start.isoformat():
            continue
        board.figures.append(_api_seen("trend, filtered view", view, point["figure"]))
        board.figures.append(_api_seen("trend, whole organisation", EVERYONE, point["overall"]))
    if body["trend"][-1]["period"] != target.start.isoformat():
        # The breakdowns describe the latest period, which is another one.
        return board
    if body["participation"] is not None:
        board.figures.append(
            _api_seen("participation, this view", view, body["participation"]["figure"])
        )
    for section, key in (("unit", "by_unit"), ("shift", "by_shift"), ("role", "by_role")):
        for row in body[key]:
            members = _breakdown_members(org, view, section, row["label"])
            board.figures.append(_api_seen(f"by {section}: {row['label']}", members, row["figure"]))
    return board


class Leader:
    """Lena, a leader, asking for dashboards through one channel on the day after the week."""

    def __init__(self, world: WardWorld, channel: str) -> None:
        self.world = world
        self.channel = channel
        self.org = org_chart(world)
        lena = world.h.people["lena"]
        if channel == "api":
            raw = api_token_create(actor=SETUP, user=lena, organisation=world.h.organisation).raw
            self.client = Client(headers={"Authorization": f"Bearer {raw}"})
        else:
            self.client = Client()
            self.client.force_login(lena)

    def get(self, filters: Mapping[str, str]) -> Any:
        url = {
            "page": "/team/insights/",
            "csv": "/team/insights/export.csv",
            "api": "/api/v1/insights/dashboard",
        }[self.channel]
        return self.client.get(url, {**PULSE, **filters})

    def ask(self, filters: Mapping[str, str]) -> Board:
        """Request a view and read back every figure it released about the planted answer."""
        response = self.get(filters)
        assert response.status_code == 200, response.content[:500]
        view = self.org.members(filters)
        target = Target(Grain(filters.get("grain", PULSE["grain"])))
        if self.channel == "page":
            filtered = any(key in filters for key in ("unit", "shift", "role"))
            return read_page(response.content.decode(), self.org, view, filtered, target)
        if self.channel == "csv":
            return read_csv(response.content.decode(), self.org, view, target)
        return read_api(response.json(), self.org, view, target)


# -- the attacker's arithmetic ------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    value: float | None
    used: list[Seen]
    note: str

    def recovers(self, planted: int) -> bool:
        return self.value is not None and abs(self.value - planted) <= 1


def by_recipe(seen: Sequence[Seen], recipe: Sequence[tuple[int, frozenset[str]]]) -> Estimate:
    """Follow the recipe: add and subtract the named groups' sums, if all are shown."""
    used: list[Seen] = []
    total = 0.0
    for coefficient, members in recipe:
        shown = [s for s in seen if s.members == members and s.shown]
        if not shown:
            hidden = [s for s in seen if s.members == members]
            assert hidden, f"no response carried the group {sorted(members)}: nothing to read"
            used.append(hidden[0])
            return Estimate(None, used, f"blocked: {hidden[0].where} is hidden")
        used.append(shown[0])
        total += coefficient * shown[0].best_sum()
    return Estimate(total, used, f"recipe gives {total:.2f}")


def from_everything(seen: Sequence[Seen]) -> Estimate:
    """The best linear estimate of the night atom from every shown figure, if one exists."""
    shown = [s for s in seen if s.shown and s.members]
    distinct: dict[frozenset[str], Seen] = {}
    for s in shown:
        distinct.setdefault(s.members, s)
    rows = list(distinct.values())
    if not rows:
        return Estimate(None, [], "nothing shown to combine")
    matrix = np.array([[1.0 if a in s.members else 0.0 for a in ATOMS] for s in rows])
    target = np.array([1.0 if a == PLANTED else 0.0 for a in ATOMS])
    # Coefficients c with c . rows == the planted atom's indicator, if any exist.
    coefficients, *_ = np.linalg.lstsq(matrix.T, target, rcond=None)
    if np.abs(matrix.T @ coefficients - target).max() > 1e-6:
        return Estimate(None, rows, f"cannot be computed from the {len(rows)} groups shown")
    value = float(sum(c * s.best_sum() for c, s in zip(coefficients, rows, strict=True)))
    used = [s for c, s in zip(coefficients, rows, strict=True) if abs(c) > 1e-9]
    return Estimate(value, used, f"combination of {len(used)} groups gives {value:.2f}")


def report(attack: str, channel: str, recipe: Estimate, everything: Estimate, planted: int) -> str:
    outcome = "RECOVERED" if recipe.recovers(planted) or everything.recovers(planted) else "safe"
    line = (
        f"attack: {attack} | channel: {channel} | figures used: "
        + "; ".join(s.describe() for s in recipe.used)
        + f" | outcome: {outcome}: {recipe.note}; from everything released: {everything.note}"
        + f" (planted {planted})"
    )
    print(line)  # noqa: T201
    return line


# -- the attacks ------------------------------------------------------------------


RECIPES: dict[str, tuple[tuple[int, frozenset[str]], ...]] = {
    "all minus one": ((+1, EVERYONE), (-1, NURSES)),
    "unit minus shift": ((+1, MEDICINE), (-1, DAY_SHIFT)),
    # A = Ward 7 + Night team, B = Intensive care + Night team, A u B =
    # Medicine. The filters take one unit at a time, so A and B are read
    # as Medicine minus their other half: A + B - (A u B) comes down to
    # Medicine - Intensive care - Ward 7.
    "A + B - (A u B)": ((+1, MEDICINE), (-1, frozenset({"icu"})), (-1, frozenset({"ward7"}))),
    "all - day - rotating": ((+1, EVERYONE), (-1, DAY_SHIFT), (-1, frozenset({"theatre"}))),
}


@dataclass(frozen=True)
class Attack:
    name: str
    # The views the attacker asks for, as dashboard filters (ids filled in later).
    views: tuple[tuple[tuple[str, str], ...], ...]
    recipe: tuple[tuple[int, frozenset[str]], ...]


def attacks(world: WardWorld) -> list[Attack]:
    """Each attack's views, as a leader would ask for them, in order."""
    h = world.h
    medicine = str(world.medicine.pk)
    views: dict[str, tuple[tuple[tuple[str, str], ...], ...]] = {
        "all minus one": ((), (("role", "nurse"),)),
        "unit minus shift": ((("unit", medicine),), (("unit", medicine), ("shift", "day"))),
        "A + B - (A u B)": (
            (("unit", medicine),),
            (("unit", str(h.ward.pk)),),
            (("unit", str(h.icu.pk)),),
        ),
        "all - day - rotating": ((), (("shift", "day"),), (("shift", "rotating"),)),
    }
    return [Attack(name, views[name], RECIPES[name]) for name in RECIPES]


@contextmanager
def the_day_after(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with on_day(monkeypatch, VIEW_DAY):
        yield


def run(leader: Leader, attack: Attack) -> tuple[Estimate, Estimate, list[Seen]]:
    seen: list[Seen] = []
    for view in attack.views:
        seen += leader.ask(dict(view)).figures
    return by_recipe(seen, attack.recipe), from_everything(seen), seen


def _check_reading(seen: Sequence[Seen], rounding: float) -> None:
    """The figures read back are the true ones: a parser that read nothing would prove nothing."""
    scores = true_scores()
    everyone = [s for s in seen if s.members == EVERYONE and s.shown]
    assert everyone, "the whole organisation's figure must be shown and read"
    total = sum(sum(v) for v in scores.values())
    people = sum(len(v) for v in scores.values())
    for s in everyone:
        assert s.people == people
        assert s.mean is not None
        assert abs(s.mean - total / people) <= rounding + 1e-9
    for s in seen:
        if not s.shown:
            assert s.reason.startswith("Hidden"), s
            assert not any(ch.isdigit() for ch in s.reason.replace("5", "")), s


ATTACK_NAMES = list(RECIPES)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_it_stops_the_attack(
    ward_world: WardWorld,
    staffed_hospital: Any,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    channel: str,
) -> None:
    (attack,) = [a for a in attacks(ward_world) if a.name == name]
    with the_day_after(monkeypatch):
        leader = Leader(ward_world, channel)
        recipe, everything, seen = run(leader, attack)
    _check_reading(seen, 0.005 if channel == "api" else 0.05)
    # The breakdown tables of the answer week were read too, not just the trend.
    assert any(s.where.startswith("by ") and s.shown for s in seen)
    line = report(name, channel, recipe, everything, ward_world.planted_score)
    assert not recipe.recovers(ward_world.planted_score), line
    assert not everything.recovers(ward_world.planted_score), line


# Once July has closed, its month and its weeks are both on show.
LATE_VIEW_DAY = dt.date(2026, 8, 3)
ACROSS_GRAINS = {
    "month first": ((("grain", "month"), ("periods", "1")), (("role", "nurse"),)),
    "week first": ((), (("grain", "month"), ("periods", "1"))),
}


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("order", list(ACROSS_GRAINS))
def test_it_stops_all_minus_one_across_grains(
    ward_world: WardWorld,
    staffed_hospital: Any,
    monkeypatch: pytest.MonkeyPatch,
    order: str,
    channel: str,
) -> None:
    """The week's total minus July's nurses: the month holds only that week's answers."""
    attack = Attack(
        f"all minus one, week against month ({order})",
        ACROSS_GRAINS[order],
        RECIPES["all minus one"],
    )
    with on_day(monkeypatch, LATE_VIEW_DAY):
        leader = Leader(ward_world, channel)
        recipe, everything, seen = run(leader, attack)
    _check_reading(seen, 0.005 if channel == "api" else 0.05)
    line = report(attack.name, channel, recipe, everything, ward_world.planted_score)
    assert not recipe.recovers(ward_world.planted_score), line
    assert not everything.recovers(ward_world.planted_score), line


def test_it_leaks_nothing_when_one_leader_runs_every_attack_on_every_channel(
    ward_world: WardWorld, staffed_hospital: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """All twelve attacks in one quarter: the ledger holds across channels and requests."""
    seen: list[Seen] = []
    with the_day_after(monkeypatch):
        for channel in CHANNELS:
            leader = Leader(ward_world, channel)
            for attack in attacks(ward_world):
                recipe, _, found = run(leader, attack)
                seen += found
                assert not recipe.recovers(ward_world.planted_score), recipe.note
    everything = from_everything(seen)
    shown = {s.members for s in seen if s.shown}
    print(  # noqa: T201
        f"attack: every attack, in turn | channel: page, csv, api | figures used: "
        f"{len(shown)} distinct groups shown | outcome: {everything.note}"
    )
    assert not everything.recovers(ward_world.planted_score), everything.note
    # Still useful: the organisation and its larger parts are on show.
    assert {EVERYONE, MEDICINE} <= shown


@pytest.mark.parametrize(("channel", "rounding"), [("page", 0.05), ("csv", 0.05), ("api", 0.005)])
@pytest.mark.parametrize("name", ATTACK_NAMES)
def test_the_attacker_would_recover_the_score_if_nothing_were_hidden(
    name: str, channel: str, rounding: float
) -> None:
    """The arithmetic works: fed every true figure at the channel's rounding, it finds the score."""
    scores = true_scores()
    planted = scores[PLANTED][0]
    seen = []
    for members in (EVERYONE, NURSES, MEDICINE, DAY_SHIFT, *(frozenset({a}) for a in NURSES)):
        values = [v for a in sorted(members) for v in scores[a]]
        mean = round(sum(values) / len(values), 1 if rounding == 0.05 else 2)
        seen.append(Seen("true", members, len(values), mean, rounding))
    assert not any(s.members == frozenset({PLANTED}) for s in seen)
    by_steps = by_recipe(seen, RECIPES[name])
    assert by_steps.recovers(planted), by_steps.note
    everything = from_everything(seen)
    assert everything.recovers(planted), everything.note


@pytest.mark.parametrize("channel", CHANNELS)
def test_it_refuses_filters_it_cannot_defend_with_a_clear_message(
    ward_world: WardWorld,
    staffed_hospital: Any,
    monkeypatch: pytest.MonkeyPatch,
    channel: str,
) -> None:
    """Shift and role together would cut groups down to one or two people: refused, not a 500."""
    before = Release.objects.count()
    with the_day_after(monkeypatch):
        leader = Leader(ward_world, channel)
        response = leader.get({"shift": "night", "role": "resident"})
    assert response.status_code == 400
    text = response.json()["detail"] if channel == "api" else response.content.decode()
    assert "Filter by a shift type or by a role category, not both at once." in text
    # Refused before anything was released: the ledger is untouched.
    assert Release.objects.count() == before
