"""Dashboards read cells, not responses: their cost must not grow with the data.

For each size N (responses in total, both instruments, over 52 weeks) the
benchmark builds, in the same SQLite database:

* an organisation of a fixed shape: one hospital, 4 divisions x 5
  departments (the 20 departments are where people work), 4 shift types,
  the 6 role categories, so 480 atoms whatever N is; 2 instruments (phq9,
  burnout1);
* N synthetic responses as numpy arrays (day, instrument, unit, shift,
  role, total, band), with realistic skew (departments of different sizes,
  fewer people on nights, more nurses than physicians). No Response rows
  are written: the encrypted cells (week, month and quarter, one row per
  instrument and period, exactly the rows ``store`` keeps) are computed
  from the arrays by exact grouped sums. People per week-atom equal its
  responses (one check-in per person and week); people per month or
  quarter atom are synthetic (at least the busiest week, at most the sum);
* the same N responses in a plain unencrypted table ``plain_response``
  (day as ISO text, instrument, unit, shift, role, total, band) with the
  indexes a naive app would add: (instrument, day), unit, shift, role.

* a ledger of L earlier releases (``--ledger``, default 0, 1,000 and
  10,000): groups other views would have released over the year (both
  instruments, every grain, the organisation, a division, a department, a
  shift type or a role category), chosen at random with a fixed seed and
  written directly (bulk inserts, their exact totals from the cells by
  the same sums the releaser keeps), not decided one by one by the
  auditor: writing 10,000 through it would take longer than the
  measurement. Groups of fewer than k people are written as hidden.

Measured, median of several runs:

(a) the dashboard service's work (``selectors.dashboard_plan``, then each
    batch released in one transaction, as ``services.dashboard_release``
    does after the policy decision) for the default month view (12 closed months, the
    organisation overall, by division, by shift, by role, bands,
    participation): first view with the view's own releases removed before
    each run (the earlier ledger stays: every new group is checked by k
    and the auditor against it, and written), and repeated view (every
    group answered from the ledger);
(b) the same figures by plain GROUP BY over ``plain_response``: trend by
    month (count, mean, sum of squares), by division (joined to a unit
    table), by shift, by role, and bands of the latest month.
(c) the first view after the daily job: the ledger back to the earlier
    releases, then ``services.insights_release_standard_views`` as the
    scheduler runs it (every scheduled questionnaire and grain, the
    organisation-wide views, then with ``--job-units`` each division's;
    timed once), then the same month view, now a repeat view.

Wall-clock and CPU time of this process are both printed: on a shared
machine the wall clock also counts time spent waiting for a CPU.

What every row measures, including 10 million: the dashboard code path of
production (``dashboard_plan`` and the releases of ``dashboard_release``:
cells decrypted, disclosure control, the ledger read and written; not the
policy decision and its audit entry) over cells holding exactly the sums of N
responses. What it does not measure: writing N encrypted responses and
keeping cells up to date as they arrive (``bench_checkin`` measures the
write path), nor ``wellkept insights rebuild``.

    .venv/bin/python bench/bench_insights.py [--sizes 1000000] [--ledger 0,1000,10000]
    .venv/bin/python bench/run.py bench_insights      (WELLKEPT_BENCH_INSIGHTS_SIZES=...)

It uses a temporary database (never var/wellkept.sqlite3). 10 million
responses take a few minutes to insert into the plain table and about
1 GB of disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_SIZES = (1_000_000,)
DEFAULT_LEDGERS = (0, 1_000, 10_000)
TODAY = dt.date(2026, 1, 14)  # a Wednesday: December 2025 is the latest closed month
WEEKS = 52
DIVISIONS = 4
DEPARTMENTS = 5
SHIFTS = (("day", "Day"), ("night", "Night"), ("evening", "Evening"), ("rotating", "Rotating"))
SHIFT_WEIGHTS = (0.45, 0.2, 0.2, 0.15)
ROLE_WEIGHTS = (0.12, 0.45, 0.1, 0.08, 0.18, 0.07)  # the order of RoleCategory
INSTRUMENTS = ("phq9", "burnout1")
RUNS = 7
INSERT_BATCH = 200_000


# --- the organisation ------------------------------------------------------------


def _organisation(size: int) -> tuple[Any, list[Any], list[Any]]:
    from wellkept.assessments.models import Frequency, Programme, Schedule
    from wellkept.insights.models import InsightsSettings
    from wellkept.orgs.models import Organisation, ShiftType, Unit, UnitKind

    org = Organisation.objects.create(name=f"Bench {size}", slug=f"bench-insights-{size}")
    InsightsSettings.objects.create(organisation=org)
    # The daily job releases the questionnaires the programmes schedule. No
    # unit is chosen: the auditor's universe stays the units the cells name.
    programme = Programme.objects.create(organisation=org, name="Bench programme")
    Schedule.objects.create(
        programme=programme,
        slug="pulse",
        name="Weekly pulse",
        frequency=Frequency.WEEKLY,
        instruments=list(INSTRUMENTS),
    )
    root = Unit.objects.create(
        organisation=org, kind=UnitKind.HOSPITAL, name="Hospital", slug="h", path="h/"
    )
    departments = []
    for d in range(DIVISIONS):
        division = Unit.objects.create(
            organisation=org,
            parent=root,
            kind=UnitKind.DIVISION,
            name=f"Division {d + 1}",
            slug=f"d{d}",
            path=f"h/d{d}/",
        )
        for p in range(DEPARTMENTS):
            departments.append(
                Unit.objects.create(
                    organisation=org,
                    parent=division,
                    kind=UnitKind.DEPARTMENT,
                    name=f"Department {d + 1}.{p + 1}",
                    slug=f"p{p}",
                    path=f"h/d{d}/p{p}/",
                )
            )
    shifts = [
        ShiftType.objects.create(organisation=org, code=code, name=name) for code, name in SHIFTS
    ]
    return org, departments, shifts


# --- synthetic responses -----------------------------------------------------------


def _responses(size: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """N responses as arrays; indices into weeks, instruments, departments, shifts, roles."""
    from wellkept.assessments.instruments import instruments
    from wellkept.orgs.models import RoleCategory

    catalogue = instruments()
    dept_weights = rng.uniform(0.3, 1.7, DIVISIONS * DEPARTMENTS)
    dept_weights /= dept_weights.sum()
    out: dict[str, np.ndarray] = {
        "week": rng.integers(0, WEEKS, size, dtype=np.int16),
        "instrument": rng.integers(0, len(INSTRUMENTS), size, dtype=np.int8),
        "unit": rng.choice(len(dept_weights), size, p=dept_weights).astype(np.int8),
        "shift": rng.choice(len(SHIFTS), size, p=SHIFT_WEIGHTS).astype(np.int8),
        "role": rng.choice(len(RoleCategory.values), size, p=ROLE_WEIGHTS).astype(np.int8),
        "weekday": rng.integers(0, 7, size, dtype=np.int8),
    }
    total = np.empty(size, dtype=np.int16)
    band = np.empty(size, dtype=np.int8)
    for i, code in enumerate(INSTRUMENTS):
        inst = catalogue[code]
        mask = out["instrument"] == i
        low, high = inst.minimum, inst.maximum
        # A right-skewed score, as in a working population.
        scores = np.clip(np.rint(rng.gamma(2.0, (high - low) / 6, mask.sum()) + low), low, high)
        total[mask] = scores
        edges = np.array([b.maximum for b in inst.bands])
        band[mask] = np.searchsorted(edges, scores, side="left")
    out["total"], out["band"] = total, band
    return out


def _week_starts() -> list[dt.date]:
    from wellkept.insights.periods import week_of

    last = week_of(TODAY) - dt.timedelta(weeks=1)
    return [last - dt.timedelta(weeks=WEEKS - 1 - w) for w in range(WEEKS)]


def _cells(org: Any, data: dict[str, np.ndarray], departments: list[Any], shifts: list[Any]) -> int:
    """Compute the week, month and quarter cells by exact grouped sums; write them encrypted."""
    from wellkept.assessments.instruments import instruments
    from wellkept.insights.models import Cell, EnrolmentCell
    from wellkept.insights.periods import GRAINS, Grain, period_of
    from wellkept.insights.store import atom_of
    from wellkept.orgs.models import RoleCategory

    catalogue = instruments()
    roles = RoleCategory.values
    n_units, n_shifts, n_roles = len(departments), len(shifts), len(roles)
    n_atoms = n_units * n_shifts * n_roles
    atom_names = [
        atom_of(departments[u].pk, shifts[s].pk, roles[r])
        for u in range(n_units)
        for s in range(n_shifts)
        for r in range(n_roles)
    ]
    atom_index = (data["unit"].astype(np.int32) * n_shifts + data["shift"]) * n_roles + data["role"]
    weeks = _week_starts()
    rows: list[Cell] = []
    for i, code in enumerate(INSTRUMENTS):
        bands = [b.code for b in catalogue[code].bands]
        mask = data["instrument"] == i
        slot = data["week"][mask].astype(np.int64) * n_atoms + atom_index[mask]
        total = data["total"][mask].astype(np.int64)
        shape = WEEKS * n_atoms
        count = np.bincount(slot, minlength=shape).reshape(WEEKS, n_atoms)
        sums = np.bincount(slot, weights=total, minlength=shape).reshape(WEEKS, n_atoms)
        sumsq = np.bincount(slot, weights=total * total, minlength=shape).reshape(WEEKS, n_atoms)
        per_band = np.stack(
            [
                np.bincount(slot[data["band"][mask] == b], minlength=shape).reshape(WEEKS, n_atoms)
                for b in range(len(bands))
            ]
        )
        for grain in GRAINS:
            periods: dict[dt.date, list[int]] = {}
            for w, monday in enumerate(weeks):
                periods.setdefault(period_of(grain, monday), []).append(w)
            for start, members in periods.items():
                atoms: dict[str, list[Any]] = {}
                c = count[members].sum(axis=0)
                busiest = count[members].max(axis=0)
                s, sq = sums[members].sum(axis=0), sumsq[members].sum(axis=0)
                b = per_band[:, members].sum(axis=1)
                for a in np.flatnonzero(c):
                    # One check-in per person and week: a week's people are its
                    # responses; a month's or quarter's are somewhere between its
                    # busiest week and the sum (synthetic: 60% of the sum).
                    people = (
                        int(c[a])
                        if grain == Grain.WEEK
                        else max(int(busiest[a]), math.ceil(0.6 * int(c[a])))
                    )
                    atoms[atom_names[a]] = [
                        int(c[a]),
                        people,
                        int(c[a]),
                        int(s[a]),
                        int(sq[a]),
                        {bands[j]: int(b[j, a]) for j in range(len(bands)) if b[j, a]},
                    ]
                cell = Cell(
                    organisation=org, instrument=code, grain=grain.value, period_start=start
                )
                cell.payload = json.dumps(atoms, sort_keys=True, separators=(",", ":"))
                rows.append(cell)
    Cell.objects.bulk_create(rows, batch_size=100)
    # Enrolment: everyone who answered in the busiest week, plus a quarter more.
    week_people = np.bincount(
        data["week"].astype(np.int64) * n_atoms + atom_index, minlength=WEEKS * n_atoms
    ).reshape(WEEKS, n_atoms)
    enrolled = {
        atom_names[a]: math.ceil(1.25 * int(v)) for a, v in enumerate(week_people.max(axis=0)) if v
    }
    enrolment = EnrolmentCell(organisation=org)
    enrolment.payload = json.dumps(enrolled, sort_keys=True, separators=(",", ":"))
    enrolment.save(force_insert=True)
    return len(rows)


# --- the plain table ---------------------------------------------------------------


def _plain_table(
    cursor: Any, data: dict[str, np.ndarray], departments: list[Any], shifts: list[Any]
) -> None:
    from wellkept.orgs.models import RoleCategory

    cursor.execute("DROP TABLE IF EXISTS plain_response")
    cursor.execute("DROP TABLE IF EXISTS plain_unit")
    cursor.execute(
        "CREATE TABLE plain_response (id INTEGER PRIMARY KEY, day TEXT NOT NULL, "
        "instrument TEXT NOT NULL, unit TEXT NOT NULL, shift TEXT NOT NULL, "
        "role TEXT NOT NULL, total INTEGER, band TEXT)"
    )
    cursor.execute("CREATE TABLE plain_unit (id TEXT PRIMARY KEY, division TEXT NOT NULL)")
    cursor.executemany(
        "INSERT INTO plain_unit VALUES (?, ?)",
        [(str(u.pk), u.path.split("/")[1]) for u in departments],
    )
    from wellkept.assessments.instruments import instruments

    catalogue = instruments()
    band_names = [[b.code for b in catalogue[c].bands] for c in INSTRUMENTS]
    weeks = _week_starts()
    days = np.array(
        [[(w + dt.timedelta(days=d)).isoformat() for d in range(7)] for w in weeks], dtype=object
    )
    units = np.array([str(u.pk) for u in departments], dtype=object)
    shift_ids = np.array([str(s.pk) for s in shifts], dtype=object)
    roles = np.array(RoleCategory.values, dtype=object)
    codes = np.array(INSTRUMENTS, dtype=object)
    size = len(data["week"])
    for lo in range(0, size, INSERT_BATCH):
        hi = min(size, lo + INSERT_BATCH)
        inst = data["instrument"][lo:hi]
        band = np.array(
            [
                band_names[i][b]
                for i, b in zip(inst.tolist(), data["band"][lo:hi].tolist(), strict=True)
            ],
            dtype=object,
        )
        cursor.executemany(
            "INSERT INTO plain_response (day, instrument, unit, shift, role, total, band) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            zip(
                days[data["week"][lo:hi], data["weekday"][lo:hi]].tolist(),
                codes[inst].tolist(),
                units[data["unit"][lo:hi]].tolist(),
                shift_ids[data["shift"][lo:hi]].tolist(),
                roles[data["role"][lo:hi]].tolist(),
                data["total"][lo:hi].tolist(),
                band.tolist(),
                strict=True,
            ),
        )
    cursor.execute("CREATE INDEX plain_instrument_day ON plain_response (instrument, day)")
    cursor.execute("CREATE INDEX plain_unit_idx ON plain_response (unit)")
    cursor.execute("CREATE INDEX plain_shift_idx ON plain_response (shift)")
    cursor.execute("CREATE INDEX plain_role_idx ON plain_response (role)")
    cursor.execute("ANALYZE")


def _plain_dashboard(cursor: Any, code: str, first: dt.date, last_start: dt.date) -> int:
    """The dashboard's figures by plain GROUP BY; returns the rows read back."""
    from wellkept.insights.periods import Grain, last_day, weeks_in

    lo = weeks_in(Grain.MONTH, first)[0].isoformat()
    hi = last_day(Grain.MONTH, last_start).isoformat()
    latest_lo = weeks_in(Grain.MONTH, last_start)[0].isoformat()
    queries = [
        # Trend by calendar month, as a naive app would cut it.
        "SELECT substr(day, 1, 7) AS m, count(*), avg(total), sum(total * total) "
        "FROM plain_response WHERE instrument = ? AND day BETWEEN ? AND ? GROUP BY m",
        "SELECT u.division, count(*), avg(total), sum(total * total) "
        "FROM plain_response r JOIN plain_unit u ON u.id = r.unit "
        "WHERE instrument = ? AND day BETWEEN ? AND ? GROUP BY u.division",
        "SELECT shift, count(*), avg(total), sum(total * total) "
        "FROM plain_response WHERE instrument = ? AND day BETWEEN ? AND ? GROUP BY shift",
        "SELECT role, count(*), avg(total), sum(total * total) "
        "FROM plain_response WHERE instrument = ? AND day BETWEEN ? AND ? GROUP BY role",
        "SELECT band, count(*) "
        "FROM plain_response WHERE instrument = ? AND day BETWEEN ? AND ? GROUP BY band",
    ]
    ranges = [(lo, hi)] + [(latest_lo, hi)] * 4
    rows = 0
    for sql, (a, b) in zip(queries, ranges, strict=True):
        rows += len(cursor.execute(sql, (code, a, b)).fetchall())
    return rows


