"""Attacks on people, not cells: a leader with every channel and an integer solver.

One hospital is planted once for the module, through the real services
(joining, consenting, answering the weekly PHQ-2), with scores only the
test knows. Each attack asks for dashboards as a leader would, reads every
figure back out of the JSON API, the CSV and PDF downloads and the FHIR
MeasureReport, and hands everything released to the attacker's solver
(``attacker``): the planted scores and bands must not be recovered, nor
narrowed below the configured share of the range, and no hidden group may
be shown to be empty, or not.

The attacks run once, in the SQLite suite (``one_engine``): what they
test is what leaves through the channels and what the solver derives from
it, which no engine changes; the ledger's and releaser's own tests
(``test_attacks.py``, ``test_attacks_web.py``, ``test_release_service.py``)
run on both.

Emergency is built for the attack the issue describes: its day shift is
five nurses and one physician (A, PHQ-2 of 6), its nurses are those five
and one night nurse (B, 0). "Day shift" minus "nurses" is A - B = 6, which
on a 0-6 scale pins both.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.db import transaction
from django.test import Client, override_settings

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.assessments import services
from wellkept.assessments.models import Frequency, Programme, ProgrammeStatus, Schedule
from wellkept.consent.services import notice_publish
from wellkept.insights.api_tokens import api_token_create
from wellkept.insights.exports import PDF_WIDTHS
from wellkept.insights.models import ErasedAnswers, Release
from wellkept.insights.periods import Grain, period_of, weeks_in
from wellkept.insights.tests.attacker import (
    Recovered,
    Seen,
    csv_rows,
    pdf_columns,
    pinned_hidden_cells,
    solve_people,
)
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Clinician, Role, RoleCategory, Unit, UnitKind
from wellkept.vault.keyring import reset_keyring
from wellkept.vault.services import dek_cache

SETUP = SystemActor("people-attacks")
ANSWER_DAY = dt.date(2026, 7, 8)  # week of 6 July, the third quarter's first full week
EARLIER_DAY = dt.date(2026, 6, 24)  # week of 22 June: the second quarter
VIEW_DAY = dt.date(2026, 7, 13)  # the Monday after: both weeks closed
K = 5
SHARE = 0.5
PHQ2 = (0, 6)
BANDS = ((0, 2), (3, 6))
PULSE = {"instrument": "phq2", "grain": "week", "periods": "3"}
CHANNELS = ("api", "csv", "pdf", "fhir")


@dataclass(frozen=True)
class Person:
    name: str
    unit: str
    shift: str
    role: str
    scores: Mapping[dt.date, int]


def _people() -> list[Person]:
    week, earlier = period_of(Grain.WEEK, ANSWER_DAY), period_of(Grain.WEEK, EARLIER_DAY)
    found = []

    def add(prefix: str, unit: str, shift: str, role: str, scores: list[int], **more: int) -> None:
        for i, score in enumerate(scores):
            found.append(Person(f"{prefix}{i}", unit, shift, role, {week: score, **more}))

    add("ward", "Ward 7", "day", "nurse", [1, 2, 0, 3, 1, 2, 1])
    add("icu", "Intensive care", "night", "nurse", [2, 1, 4, 0, 2, 3])
    add("enurse", "Emergency", "day", "nurse", [1, 0, 2, 1, 3])
    add("ephys", "Emergency", "night", "physician", [2, 3, 1, 2, 4])
    add("pharm", "Pharmacy", "day", "allied_health", [2, 5])
    found.append(Person("A", "Emergency", "day", "physician", {week: 6}))
    found.append(Person("B", "Emergency", "night", "nurse", {week: 0}))
    # C answers, a figure about her is released, then she erases everything.
    found.append(Person("C", "Ward 7", "day", "nurse", {week: 5}))
    # D answered in both quarters: the week before the quarter turned, and after.
    found.append(Person("D", "Emergency", "day", "nurse", {earlier: 4, week: 1}))
    for i, score in enumerate([0, 2, 1, 3, 2]):
        found.append(Person(f"early{i}", "Ward 7", "day", "nurse", {earlier: score}))
    return found


PLANTED = ("A", "B", "C", "D")


@dataclass
class World:
    organisation: Any
    units: dict[str, Unit]
    shifts: dict[str, Any]
    people: list[Person]
    participants: dict[str, Any] = field(default_factory=dict)
    leader: Any = None


def _answer(user: Any, participant: Any, schedule: Any, score: int) -> None:
    checkin = services.checkin_start(actor=user, participant=participant, schedule=schedule)
    services.checkin_save_answers(
        actor=user,
        checkin=checkin,
        instrument_code="phq2",
        answers={"phq2_1": min(score, 3), "phq2_2": score - min(score, 3)},
    )
    services.checkin_submit(actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key)


@contextmanager
def on_day(day: dt.date) -> Iterator[None]:
    moment = dt.datetime(day.year, day.month, day.day, 12, tzinfo=dt.UTC)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(clock, "now", lambda: moment)
        yield


class _Rollback(Exception):
    pass


@pytest.fixture(scope="module")
def _module_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("planted")
    return {
        "WELLKEPT_KEYRING_FILE": folder / "keyring.json",
        "WELLKEPT_AUDIT_CHECKPOINT_FILE": folder / "checkpoints.jsonl",
        "WELLKEPT_TOMBSTONE_FILE": folder / "tombstones.jsonl",
        "WELLKEPT_SCHEDULER_STATE_FILE": folder / "scheduler.json",
        "WELLKEPT_BACKUP_KEY_FILE": folder / "backup.key",
    }


@pytest.fixture(autouse=True)
def _isolated_keyring(_module_files: dict[str, Path], settings: Any) -> Iterator[None]:
    """The module's one key file: the planted hospital's data keys are wrapped under it."""
    for name, value in _module_files.items():
        setattr(settings, name, value)
    settings.WELLKEPT_KEYRING_CREATE = True
    reset_keyring()
    dek_cache.clear()
    yield
    reset_keyring()
    dek_cache.clear()


@pytest.fixture(scope="module")
def world(
    django_db_setup: Any, django_db_blocker: Any, _module_files: dict[str, Path]
) -> Iterator[World]:
    """The planted hospital, built once for the module and rolled back after it."""
    with override_settings(WELLKEPT_KEYRING_CREATE=True, **_module_files):
        reset_keyring()
        with django_db_blocker.unblock():
            try:
                with transaction.atomic():
                    yield _build()
                    raise _Rollback
            except _Rollback:
                pass
        reset_keyring()


def _build() -> World:
    org = org_services.organisation_create(actor=SETUP, name="Planted General", slug="planted")
    root = org_services.unit_create(
        actor=SETUP, organisation=org, name="Planted General", kind=UnitKind.HOSPITAL
    )
    medicine = org_services.unit_create(
        actor=SETUP, organisation=org, name="Medicine", kind=UnitKind.DIVISION, parent=root
    )
    units = {"Medicine": medicine}
    for name in ("Ward 7", "Intensive care", "Emergency", "Pharmacy", "Research"):
        units[name] = org_services.unit_create(
            actor=SETUP, organisation=org, name=name, kind=UnitKind.UNIT, parent=medicine
        )
    shifts = {
        code: org_services.shift_type_create(
            actor=SETUP, organisation=org, code=code, name=code.title()
        )
        for code in ("day", "night")
    }
    programme = Programme.objects.create(
        organisation=org, name="Pulse", status=ProgrammeStatus.OPEN
    )
    programme.units.add(medicine)
    pulse = Schedule.objects.create(
        programme=programme, slug="pulse", name="Pulse", frequency=Frequency.WEEKLY,
        instruments=["phq2"], position=0,
    )  # fmt: skip
    notice = notice_publish(
        actor=SETUP, organisation=org, privacy_contact="privacy@planted.example"
    )
    world = World(org, units, shifts, _people())
    with on_day(EARLIER_DAY - dt.timedelta(days=7)):
        for person in world.people:
            user = User.objects.create_user(f"{person.name}@planted.example", None)
            Clinician.objects.create(user=user, organisation=org)
            world.participants[person.name] = (
                user,
                services.programme_join(
                    actor=user, organisation=org, notice=notice, unit=units[person.unit],
                    shift_type=shifts[person.shift], role_category=RoleCategory(person.role),
                    follow_up_contact=False, safety_alert=False,
                ),
            )  # fmt: skip
    for day in (EARLIER_DAY, ANSWER_DAY):
        with on_day(day):
            for person in world.people:
                score = person.scores.get(period_of(Grain.WEEK, day))
                if score is not None:
                    user, participant = world.participants[person.name]
                    _answer(user, participant, pulse, score)
    world.leader = User.objects.create_user("leader@planted.example", None)
    org_services.staff_membership_grant(
        actor=SETUP, user=world.leader, organisation=org, role=Role.LEADER
    )
    # Staff sign in with a second factor; the pages ask for one otherwise.
    TOTP.activate(world.leader, generate_totp_secret())
    return world


# -- what the attacker reads --------------------------------------------------------


class Reader:
    """A leader asking through one channel; every figure read back as a ``Seen``."""

    def __init__(self, world: World, channel: str, erased: frozenset[str] = frozenset()) -> None:
        self.world = world
        self.channel = channel
        # Groups released before an erasure still hold the erased answers.
        self.before: set[str] = set()
        self.erased = erased
        if channel in ("api", "fhir"):
            raw = api_token_create(
                actor=SETUP, user=world.leader, organisation=world.organisation
            ).raw
            self.client = Client(headers={"Authorization": f"Bearer {raw}"})
        else:
            self.client = Client()
            self.client.force_login(world.leader)

    # The groups a figure describes, in the attacker's terms.

    def _subtree(self, unit: Unit | None) -> set[str]:
        if unit is None:
            return set(self.world.units) | {"Planted General"}
        return {name for name, u in self.world.units.items() if u.path.startswith(unit.path)}

    def figure(
        self,
        what: str,
        period: dt.date,
        grain: Grain,
        filters: Mapping[str, str],
        values: Mapping[str, Any] | None,
        reason: str = "",
        rounding: float = 0.005,
        enrolment: bool = False,
    ) -> Seen:
        unit = self.world.units.get(filters["unit"]) if "unit" in filters else None
        units = self._subtree(unit)
        shifts = {filters["shift"]} if "shift" in filters else set(self.world.shifts)
        roles = {filters["role"]} if "role" in filters else set(RoleCategory.values)
        weeks = weeks_in(grain, period)
        key = _key(self.world, grain, period, unit, filters, enrolment=enrolment)
        if values is not None and values.get("bands") is not None:
            key += "|bands"
        keep_erased = key in self.before
        answers = frozenset(
            (p.name, w.isoformat())
            for p in self.world.people
            for w in weeks
            if w in p.scores and p.unit in units and p.shift in shifts and p.role in roles
            and (keep_erased or p.name not in self.erased)
        )  # fmt: skip
        tag = ["enrolled"] if enrolment else [w.isoformat() for w in weeks]
        cells = frozenset((u, s, r, w) for u in units for s in shifts for r in roles for w in tag)
        if values is None:
            # Whether the hidden group is in truth small: only the test knows.
            if enrolment:
                holds = {
                    p.name for p in self.world.people
                    if p.unit in units and p.shift in shifts and p.role in roles
                    and p.name not in self.erased
                }  # fmt: skip
            else:
                holds = {name for name, _ in answers}
            return Seen(
                self.channel, what, frozenset() if enrolment else answers, reason=reason,
                cells=cells, small=len(holds) < K,
            )  # fmt: skip
        return Seen(
            self.channel,
            what,
            frozenset() if enrolment else answers,
            people=values.get("people"),
            responses=values.get("responses", values.get("people")),
            mean=values.get("mean"),
            rounding=rounding,
            bands=values.get("bands"),
            cells=cells,
        )

    def ask(
        self, filters: Mapping[str, str], grain: Grain = Grain.WEEK, periods: int = 3
    ) -> list[Seen]:
        params: dict[str, str] = {**PULSE, "grain": grain.value, "periods": str(periods)}
        names = dict(filters)
        if "unit" in names:
            params["unit"] = str(self.world.units[names["unit"]].pk)
        for name in ("shift", "role"):
            if name in names:
                params[name] = names[name]
        url = {
            "api": "/api/v1/insights/dashboard",
            "fhir": "/api/v1/insights/measure-report",
            "csv": "/team/insights/export.csv",
            "pdf": "/team/insights/export.pdf",
        }[self.channel]
        response = self.client.get(url, params)
        assert response.status_code == 200, response.content[:300]
        read = getattr(self, f"_read_{self.channel}")
        seen: list[Seen] = read(response, names, grain, periods)
        assert seen, "a reader that reads nothing proves nothing"
        # Every answer of the whole organisation is read back exactly where shown.
        return seen

    def _latest(self, grain: Grain, periods: int) -> list[dt.date]:
        from wellkept.insights.periods import recent

        return recent(grain, periods, VIEW_DAY)

    def _breakdowns(self, names: Mapping[str, str]) -> dict[str, dict[str, dict[str, str]]]:
        """Label of each breakdown row -> the filters of its group."""
        unit = self.world.units.get(names["unit"]) if "unit" in names else None
        children = (
            [n for n, u in self.world.units.items() if u.parent_id == unit.pk]
            if unit is not None
            else ["Medicine"]
        )
        return {
            "unit": {c: {**names, "unit": c} for c in children},
            "shift": {s.title(): {**names, "shift": s} for s in self.world.shifts},
            "role": {label: {**names, "role": value} for value, label in RoleCategory.choices},
        }

    def _read_api(
        self, response: Any, names: Mapping[str, str], grain: Grain, periods: int
    ) -> list[Seen]:
        body = response.json()
        seen = []

        def value(fig: dict[str, Any]) -> dict[str, Any] | None:
            return None if fig["hidden"] else fig

        for point in body["trend"]:
            start = dt.date.fromisoformat(point["period"])
            seen.append(
                self.figure(
                    "trend view",
                    start,
                    grain,
                    names,
                    value(point["figure"]),
                    point["figure"].get("reason") or "",
                )
            )
            seen.append(
                self.figure(
                    "trend all",
                    start,
                    grain,
                    {},
                    value(point["overall"]),
                    point["overall"].get("reason") or "",
                )
            )
        latest = dt.date.fromisoformat(body["trend"][-1]["period"])
        rows = self._breakdowns(names)
        for section, key in (("unit", "by_unit"), ("shift", "by_shift"), ("role", "by_role")):
            for row in body[key]:
                filters = rows[section][row["label"]]
                seen.append(
                    self.figure(
                        f"{section} {row['label']}",
                        latest,
                        grain,
                        filters,
                        value(row["figure"]),
                        row["figure"].get("reason") or "",
                    )
                )
                if row.get("enrolled") is not None:
                    enrolled = row["enrolled"]
                    seen.append(
                        self.figure(
                            f"enrolled {row['label']}",
                            latest,
                            grain,
                            filters,
                            value(enrolled),
                            enrolled.get("reason") or "",
                            enrolment=True,
                        )
                    )
        if body["participation"] is not None:
            enrolled = body["participation"]["enrolled"]
            seen.append(
                self.figure(
                    "enrolled view",
                    latest,
                    grain,
                    names,
                    value(enrolled),
                    enrolled.get("reason") or "",
                    enrolment=True,
                )
            )
        if body["bands"]:
            counts = tuple(b["count"] for b in body["bands"])
            seen.append(self.figure("bands view", latest, grain, names, {"bands": counts}))
        return seen

    def _read_fhir(
        self, response: Any, names: Mapping[str, str], grain: Grain, periods: int
    ) -> list[Seen]:
        body = response.json()
        latest = dt.date.fromisoformat(body["period"]["start"])
        rows = self._breakdowns(names)
        by_unit_id = {str(u.pk): n for n, u in self.world.units.items()}
        seen = []
        for group in body["group"]:
            kind = group["code"]["coding"][0]["code"]
            label = group["code"]["text"]
            if kind == "organisation":
                filters: Mapping[str, str] = {}
            elif kind == "view":
                filters = names
            elif kind == "unit":
                filters = rows["unit"][by_unit_id[group["linkId"][5:]]]
            else:
                filters = rows[kind][label]
            if "population" in group:
                people = group["population"][0]["count"]
                mean = group.get("measureScoreQuantity", {}).get("value")
                seen.append(
                    self.figure(
                        f"{kind} {label}",
                        latest,
                        grain,
                        filters,
                        {"people": people, "responses": people, "mean": mean},
                    )
                )
            else:
                reason = group["extension"][0]["valueString"]
                seen.append(self.figure(f"{kind} {label}", latest, grain, filters, None, reason))
        return seen

    def _read_table(
        self, rows: list[list[str]], names: Mapping[str, str], grain: Grain, periods: int
    ) -> list[Seen]:
        from wellkept.insights.periods import label

        starts = {label(grain, s): s for s in self._latest(grain, periods)}
        latest = self._latest(grain, periods)[-1]
        breakdowns = self._breakdowns(names)
        sections = {"By unit": "unit", "By shift type": "shift", "By role": "role"}
        seen = []
        for row in rows:
            if len(row) < 10 or row[2] not in starts:
                continue
            section, group, period = row[0], row[1], starts[row[2]]
            if section == "Trend":
                filters: Mapping[str, str] = {} if group == "Whole organisation" else names
            elif section == "Participation":
                filters = names
            elif section in sections:
                filters = breakdowns[sections[section]][group]
            else:
                continue
            if row[3] == "hidden":
                seen.append(
                    self.figure(f"{section} {group}", period, grain, filters, None, row[-1])
                )
            else:
                values = {
                    "people": int(row[3]),
                    "responses": int(row[4]),
                    "mean": float(row[5]) if row[5] else None,
                }
                seen.append(
                    self.figure(f"{section} {group}", period, grain, filters, values, rounding=0.05)
                )
        del latest
        return seen

    def _read_csv(
        self, response: Any, names: Mapping[str, str], grain: Grain, periods: int
    ) -> list[Seen]:
        rows = csv_rows(response.content.decode())
        seen = self._read_table(rows, names, grain, periods)
        if ["Severity band", "Answers (each answer counts once)"] in rows:
            at = rows.index(["Severity band", "Answers (each answer counts once)"])
            counts = tuple(int(r[1]) for r in rows[at + 1 :] if len(r) == 2)
            latest = self._latest(grain, periods)[-1]
            seen.append(self.figure("bands view", latest, grain, names, {"bands": counts}))
        return seen

    def _read_pdf(
        self, response: Any, names: Mapping[str, str], grain: Grain, periods: int
    ) -> list[Seen]:
        lines = pdf_columns(response.content, PDF_WIDTHS)
        rows = [
            [line.get(i, "") for i in range(len(PDF_WIDTHS))]
            for line in lines
            if 0 in line and 2 in line
        ]
        return self._read_table(rows, names, grain, periods)


def _key(
    world: World,
    grain: Grain,
    period: dt.date,
    unit: Unit | None,
    filters: Mapping[str, str],
    *,
    enrolment: bool = False,
) -> str:
    shift = str(world.shifts[filters["shift"]].pk) if "shift" in filters else "*"
    role = filters.get("role", "*")
    if enrolment:
        family, grain_part, period_part = (
            "enrolment",
            "-",
            period_of(Grain.QUARTER, VIEW_DAY).isoformat(),
        )
    else:
        family, grain_part, period_part = "phq2", grain.value, period.isoformat()
    path = unit.path if unit is not None else "*"
    return f"{family}|{grain_part}|{period_part}|u:{path}|s:{shift}|r:{role}"


# The views a leader tries: every table crossed with the unit drill-down.
VIEWS: tuple[dict[str, str], ...] = (
    {},
    {"unit": "Medicine"},
    {"unit": "Emergency"},
    {"shift": "day"},
    {"role": "nurse"},
    {"unit": "Emergency", "shift": "day"},
    {"unit": "Emergency", "role": "nurse"},
    {"unit": "Emergency", "shift": "night"},
    {"unit": "Emergency", "role": "physician"},
    {"unit": "Pharmacy"},
    {"unit": "Research"},
)


def _targets(world: World) -> list[tuple[str, str]]:
    return [(p.name, w.isoformat()) for p in world.people if p.name in PLANTED for w in p.scores]


def _assert_nothing_recovered(world: World, seen: list[Seen]) -> dict[tuple[str, str], Recovered]:
    found = solve_people(seen, _targets(world), low=PHQ2[0], high=PHQ2[1], bands=BANDS)
    for target, recovered in found.items():
        assert not recovered.pinned(), (target, recovered)
        assert recovered.width() >= SHARE * (PHQ2[1] - PHQ2[0]), (target, recovered)
        assert len(recovered.bands) == 2, (target, recovered)
    pinned = pinned_hidden_cells(seen, K)
    assert pinned == [], pinned
    return found


def _report(name: str, seen: list[Seen], found: Mapping[tuple[str, str], Recovered]) -> None:
    shown = sum(s.shown for s in seen)
    ranges = "; ".join(f"{t[0]} {t[1]}: {r.low}-{r.high}" for t, r in sorted(found.items()))
    print(f"attack: {name} | figures read: {len(seen)}, shown {shown} | planted ranges: {ranges}")  # noqa: T201


# -- the attacks ----------------------------------------------------------------------


@pytest.mark.one_engine
@pytest.mark.django_db
@pytest.mark.parametrize("channel", CHANNELS)
def test_no_channel_gives_a_planted_score_away(world: World, channel: str) -> None:
    """Every view, read through one channel: the +/- shift/role/unit combinations, bounds, bands."""
    seen: list[Seen] = []
    with on_day(VIEW_DAY):
        reader = Reader(world, channel)
        for filters in VIEWS:
            seen += reader.ask(filters)
        seen += reader.ask({}, Grain.MONTH, 1)
        seen += reader.ask({"unit": "Emergency"}, Grain.QUARTER, 1)
    _check_reading(world, seen, channel)
    found = _assert_nothing_recovered(world, seen)
    _report(f"every view, {channel}", seen, found)


@pytest.mark.one_engine
@pytest.mark.django_db
def test_all_channels_together_give_nothing_away(world: World) -> None:
    """The ledger holds across channels: what one channel shows, the others cannot complete."""
    seen: list[Seen] = []
    with on_day(VIEW_DAY):
        for channel in CHANNELS:
            reader = Reader(world, channel)
            for filters in VIEWS:
                seen += reader.ask(filters)
    found = _assert_nothing_recovered(world, seen)
    _report("every view, every channel", seen, found)
    # Still useful: the organisation and its large parts are on show.
    assert any(s.shown and s.what == "trend all" for s in seen)


@pytest.mark.one_engine
@pytest.mark.django_db
def test_an_erasure_opens_no_difference(world: World) -> None:
    """Figures frozen with C in them, then new ones without her: her score stays unknown."""
    from wellkept.lifecycle.services import participant_erase

    seen: list[Seen] = []
    with on_day(VIEW_DAY):
        reader = Reader(world, "api")
        seen += reader.ask({"unit": "Medicine"})
        seen += reader.ask({})
        before = set(
            Release.objects.filter(organisation=world.organisation).values_list(
                "group_key", flat=True
            )
        )
        user, participant = world.participants["C"]
        participant_erase(actor=user, participant=participant)
        # Her answers stay in the auditor's equations of the figures released before.
        assert ErasedAnswers.objects.filter(organisation=world.organisation).exists()
        reader = Reader(world, "api", erased=frozenset({"C"}))
        reader.before = before
        for filters in VIEWS:
            seen += reader.ask(filters)
    found = _assert_nothing_recovered(world, seen)
    _report("erasure after release", seen, found)


@pytest.mark.one_engine
@pytest.mark.django_db
def test_the_quarter_turning_opens_no_difference(world: World) -> None:
    """D answered either side of the quarter's turn; weeks, months and quarters of both are read."""
    seen: list[Seen] = []
    with on_day(VIEW_DAY):
        reader = Reader(world, "api")
        for filters in ({}, {"unit": "Emergency"}, {"unit": "Ward 7"}, {"role": "nurse"}):
            seen += reader.ask(filters, Grain.WEEK, 3)
            seen += reader.ask(filters, Grain.MONTH, 2)
            seen += reader.ask(filters, Grain.QUARTER, 2)
    found = _assert_nothing_recovered(world, seen)
    _report("across the quarter's turn", seen, found)


