"""Keep the aggregate cells in step with the responses, in the same transaction.

Three writes change cells: a submitted check-in adds its responses, an
erasure or a retention purge removes some. Each takes the cells it touches
with ``SELECT ... FOR UPDATE`` (PostgreSQL; SQLite already serialises
writers), in a fixed order so that two submissions never deadlock, and
applies the change to the decrypted sums. ``rebuild`` recomputes every cell
from the encrypted responses; the two must agree exactly, which the tests
check after random interleavings.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from wellkept.assessments.hooks import ResponsesStored
from wellkept.assessments.models import Response
from wellkept.consent.hooks import TakingPartChanged
from wellkept.consent.models import ConsentRecord
from wellkept.consent.selectors import latest_consent
from wellkept.insights.models import Cell, Contribution, EnrolmentCell, ErasedAnswers, Release
from wellkept.insights.periods import GRAINS, Grain, period_of, week_of
from wellkept.orgs.hooks import ParticipantMoved
from wellkept.orgs.models import Organisation, Participant
from wellkept.vault.services import is_erased

# One atom's sums: responses, people, scored responses, sum, sum of
# squares, responses per severity band.
RESPONSES, PEOPLE, SCORED, TOTAL, TOTAL_SQ, BANDS = range(6)
Stats = list[Any]
Atoms = dict[str, Stats]


def atom_of(unit_id: object, shift_type_id: object, role_category: str) -> str:
    return f"{unit_id}|{shift_type_id}|{role_category}"


def split_atom(atom: str) -> tuple[str, str, str]:
    unit, shift, role = atom.split("|")
    return unit, shift, role


def empty_stats() -> Stats:
    return [0, 0, 0, 0, 0, {}]


@dataclass(frozen=True)
class Scored:
    """What the cells need of one response: where, when, and its total and band."""

    response_id: str
    participant_id: Any
    organisation_id: Any
    instrument: str
    day: Any
    atom: str
    total: int | None
    band: str | None

    @property
    def order(self) -> tuple[Any, str]:
        # A person is counted under their first response of the period:
        # earliest day, then the response id, so a rebuild picks the same one.
        return (self.day, self.response_id)


def scored_from(response: Response, payload: dict[str, Any], organisation_id: Any) -> Scored:
    return Scored(
        response_id=str(response.pk),
        participant_id=response.participant_id,
        organisation_id=organisation_id,
        instrument=response.instrument,
        day=response.submitted_on,
        atom=atom_of(response.unit_id, response.shift_type_id, response.role_category),
        total=payload.get("total"),
        band=payload.get("band"),
    )


def read_atoms(cell: Cell) -> Atoms:
    value = cell.payload
    if is_erased(value) or not value:
        return {}
    atoms: Atoms = json.loads(str(value))
    return atoms


def _write(cell: Cell, atoms: Atoms) -> None:
    if not atoms:
        cell.delete()
        return
    cell.payload = json.dumps(atoms, sort_keys=True, separators=(",", ":"))
    if cell._state.adding:
        cell.save(force_insert=True)
    else:
        cell.save(update_fields=["payload"])


def _locked_cell(organisation_id: Any, instrument: str, grain: str, start: Any) -> Cell:
    """Return the cell row, locked for this transaction; a new one is not saved yet."""
    found = (
        Cell.objects.select_for_update()
        .filter(organisation_id=organisation_id, instrument=instrument, grain=grain)
        .filter(period_start=start)
        .first()
    )
    if found is not None:
        return found
    return Cell(
        organisation_id=organisation_id, instrument=instrument, grain=grain, period_start=start
    )


def _apply(stats: Stats, item: Scored, sign: int) -> None:
    stats[RESPONSES] += sign
    if item.total is not None:
        stats[SCORED] += sign
        stats[TOTAL] += sign * item.total
        stats[TOTAL_SQ] += sign * item.total * item.total
    if item.band is not None:
        bands = stats[BANDS]
        bands[item.band] = bands.get(item.band, 0) + sign
        if bands[item.band] == 0:
            del bands[item.band]


def _prune(atoms: Atoms, atom: str) -> None:
    stats = atoms.get(atom)
    if stats is not None and stats[RESPONSES] == 0 and stats[PEOPLE] == 0:
        del atoms[atom]


def _cell_keys(items: Iterable[Scored]) -> list[tuple[Any, str, str, Any]]:
    keys = {
        (item.organisation_id, item.instrument, grain.value, period_of(grain, item.day))
        for item in items
        for grain in GRAINS
    }
    # A fixed order: two transactions lock shared cells in the same sequence.
    return sorted(keys, key=lambda k: (str(k[0]), k[1], k[2], k[3]))


def responses_added(items: list[Scored]) -> None:
    """Add freshly stored responses to their cells; call inside the storing transaction."""
    if not items:
        return
    with transaction.atomic():
        keys = _cell_keys(items)
        # Every cell first, in the fixed order; then the participants'
        # contributions to those periods, read once, under the cells' locks.
        cells = [(key, _locked_cell(*key)) for key in keys]
        counted = _contributions(items, keys)
        for (_, instrument, grain, start), cell in cells:
            atoms = read_atoms(cell)
            for item in items:
                if item.instrument != instrument or period_of(grain, item.day) != start:
                    continue
                _apply(atoms.setdefault(item.atom, empty_stats()), item, +1)
                _count_person(atoms, item, grain, start, counted)
            _write(cell, atoms)


ContributionKey = tuple[str, str, str, Any]


def _contributions(
    items: Iterable[Scored], keys: Iterable[tuple[Any, str, str, Any]]
) -> dict[ContributionKey, Contribution]:
    """The participants' contributions to the cells' periods, in one query."""
    participants = {item.participant_id for item in items}
    wanted = {(instrument, grain, start) for _, instrument, grain, start in keys}
    found: dict[ContributionKey, Contribution] = {}
    for row in Contribution.objects.filter(
        participant_id__in=participants,
        instrument__in={w[0] for w in wanted},
        period_start__in={w[2] for w in wanted},
    ):
        if (row.instrument, row.grain, row.period_start) in wanted:
            found[(str(row.participant_id), row.instrument, row.grain, row.period_start)] = row
    return found


def _count_person(
    atoms: Atoms,
    item: Scored,
    grain: str,
    start: Any,
    counted: dict[ContributionKey, Contribution],
) -> None:
    key = (str(item.participant_id), item.instrument, grain, start)
    found = counted.get(key)
    if found is None:
        counted[key] = Contribution.objects.create(
            participant_id=item.participant_id,
            instrument=item.instrument,
            grain=grain,
            period_start=start,
            atom=item.atom,
            first_day=item.day,
            first_response_id=item.response_id,
        )
        atoms[item.atom][PEOPLE] += 1
        return
    if item.order < (found.first_day, str(found.first_response_id)):
        _move_person(atoms, found, item.atom, item.day, item.response_id)


def _move_person(atoms: Atoms, found: Contribution, atom: str, day: Any, response_id: str) -> None:
    if found.atom != atom:
        atoms[found.atom][PEOPLE] -= 1
        _prune(atoms, found.atom)
        atoms.setdefault(atom, empty_stats())[PEOPLE] += 1
    found.atom, found.first_day, found.first_response_id = atom, day, response_id
    found.save(update_fields=["atom", "first_day", "first_response_id"])


def responses_removed(
    items: list[Scored], remaining: Callable[[Scored, str, Any], list[Scored]]
) -> None:
    """Take responses out of their cells before they are deleted.

    ``remaining(item, grain, start)`` returns the participant's other
    responses to the same instrument in that period that stay: the person
    is then counted under the first of them, or no longer counted.
    """
    if not items:
        return
    with transaction.atomic():
        keys = _cell_keys(items)
        cells = [(key, _locked_cell(*key)) for key in keys]
        counted = _contributions(items, keys)
        for (_, instrument, grain, start), cell in cells:
            atoms = read_atoms(cell)
            people: dict[Any, Scored] = {}
            for item in items:
                if item.instrument != instrument or period_of(grain, item.day) != start:
                    continue
                _apply(atoms.setdefault(item.atom, empty_stats()), item, -1)
                _prune(atoms, item.atom)
                people.setdefault(item.participant_id, item)
            for participant_id, item in people.items():
                found = counted.get((str(participant_id), instrument, grain, start))
                if found is None:
                    continue
                left = sorted(remaining(item, grain, start), key=lambda s: s.order)
                if not left:
                    atoms.setdefault(found.atom, empty_stats())[PEOPLE] -= 1
                    _prune(atoms, found.atom)
                    found.delete()
                    del counted[(str(participant_id), instrument, grain, start)]
                elif (left[0].day, left[0].response_id) != (
                    found.first_day,
                    str(found.first_response_id),
                ):
                    _move_person(atoms, found, left[0].atom, left[0].day, left[0].response_id)
            _write(cell, atoms)
        _remember_erased(items)


def _remember_erased(items: list[Scored]) -> None:
    """Keep the removed answers as unknowns for the figures released before (``ErasedAnswers``).

    Nothing is kept if nothing about the questionnaire was ever released:
    no frozen figure holds the answers, so no difference can open.
    """
    by_week: dict[tuple[Any, str, Any], list[Scored]] = defaultdict(list)
    for item in items:
        by_week[(item.organisation_id, item.instrument, week_of(item.day))].append(item)
    epochs: dict[tuple[Any, str], int | None] = {}
    for (organisation_id, instrument, week), removed in sorted(
        by_week.items(), key=lambda kv: (str(kv[0][0]), kv[0][1], kv[0][2])
    ):
        scope = (organisation_id, instrument)
        if scope not in epochs:
            last = (
                Release.objects.filter(organisation_id=organisation_id, family=instrument)
                .order_by("-id")
                .values_list("id", flat=True)
                .first()
            )
            epochs[scope] = last
        epoch = epochs[scope]
        if epoch is None:
            continue
        row = (
            ErasedAnswers.objects.select_for_update()
            .filter(organisation_id=organisation_id, instrument=instrument, week=week)
            .first()
        )
        if row is None:
            row = ErasedAnswers(organisation_id=organisation_id, instrument=instrument, week=week)
            found: dict[str, list[list[int]]] = {}
        else:
            found = read_erased(row)
        for item in removed:
            entries = found.setdefault(item.atom, [])
            if entries and entries[-1][0] == epoch:
                entries[-1][1] += 1
                entries[-1][2] += int(item.total is not None)
            else:
                entries.append([epoch, 1, int(item.total is not None)])
        row.payload = json.dumps(found, sort_keys=True, separators=(",", ":"))
        if row._state.adding:
            row.save(force_insert=True)
        else:
            row.save(update_fields=["payload"])


def read_erased(row: ErasedAnswers) -> dict[str, list[list[int]]]:
    value = row.payload
    if is_erased(value) or not value:
        return {}
    found: dict[str, list[list[int]]] = json.loads(str(value))
    return found


# --- enrolment -------------------------------------------------------------


def _locked_enrolment(organisation_id: Any) -> EnrolmentCell:
    found = (
        EnrolmentCell.objects.select_for_update().filter(organisation_id=organisation_id).first()
    )
    if found is not None:
        return found
    try:
        with transaction.atomic():
            EnrolmentCell.objects.create(organisation_id=organisation_id, payload="{}")
    except IntegrityError:
        pass  # created meanwhile by another transaction
    return EnrolmentCell.objects.select_for_update().get(organisation_id=organisation_id)


def read_enrolment(cell: EnrolmentCell | None) -> dict[str, int]:
    if cell is None or is_erased(cell.payload) or not cell.payload:
        return {}
    counts: dict[str, int] = json.loads(str(cell.payload))
    return counts


def enrolment_changed(
    *, organisation_id: Any, left: str | None = None, joined: str | None = None
) -> None:
    """Move one person between atoms of the enrolment counts (None: not taking part)."""
    if left == joined:
        return
    with transaction.atomic():
        cell = _locked_enrolment(organisation_id)
        counts = read_enrolment(cell)
        if left is not None:
            counts[left] = counts.get(left, 0) - 1
            if counts[left] <= 0:
                del counts[left]
        if joined is not None:
            counts[joined] = counts.get(joined, 0) + 1
        cell.payload = json.dumps(counts, sort_keys=True, separators=(",", ":"))
        cell.save(update_fields=["payload"])


def participant_atom(participant: Participant) -> str:
    return atom_of(participant.unit_id, participant.shift_type_id, participant.role_category)


def takes_part(participant: Participant) -> bool:
    """Whether the person's latest decision was to take part (whatever the notice version)."""
    latest = latest_consent(participant)
    return bool(latest and latest.take_part)