# --- measuring ---------------------------------------------------------------------


def _median_ms(fn: Any, runs: int, before: Any = None) -> tuple[float, float, Any]:
    """Median wall-clock and CPU milliseconds of ``fn``; CPU time tells a busy machine apart."""
    times, cpu, result = [], [], None
    for _ in range(runs):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append((time.perf_counter() - start) * 1e3)
        cpu.append((time.process_time() - start_cpu) * 1e3)
    return statistics.median(times), statistics.median(cpu), result


def _earlier_releases(org: Any, count: int, rng: np.random.Generator) -> int:
    """Write ``count`` releases other views would have made; return the last id written."""
    from wellkept.insights.disclosure import Group, Releaser
    from wellkept.insights.models import Release
    from wellkept.insights.periods import GRAINS, Grain, period_of
    from wellkept.orgs.models import RoleCategory, ShiftType, Unit

    if count == 0:
        return 0
    releaser = Releaser(org, today=TODAY)
    units = list(Unit.objects.filter(organisation=org).exclude(parent__isnull=True))
    shift_ids = [
        str(pk) for pk in ShiftType.objects.filter(organisation=org).values_list("pk", flat=True)
    ]
    starts = {
        grain: sorted({period_of(grain, w) for w in _week_starts()} - {period_of(grain, TODAY)})
        for grain in GRAINS
    }
    keys: set[str] = set()
    rows = []
    while len(rows) < count:
        family = INSTRUMENTS[int(rng.integers(len(INSTRUMENTS)))]
        grain = GRAINS[int(rng.integers(len(GRAINS)))]
        start = starts[grain][int(rng.integers(len(starts[grain])))]
        unit = units[int(rng.integers(len(units)))] if rng.random() < 0.6 else None
        split = rng.random()
        shift = shift_ids[int(rng.integers(len(shift_ids)))] if split < 0.3 else None
        role = RoleCategory.values[int(rng.integers(6))] if 0.3 <= split < 0.6 else None
        group = Group(
            family, grain, start,
            unit_path=unit.path if unit else None,
            unit_ids=releaser.subtree(unit.path) if unit else None,
            shift_id=shift, role=role,
        )  # fmt: skip
        if group.key in keys:
            continue
        keys.add(group.key)
        raw = releaser.raw(group)
        shown = raw.people >= releaser.k
        rows.append(
            Release(
                organisation=org,
                family=family,
                quarter=releaser._quarter(group),
                group_key=group.key,
                figures={"people": raw.people, "responses": raw.responses,
                         "mean": round(raw.total / raw.scored, 2) if raw.scored else None}
                if shown else None,
                exact=releaser._exact_totals(group, raw) if shown else None,
                suppressed_reason="" if shown else "small",
            )
        )  # fmt: skip
    Release.objects.bulk_create(rows, batch_size=1000)
    del Grain
    return int(
        Release.objects.filter(organisation=org).order_by("-id").values_list("id", flat=True)[0]
    )