def _check_reading(world: World, seen: list[Seen], channel: str) -> None:
    """The figures read back are the true ones: a parser that misread would prove nothing."""
    week = period_of(Grain.WEEK, ANSWER_DAY).isoformat()
    everyone = [
        s
        for s in seen
        if s.what in ("trend all", "Trend Whole organisation", "organisation Whole organisation")
        and s.shown
        and s.answers
        and {w for _, w in s.answers} == {week}
    ]
    assert everyone, f"{channel}: the whole organisation's answer week must be shown and read"
    truth = [
        p.scores[period_of(Grain.WEEK, ANSWER_DAY)]
        for p in world.people
        if period_of(Grain.WEEK, ANSWER_DAY) in p.scores
    ]
    for s in everyone:
        assert s.people == len(truth)
        assert s.mean is not None
        assert abs(s.mean - sum(truth) / len(truth)) <= s.rounding + 1e-9
    for s in seen:
        if not s.shown:
            assert s.reason.startswith("Hidden"), s
            assert not any(ch.isdigit() for ch in s.reason.replace(str(K), "")), s


def test_the_attacker_pins_a_and_b_if_the_two_tables_are_shown() -> None:
    """The solver works: Emergency's day shift and its nurses, both shown, pin A and B."""
    week = period_of(Grain.WEEK, ANSWER_DAY).isoformat()
    day = [("A", 6)] + [(f"enurse{i}", s) for i, s in enumerate([1, 0, 2, 1, 3])]
    nurses = [("B", 0)] + [(f"enurse{i}", s) for i, s in enumerate([1, 0, 2, 1, 3])]
    seen = [
        Seen("true", name, frozenset((n, week) for n, _ in group), people=6, responses=6,
             mean=round(sum(s for _, s in group) / 6, 2), rounding=0.005)
        for name, group in (("day", day), ("nurses", nurses))
    ]  # fmt: skip
    found = solve_people(seen, [("A", week), ("B", week)], low=0, high=6, bands=BANDS)
    assert found[("A", week)] == Recovered(6, 6, frozenset({1}))
    assert found[("B", week)] == Recovered(0, 0, frozenset({0}))