# --- receivers of the lower apps' hooks (connected in apps.py) ---------------


def on_responses_stored(event: ResponsesStored) -> None:
    """A check-in was stored: its responses join their cells, in its transaction."""
    responses_added(
        [
            Scored(
                response_id=r.response_id,
                participant_id=r.participant_id,
                organisation_id=r.organisation_id,
                instrument=r.instrument,
                day=r.day,
                atom=atom_of(r.unit_id, r.shift_type_id, r.role_category),
                total=r.total,
                band=r.band,
            )
            for r in event.responses
        ]
    )


def on_taking_part_changed(event: TakingPartChanged) -> None:
    """Participation rates count who takes part now: kept with the decision."""
    atom = participant_atom(event.participant)
    enrolment_changed(
        organisation_id=event.participant.organisation_id,
        left=atom if event.was_taking_part else None,
        joined=atom if event.takes_part else None,
    )


def on_participant_moved(event: ParticipantMoved) -> None:
    """A person who takes part moved: their enrolment count moves between atoms."""
    participant = event.participant
    if takes_part(participant):
        enrolment_changed(
            organisation_id=participant.organisation_id,
            left=atom_of(
                event.before_unit_id, event.before_shift_type_id, event.before_role_category
            ),
            joined=participant_atom(participant),
        )