def _one_size(
    size: int, runs: int, ledgers: tuple[int, ...], job_units: bool = False
) -> list[dict[str, Any]]:
    from django.db import connection, transaction

    from wellkept.insights import periods, selectors
    from wellkept.insights.models import Release
    from wellkept.insights.periods import Grain
    from wellkept.insights.services import insights_release_standard_views

    rng = np.random.default_rng(size)
    org, departments, shifts = _organisation(size)
    t0 = time.perf_counter()
    data = _responses(size, rng)
    cells = _cells(org, data, departments, shifts)
    cells_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw = connection.connection  # the sqlite3 connection Django opened
    cursor = raw.cursor()
    cursor.execute("BEGIN")
    _plain_table(cursor, data, departments, shifts)
    cursor.execute("COMMIT")
    plain_s = time.perf_counter() - t0
    del data

    query = selectors.Query(instrument=INSTRUMENTS[0], grain=Grain.MONTH, count=12)
    starts = periods.recent(Grain.MONTH, 12, TODAY)

    def view() -> Any:
        # dashboard_release without the policy decision: the bench has no viewer.
        plan = selectors.dashboard_plan(org, query, today=TODAY)
        released: dict[str, Any] = {}
        with transaction.atomic():
            for batch in plan.batches:
                released.update(plan.releaser.release(batch))
        return plan.assemble(released)

    results = []
    written = 0
    for ledger in sorted(ledgers):
        t0 = time.perf_counter()
        Release.objects.filter(organisation=org).delete()
        last = _earlier_releases(org, ledger, np.random.default_rng(ledger + 1))
        ledger_s = time.perf_counter() - t0
        written = ledger

        def forget(last: int = last) -> None:
            Release.objects.filter(organisation=org, id__gt=last).delete()

        first_ms, first_cpu, board = _median_ms(view, runs, before=forget)
        view()  # the ledger now holds this view's answers
        repeat_ms, repeat_cpu, again = _median_ms(view, runs)
        assert [f.as_json() for f in board.figures()] == [f.as_json() for f in again.figures()]
        shown = sum(f.shown for f in board.figures())
        plain_ms, plain_cpu, _ = _median_ms(
            lambda: _plain_dashboard(cursor, INSTRUMENTS[0], starts[0], starts[-1]),
            max(3, runs // 2),
        )
        # The daily job first, then the leader: a first view become a repeat view.
        forget()
        job: dict[str, float] = {}
        for part, units in (("job_org", False), ("job_units", True)):
            if units and not job_units:
                job.update({part: 0.0, f"{part}_cpu": 0.0, f"{part}_views": 0})
                continue
            start, start_cpu = time.perf_counter(), time.process_time()
            done = insights_release_standard_views(today=TODAY, units=units)
            job[part] = (time.perf_counter() - start) * 1e3
            job[f"{part}_cpu"] = (time.process_time() - start_cpu) * 1e3
            job[f"{part}_views"] = done.views
        after_ms, after_cpu, after = _median_ms(view, runs)
        # The job asked first what the leader would have: the same figures, shown or hidden.
        assert [f.as_json() for f in board.figures()] == [f.as_json() for f in after.figures()]
        assert [f.hidden for f in board.figures()] == [f.hidden for f in after.figures()]
        results.append(
            {
                "size": size,
                "ledger": written,
                "cells": cells,
                "first": first_ms,
                "repeat": repeat_ms,
                "plain": plain_ms,
                "first_cpu": first_cpu,
                "repeat_cpu": repeat_cpu,
                "plain_cpu": plain_cpu,
                **job,
                "after": after_ms,
                "after_cpu": after_cpu,
                "shown": shown,
                "figures": len(board.figures()),
                "cells_s": cells_s,
                "plain_s": plain_s,
                "ledger_s": ledger_s,
            }
        )
    cursor.execute("DROP TABLE plain_response")
    cursor.execute("DROP TABLE plain_unit")
    cursor.close()
    return results


def run(
    sizes: tuple[int, ...] | None = None,
    ledgers: tuple[int, ...] | None = None,
    runs: int = RUNS,
    job_units: bool = False,
) -> None:
    if sizes is None:
        raw = os.environ.get("WELLKEPT_BENCH_INSIGHTS_SIZES", "")
        sizes = tuple(int(s) for s in raw.split(",") if s) or DEFAULT_SIZES
    if ledgers is None:
        raw = os.environ.get("WELLKEPT_BENCH_INSIGHTS_LEDGERS", "")
        ledgers = tuple(int(s) for s in raw.split(",") if s) or DEFAULT_LEDGERS
    print(
        f"insights dashboard: phq9 month view (12 months, overall, {DIVISIONS} divisions, "
        f"{len(SHIFTS)} shifts, 6 roles, bands, participation), SQLite; median of {runs} runs"
    )
    print(
        f"  organisation: {DIVISIONS} divisions x {DEPARTMENTS} departments, {len(SHIFTS)} shifts, "
        f"6 roles, {WEEKS} weeks, {len(INSTRUMENTS)} instruments; cells computed in memory from "
        "synthetic responses by exact grouped sums (no Response rows), stored encrypted"
    )
    print(f"  load average at start: {_load()}")
    header = (
        f"  {'responses':>12} {'ledger':>7} {'first view ms':>14} {'repeat ms':>10} "
        f"{'plain GROUP BY ms':>18} {'plain / first':>14} {'plain / repeat':>15}"
    )
    print(header)
    results = []
    for size in sizes:
        for r in _one_size(size, runs, ledgers, job_units):
            results.append(r)
            print(
                f"  {r['size']:>12,} {r['ledger']:>7,} {r['first']:>14.1f} {r['repeat']:>10.1f} "
                f"{r['plain']:>18.1f} {r['plain'] / r['first']:>13.2f}x "
                f"{r['plain'] / r['repeat']:>14.1f}x",
                flush=True,
            )
    print("  the same in CPU time of this process (ms), less sensitive to a shared machine:")
    for r in results:
        print(
            f"  {r['size']:>12,} {r['ledger']:>7,} first {r['first_cpu']:>8.1f} repeat "
            f"{r['repeat_cpu']:>7.1f} plain {r['plain_cpu']:>9.1f} plain / first "
            f"{r['plain_cpu'] / r['first_cpu']:>6.2f}x plain / repeat "
            f"{r['plain_cpu'] / r['repeat_cpu']:>7.1f}x"
        )
    print("  the daily job over the earlier releases, then the same view (ms, CPU in brackets):")
    for r in results:
        job_cpu = r["job_org_cpu"] + r["job_units_cpu"]
        print(
            f"  {r['size']:>12,} {r['ledger']:>7,} job: {r['job_org_views']} organisation-wide "
            f"views {r['job_org']:,.0f} ({r['job_org_cpu']:,.0f}), {r['job_units_views']} "
            f"division views {r['job_units']:,.0f} ({r['job_units_cpu']:,.0f}); view after "
            f"the job {r['after']:.1f} ({r['after_cpu']:.1f}); in CPU, first / after "
            f"{r['first_cpu'] / r['after_cpu']:,.0f}x, job / first {job_cpu / r['first_cpu']:.1f}x"
        )
    for r in results:
        print(
            f"  {r['size']:>12,} {r['ledger']:>7,}: {r['shown']}/{r['figures']} figures shown; "
            f"setup: cells {r['cells_s']:.1f}s, plain table with indexes {r['plain_s']:.1f}s, "
            f"earlier releases {r['ledger_s']:.1f}s"
        )
    print(f"  load average at end: {_load()}")
    print(
        "  targets: repeat view flat in N and in the ledger, at least 100x faster than plain "
        "GROUP BY at 1M; first view (once per group and organisation) within a second"
    )


def _load() -> str:
    try:
        return " ".join(f"{v:.1f}" for v in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    except OSError:
        return "unknown"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated numbers of responses",
    )
    parser.add_argument(
        "--ledger",
        default=",".join(str(s) for s in DEFAULT_LEDGERS),
        help="comma-separated numbers of earlier releases in the ledger",
    )
    parser.add_argument("--runs", type=int, default=RUNS, help="runs per measurement (median)")
    parser.add_argument(
        "--job-units",
        action="store_true",
        help="time the daily job's division views too (many minutes: each is a first view "
        "against the ledger the job itself has grown)",
    )
    args = parser.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(",") if s)
    ledgers = tuple(int(s) for s in args.ledger.split(",") if s)
    here = Path(__file__).resolve().parent
    sys.path.insert(0, str(here))
    sys.path.insert(0, str(here.parent))
    from run import setup_django

    with tempfile.TemporaryDirectory(prefix="wellkept-bench-") as tmp:
        setup_django(Path(tmp))
        run(sizes, ledgers, args.runs, args.job_units)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