def test_the_attacker_finds_a_hidden_cell_pinned_to_zero() -> None:
    """The count solver works: a total and every row but an empty one pin the empty one."""
    cells = {name: frozenset({(name, "day", "nurse", "w")}) for name in ("a", "b", "c")}
    seen = [
        Seen("true", "total", frozenset(), people=10, responses=10,
             cells=cells["a"] | cells["b"] | cells["c"]),
        Seen("true", "a", frozenset(), people=5, responses=5, cells=cells["a"]),
        Seen("true", "b", frozenset(), people=5, responses=5, cells=cells["b"]),
        Seen("true", "c", frozenset(), reason="Hidden", cells=cells["c"], small=True),
    ]  # fmt: skip
    assert pinned_hidden_cells(seen, K) == ["true: c"]


def test_no_spread_or_second_moment_leaves() -> None:
    """No channel's schema or header carries a standard deviation, variance or sum of squares."""
    from wellkept.insights.api import FigureOut
    from wellkept.insights.disclosure import FIGURE_FIELDS
    from wellkept.insights.exports import HEADER

    words = {"sd", "variance", "sum_sq", "total_sq", "std"}
    assert not words & set(FigureOut.model_fields)
    assert not words & set(FIGURE_FIELDS)
    assert not {h.lower() for h in HEADER} & {"sd", "standard deviation", "variance"}
    assert json.dumps(sorted(FIGURE_FIELDS))