# --- rebuild ---------------------------------------------------------------


@dataclass
class Snapshot:
    """Every cell of an organisation, decrypted: what a rebuild must reproduce exactly."""

    cells: dict[tuple[str, str, str], Atoms]
    contributions: dict[tuple[str, str, str, str], tuple[str, str, str]]
    enrolment: dict[str, int]


def snapshot(organisation: Organisation) -> Snapshot:
    cells = {
        (c.instrument, c.grain, c.period_start.isoformat()): read_atoms(c)
        for c in Cell.objects.filter(organisation=organisation)
    }
    contributions = {
        (str(c.participant_id), c.instrument, c.grain, c.period_start.isoformat()): (
            c.atom,
            c.first_day.isoformat(),
            str(c.first_response_id),
        )
        for c in Contribution.objects.filter(participant__organisation=organisation)
    }
    enrolment = read_enrolment(EnrolmentCell.objects.filter(organisation=organisation).first())
    return Snapshot(cells=cells, contributions=contributions, enrolment=enrolment)


def scored_responses(organisation: Organisation) -> Iterator[tuple[Response, Scored | None]]:
    """Decrypt every response of the organisation; None for one whose key is gone."""
    rows = (
        Response.objects.filter(participant__organisation=organisation)
        .select_related("participant")
        .order_by("participant_id", "submitted_on", "id")
        .iterator(chunk_size=2000)
    )
    for response in rows:
        value = response.payload
        if is_erased(value):
            yield response, None
            continue
        payload = json.loads(str(value))
        yield response, scored_from(response, payload, organisation.pk)


def compute(
    items: Iterable[Scored],
) -> tuple[dict[tuple[str, str, Any], Atoms], dict[tuple[Any, str, str, Any], Scored]]:
    """Compute cells and contributions from scratch, in memory."""
    cells: dict[tuple[str, str, Any], Atoms] = defaultdict(dict)
    first: dict[tuple[Any, str, str, Any], Scored] = {}
    for item in items:
        for grain in GRAINS:
            start = period_of(grain, item.day)
            atoms = cells[(item.instrument, grain.value, start)]
            _apply(atoms.setdefault(item.atom, empty_stats()), item, +1)
            key = (item.participant_id, item.instrument, grain.value, start)
            if key not in first or item.order < first[key].order:
                first[key] = item
    for (_, instrument, grain_value, start), item in first.items():
        cells[(instrument, grain_value, start)][item.atom][PEOPLE] += 1
    return cells, first


def enrolment_counts(organisation: Organisation) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    latest: dict[Any, bool] = {}
    for participant_id, take_part in (
        ConsentRecord.objects.filter(participant__organisation=organisation)
        .order_by("participant_id", "sequence")
        .values_list("participant_id", "take_part")
    ):
        latest[participant_id] = take_part
    for pk, unit_id, shift_id, role in Participant.objects.filter(
        organisation=organisation
    ).values_list("pk", "unit_id", "shift_type_id", "role_category"):
        if latest.get(pk):
            counts[atom_of(unit_id, shift_id, role)] += 1
    return dict(counts)


@dataclass(frozen=True)
class RebuildResult:
    responses: int
    unreadable: int
    cells: int
    changed: bool


def rebuild(
    organisation: Organisation, *, progress: Callable[[int], object] | None = None
) -> RebuildResult:
    """Recompute every cell of the organisation from its encrypted responses.

    Runs in one transaction: readers see the old cells or the new, never a
    half-built store. ``changed`` says whether the incremental cells
    differed from the recomputed ones (they never should).
    """
    with transaction.atomic():
        before = snapshot(organisation)
        items: list[Scored] = []
        unreadable = 0
        for count, (_, item) in enumerate(scored_responses(organisation), start=1):
            if item is None:
                unreadable += 1
            else:
                items.append(item)
            if progress is not None and count % 500 == 0:
                progress(500)
        if progress is not None:
            progress(len(items) + unreadable - 500 * ((len(items) + unreadable) // 500))
        cells, first = compute(items)
        Cell.objects.filter(organisation=organisation).delete()
        Contribution.objects.filter(participant__organisation=organisation).delete()
        new_cells = []
        for (instrument, grain, start), atoms in cells.items():
            cell = Cell(
                organisation=organisation, instrument=instrument, grain=grain, period_start=start
            )
            cell.payload = json.dumps(atoms, sort_keys=True, separators=(",", ":"))
            new_cells.append(cell)
        Cell.objects.bulk_create(new_cells, batch_size=500)
        Contribution.objects.bulk_create(
            [
                Contribution(
                    participant_id=item.participant_id,
                    instrument=instrument,
                    grain=grain,
                    period_start=start,
                    atom=item.atom,
                    first_day=item.day,
                    first_response_id=item.response_id,
                )
                for (_, instrument, grain, start), item in first.items()
            ],
            batch_size=2000,
        )
        EnrolmentCell.objects.filter(organisation=organisation).delete()
        enrolment = EnrolmentCell(organisation=organisation)
        enrolment.payload = json.dumps(
            enrolment_counts(organisation), sort_keys=True, separators=(",", ":")
        )
        enrolment.save(force_insert=True)
        after = snapshot(organisation)
    return RebuildResult(
        responses=len(items),
        unreadable=unreadable,
        cells=len(new_cells),
        changed=_normalised(before) != _normalised(after),
    )


def _normalised(snap: Snapshot) -> tuple[Any, ...]:
    return (snap.cells, snap.contributions, snap.enrolment)


GRAIN_VALUES = [g.value for g in Grain]


def participant_leaves_aggregates(participant: Participant) -> int:
    """Take every response of the participant out of the cells, and them out of enrolment.

    Called by erasure before the data key is shredded. Returns how many
    responses were taken out.
    """
    items: list[Scored] = []
    for response in Response.objects.filter(participant=participant).order_by("submitted_on", "id"):
        value = response.payload
        if is_erased(value):
            continue
        items.append(scored_from(response, json.loads(str(value)), participant.organisation_id))
    with transaction.atomic():
        responses_removed(items, remaining=lambda item, grain, start: [])
        if takes_part(participant):
            enrolment_changed(
                organisation_id=participant.organisation_id, left=participant_atom(participant)
            )
    return len(items)


def responses_purge(responses: Any) -> int:
    """Take a set of responses out of the cells and delete them (retention, tests).

    ``responses`` is a queryset of Response rows; their check-ins and
    alerts are the caller's to delete. Returns how many responses went.
    """
    with transaction.atomic():
        doomed = list(responses.select_related("participant").order_by("submitted_on", "id"))
        ids = {str(r.pk) for r in doomed}
        items = [
            scored_from(r, json.loads(str(r.payload)), r.participant.organisation_id)
            for r in doomed
            if not is_erased(r.payload)
        ]

        # A person's answers in one month or quarter are asked for once per
        # doomed answer in it (13 times for a quarter of weekly check-ins):
        # read and decrypt them once per purge.
        seen: dict[tuple[Any, str, str, Any], list[Scored]] = {}

        def remaining(item: Scored, grain: str, start: Any) -> list[Scored]:
            key = (item.participant_id, item.instrument, grain, start)
            if key not in seen:
                seen[key] = _remaining(item, grain, start)
            return seen[key]

        def _remaining(item: Scored, grain: str, start: Any) -> list[Scored]:
            from wellkept.insights.periods import weeks_in

            weeks = weeks_in(grain, start)
            first, last = weeks[0], weeks[-1] + dt.timedelta(days=6)
            kept = Response.objects.filter(
                participant_id=item.participant_id,
                instrument=item.instrument,
                submitted_on__gte=first,
                submitted_on__lte=last,
            ).select_related("participant")
            return [
                scored_from(r, json.loads(str(r.payload)), item.organisation_id)
                for r in kept
                if str(r.pk) not in ids and not is_erased(r.payload)
            ]

        responses_removed(items, remaining)
        Response.objects.filter(pk__in=[r.pk for r in doomed]).delete()
    return len(doomed)
