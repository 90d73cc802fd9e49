"""Synthetic check-ins in bulk (`seed_checkins`) and the `wellkept seed` command.

Personas: a synthetic hospital made by `wellkept seed`'s own helpers, with
participants who consented (some to safety alerts); a real hospital whose
data must never be mixed with invented answers.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from wellkept.actors import SystemActor
from wellkept.assessments import periods
from wellkept.assessments.instruments import check_answers, get_instrument, score
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
    Frequency,
    Programme,
    Response,
    SafetyAlert,
    today,
)
from wellkept.assessments.selectors import decode_payload
from wellkept.audit.models import AuditEntry
from wellkept.consent.models import ConsentEvent, ConsentRecord, Notice
from wellkept.consent.selectors import consent_state
from wellkept.consent.services import notice_publish
from wellkept.demo import bulk as seeding
from wellkept.demo.bulk import checkins as bulk
from wellkept.demo.bulk import model
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Organisation, Participant, RoleCategory, ShiftType, UnitKind
from wellkept.vault.crypto import DecryptionError
from wellkept.vault.services import decrypt_text, dek_cache

pytestmark = pytest.mark.django_db


@dataclass
class Synthetic:
    organisation: Organisation
    programme: Programme
    notice: Notice


@pytest.fixture
def synthetic(db: None) -> Synthetic:
    org, _created = seeding.synthetic_organisation(slug="synthetic-tests")
    programme = seeding.programme_ensure(actor=seeding.SEED_ACTOR, organisation=org)
    notice = seeding.notice_ensure(actor=seeding.SEED_ACTOR, organisation=org, contact="dpo@x")
    return Synthetic(org, programme, notice)


def enrol(s: Synthetic, count: int, *, seed: int = 1) -> list[Participant]:
    ids = seeding.seed_participants(
        organisation=s.organisation,
        notice=s.notice,
        count=count,
        enrolled_on=today(),
        rng=random.Random(seed),
    )
    return list(seeding.participants_by_id(ids))


def run(
    s: Synthetic, people: list[Participant], *, weeks: int = 6, seed: int = 2
) -> seeding.SeedCounts:
    return seeding.seed_checkins(
        organisation=s.organisation,
        programme=s.programme,
        participants=people,
        weeks=weeks,
        end=today(),
        rng=random.Random(seed),
    )


# --- What is stored ---------------------------------------------------------------


def test_it_stores_responses_that_decrypt_to_the_scores_of_their_answers(
    synthetic: Synthetic,
) -> None:
    run(synthetic, enrol(synthetic, 8))
    dek_cache.clear()  # read with the keys from the database, as a new process would
    responses = list(Response.objects.all())
    assert responses
    for response in responses:
        payload = decode_payload(response)
        assert payload is not None
        instrument = get_instrument(response.instrument)
        assert payload["instrument"] == instrument.code
        assert payload["version"] == response.instrument_version == instrument.version
        assert check_answers(instrument, payload["answers"]) == {}
        result = score(instrument, payload["answers"])
        assert payload["total"] == result.total
        assert payload["band"] == (result.band.code if result.band else None)
        assert payload["safety"] == result.safety_signal


def test_it_binds_each_payload_to_its_row_field_and_person_like_the_field_does(
    synthetic: Synthetic,
) -> None:
    run(synthetic, enrol(synthetic, 3))
    first, second = Response.objects.select_related("participant")[:2]
    field = Response._meta.get_field("payload")
    assert seeding.payload_binding(first.pk, first.participant) == field.binding_for(first)
    # The ciphertext opens only where it was written.
    stolen = first.__dict__["payload"].ciphertext
    with pytest.raises(DecryptionError):
        decrypt_text(stolen, binding=field.binding_for(second))


def test_it_keeps_no_answer_in_clear(synthetic: Synthetic) -> None:
    run(synthetic, enrol(synthetic, 3))
    with connection.cursor() as cursor:
        cursor.execute("SELECT payload FROM assessments_response")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored
    assert all(value.startswith("wk1$") for value in stored)
    # JSON needs quotes; base64 and the envelope never contain one.
    assert not any('"' in value or "answers" in value for value in stored)


def test_it_counts_what_it_created(synthetic: Synthetic) -> None:
    counts = run(synthetic, enrol(synthetic, 10))
    assert counts.participants == 10
    assert counts.checkins == CheckIn.objects.count() > 0
    assert counts.responses == Response.objects.count()
    assert counts.alerts == SafetyAlert.objects.count()
    per_checkin = {s.pk: len(s.instruments) for s in synthetic.programme.schedules.all()}
    expected = sum(per_checkin[c.schedule_id] for c in CheckIn.objects.all())
    assert counts.responses == expected


def test_it_submits_each_check_in_inside_its_period_and_the_window(synthetic: Synthetic) -> None:
    weeks = 9
    run(synthetic, enrol(synthetic, 10), weeks=weeks)
    end = today()
    first_day = periods.period_start(Frequency.WEEKLY, end) - dt.timedelta(weeks=weeks - 1)
    for checkin in CheckIn.objects.select_related("schedule"):
        assert checkin.status == CheckInStatus.SUBMITTED
        assert checkin.draft is None
        frequency = checkin.schedule.frequency
        assert checkin.period_start == periods.period_start(frequency, checkin.submitted_on)
        assert first_day <= checkin.submitted_on <= end
        assert checkin.started_on == checkin.submitted_on
    for response in Response.objects.select_related("checkin", "participant"):
        assert response.submitted_on == response.checkin.submitted_on
        assert response.unit_id == response.participant.unit_id
        assert response.shift_type_id == response.participant.shift_type_id
        assert response.role_category == response.participant.role_category


def test_not_everyone_answers_every_week(synthetic: Synthetic) -> None:
    weeks = 12
    people = enrol(synthetic, 30)
    run(synthetic, people, weeks=weeks)
    weekly = CheckIn.objects.filter(schedule__frequency=Frequency.WEEKLY).count()
    assert 0.45 < weekly / (len(people) * weeks) < 0.85


# --- Consent and safety -------------------------------------------------------------


def test_it_raises_safety_alerts_only_for_those_who_agreed(
    synthetic: Synthetic, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Make every PHQ-9 item 9 answer a risk signal, so that everyone has some.
    monkeypatch.setattr(model, "THRESHOLDS_SAFETY", (-99.0, 98.0, 99.0))
    monkeypatch.setattr(model, "_plans", {})
    people = enrol(synthetic, 12, seed=5)
    counts = run(synthetic, people, weeks=10)
    signalled: dict[object, int] = defaultdict(int)
    for response in Response.objects.filter(instrument="phq9"):
        payload = decode_payload(response)
        assert payload is not None
        assert payload["safety"] is True
        signalled[response.participant_id] += 1
    alerted: dict[object, int] = defaultdict(int)
    for alert in SafetyAlert.objects.select_related("response"):
        assert alert.response.instrument == "phq9"
        assert alert.participant_id == alert.response.participant_id
        assert alert.raised_on == alert.response.submitted_on
        alerted[alert.participant_id] += 1
    agreed = {p.pk for p in people if consent_state(p).safety_alert}
    assert agreed
    assert agreed != {p.pk for p in people}
    for pk, number in signalled.items():
        assert alerted.get(pk, 0) == (number if pk in agreed else 0)
    assert counts.safety_signals == sum(signalled.values()) > counts.alerts


def test_it_collects_nothing_from_someone_without_a_current_consent(
    synthetic: Synthetic,
) -> None:
    stays, leaves, outdated = enrol(synthetic, 3)
    ConsentRecord.objects.create(
        participant=leaves,
        notice=synthetic.notice,
        event=ConsentEvent.WITHDRAWN,
        take_part=False,
        follow_up_contact=False,
        safety_alert=False,
        sequence=2,
    )
    # A new notice: the third person agreed only to the old one.
    newer = notice_publish(
        actor=SystemActor("tests"), organisation=synthetic.organisation, privacy_contact="dpo@y"
    )
    ConsentRecord.objects.create(
        participant=stays,
        notice=newer,
        event=ConsentEvent.RENEWED,
        take_part=True,
        follow_up_contact=False,
        safety_alert=False,
        sequence=2,
    )
    counts = run(synthetic, [stays, leaves, outdated])
    assert counts.participants == 1
    assert counts.skipped == 2
    assert set(CheckIn.objects.values_list("participant_id", flat=True)) == {stays.pk}


def test_it_seeds_no_one_from_another_organisation(synthetic: Synthetic) -> None:
    other = Synthetic(*_other_programme())
    outsider = enrol(other, 1)[0]
    counts = run(synthetic, [outsider])
    assert counts.participants == 0
    assert not CheckIn.objects.exists()


def _other_programme() -> tuple[Organisation, Programme, Notice]:
    org, _ = seeding.synthetic_organisation(slug="synthetic-other")
    programme = seeding.programme_ensure(actor=seeding.SEED_ACTOR, organisation=org)
    notice = seeding.notice_ensure(actor=seeding.SEED_ACTOR, organisation=org, contact="dpo@z")
    return org, programme, notice


# --- The audit trail and re-runs ------------------------------------------------------


def test_it_records_one_audit_entry_per_run_and_none_per_row(synthetic: Synthetic) -> None:
    people = enrol(synthetic, 10)
    before = AuditEntry.objects.count()
    counts = run(synthetic, people)
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert [e.event for e in entries] == ["data.seeded"]
    (entry,) = entries
    assert entry.target == f"organisation:{synthetic.organisation.pk}"
    assert entry.actor_label == "system:seed"
    assert f"{counts.checkins} check-ins" in entry.reason
    assert f"{counts.responses} responses" in entry.reason
    # References and counts only: no token, no answer.
    assert not any(p.token in entry.reason for p in people)


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_run_says_what_it_had_committed(
    synthetic: Synthetic, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bulk, "BATCH_RESPONSES", 20)
    real_insert = bulk._insert
    calls = 0

    def failing_insert(model: object, columns: object, rows: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 4:  # the second batch
            raise RuntimeError("disk full")
        real_insert(model, columns, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk, "_insert", failing_insert)
    people = enrol(synthetic, 10)
    with pytest.raises(RuntimeError, match="disk full"):
        run(synthetic, people)
    committed = Response.objects.count()
    assert committed > 0
    (entry,) = AuditEntry.objects.filter(event="data.seeded", reason__contains="check-ins")
    assert entry.reason.startswith("check-ins interrupted after ")
    assert f"{committed} responses" in entry.reason
    assert not seeding.seeded_before(synthetic.organisation, actor=seeding.SEED_ACTOR)


def test_running_again_never_answers_a_period_twice(synthetic: Synthetic) -> None:
    people = enrol(synthetic, 6)
    run(synthetic, people, seed=1)
    first = set(CheckIn.objects.values_list("participant_id", "schedule_id", "period_start"))
    run(synthetic, people, seed=2)
    second = list(CheckIn.objects.values_list("participant_id", "schedule_id", "period_start"))
    assert len(second) == len(set(second))
    assert first <= set(second)


def test_it_refuses_to_leave_a_new_model_field_unfilled() -> None:
    row = tuple(range(len(bulk.RESPONSE_COLUMNS) - 1))
    with pytest.raises(seeding.SeedError, match="fields the seeding does not fill: unit_id"):
        bulk._insert(Response, tuple(c for c in bulk.RESPONSE_COLUMNS if c != "unit_id"), [row])


def test_it_gives_back_the_connection_as_it_found_it(synthetic: Synthetic) -> None:
    def cache_size() -> int:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            return int(cursor.fetchone()[0])

    if connection.vendor != "sqlite":
        pytest.skip("the page cache is SQLite's")
    before = cache_size()
    run(synthetic, enrol(synthetic, 2))
    assert cache_size() == before


def test_it_refuses_bad_windows(synthetic: Synthetic) -> None:
    people = enrol(synthetic, 1)
    with pytest.raises(seeding.SeedError, match="at least one week"):
        run(synthetic, people, weeks=0)
    with pytest.raises(seeding.SeedError, match="in the future"):
        seeding.seed_checkins(
            organisation=synthetic.organisation,
            programme=synthetic.programme,
            participants=people,
            weeks=1,
            end=today() + dt.timedelta(days=1),
            rng=random.Random(1),
        )


def test_it_is_refused_in_production(synthetic: Synthetic, settings: object) -> None:
    people = enrol(synthetic, 1)
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(seeding.SeedError, match="refused when WELLKEPT_ENV=production"):
        run(synthetic, people)
    assert not CheckIn.objects.exists()


# --- The latent model -----------------------------------------------------------------


def simulate(
    *, work: float = 0.0, day: dt.date = dt.date(2025, 4, 20), people: int = 400, seed: int = 3
) -> dict[str, list[dict[str, int]]]:
    """Answers of ``people`` synthetic people on 12 weekly occasions, by instrument."""
    rng = random.Random(seed)
    answers: dict[str, list[dict[str, int]]] = defaultdict(list)
    codes = ("phq2", "burnout1", "phq9", "gad7", "who5")
    instruments = {code: get_instrument(code) for code in codes}
    season = seeding.season_effect(day)
    for _ in range(people):
        person = seeding.Person.draw(rng, work=work, participation=0.65)
        for _week in range(12):
            person.step(rng)
            for code, instrument in instruments.items():
                answers[code].append(seeding.answers_for(instrument, person, season, rng))
    return answers


def share(values: list[int], test: object) -> float:
    return sum(1 for v in values if test(v)) / len(values)  # type: ignore[operator]


def totals(answers: dict[str, list[dict[str, int]]], code: str) -> list[int]:
    instrument = get_instrument(code)
    found = []
    for given in answers[code]:
        result = score(instrument, given).total
        assert result is not None
        found.append(result)
    return found


@pytest.mark.one_engine
def test_a_typical_hospital_lands_near_published_prevalence() -> None:
    # Average over the year and a typical spread of units, shifts and roles.
    answers: dict[str, list[dict[str, int]]] = defaultdict(list)
    for month, work in ((1, 0.35), (4, 0.0), (8, 0.2), (10, 0.1), (6, 0.3), (11, 0.05)):
        for code, given in simulate(work=work, day=dt.date(2025, month, 15), seed=month).items():
            answers[code].extend(given)
    assert 0.30 <= share(totals(answers, "burnout1"), lambda v: v >= 3) <= 0.45
    assert 0.13 <= share(totals(answers, "phq9"), lambda v: v >= 10) <= 0.22
    item9 = [given["phq9_9"] for given in answers["phq9"]]
    assert 0.015 <= share(item9, lambda v: v > 0) <= 0.05
    assert 0.08 <= share(totals(answers, "gad7"), lambda v: v >= 10) <= 0.20


@pytest.mark.one_engine
def test_the_facets_move_together_like_real_scores() -> None:
    answers = simulate(people=300)
    phq9, gad7, who5 = totals(answers, "phq9"), totals(answers, "gad7"), totals(answers, "who5")
    assert statistics.correlation(phq9, gad7) > 0.4
    assert statistics.correlation(phq9, who5) < -0.3


@pytest.mark.one_engine
def test_night_shifts_score_worse_than_day_shifts() -> None:
    day = simulate(work=seeding.SHIFT_EFFECT["day"])
    night = simulate(work=seeding.SHIFT_EFFECT["night"])
    assert statistics.mean(totals(night, "burnout1")) > statistics.mean(totals(day, "burnout1"))
    assert statistics.mean(totals(night, "phq9")) > statistics.mean(totals(day, "phq9"))


@pytest.mark.one_engine
def test_winter_and_the_summer_gap_score_worse_than_spring() -> None:
    assert seeding.season_effect(dt.date(2025, 1, 20)) > seeding.season_effect(dt.date(2025, 4, 20))
    assert seeding.season_effect(dt.date(2025, 8, 5)) > seeding.season_effect(dt.date(2025, 4, 20))
    winter = totals(simulate(day=dt.date(2025, 1, 20)), "burnout1")
    spring = totals(simulate(day=dt.date(2025, 4, 20)), "burnout1")
    assert statistics.mean(winter) > statistics.mean(spring) + 0.1


@pytest.mark.one_engine
def test_intensive_care_is_harder_than_an_outpatient_clinic() -> None:
    assert seeding.unit_effect("h/surgery/intensive-care/general-icu/") > 0
    assert seeding.unit_effect("h/medicine/outpatient-clinics/") < 0
    assert seeding.unit_effect("h/medicine/cardiology/ward-4a/") == 0


# One engine: what the seeded answers say; how they are written and read
# back is proven on both engines by the tests above.
@pytest.mark.one_engine
@pytest.mark.django_db(transaction=True)
def test_a_seeded_year_shows_nights_and_winter_worse_in_the_stored_answers(
    synthetic: Synthetic,
) -> None:
    people = enrol(synthetic, 60, seed=11)
    shifts = {s.code: s for s in ShiftType.objects.filter(organisation=synthetic.organisation)}
    for n, participant in enumerate(people):
        # Same units and roles for both groups; only the shift differs.
        participant.shift_type = shifts["night" if n % 2 else "day"]
        participant.role_category = RoleCategory.NURSE
        participant.save(update_fields=["shift_type", "role_category"])
    run(synthetic, people, weeks=52, seed=12)
    by_shift: dict[str, list[int]] = defaultdict(list)
    by_season: dict[str, list[int]] = defaultdict(list)
    for response in Response.objects.filter(instrument="burnout1").select_related("shift_type"):
        payload = decode_payload(response)
        assert payload is not None
        by_shift[response.shift_type.code].append(payload["total"])
        month = response.submitted_on.month
        if month in (12, 1, 2):
            by_season["winter"].append(payload["total"])
        elif month in (4, 5):
            by_season["spring"].append(payload["total"])
    assert statistics.mean(by_shift["night"]) > statistics.mean(by_shift["day"])
    assert statistics.mean(by_season["winter"]) > statistics.mean(by_season["spring"])


# --- The command ----------------------------------------------------------------------


def seed_command(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_the_command_seeds_a_synthetic_organisation_and_says_how_fast(db: None) -> None:
    output = seed_command("--participants", "6", "--weeks", "3")
    org = Organisation.objects.get(slug="synthetic")
    assert not org.is_demo
    assert org.units.filter(kind=UnitKind.DEPARTMENT).count() >= 10
    assert Participant.objects.filter(organisation=org).count() == 6
    assert all(consent_state(p).may_collect for p in Participant.objects.filter(organisation=org))
    responses = Response.objects.filter(participant__organisation=org).count()
    assert responses > 0
    assert output.startswith("created synthetic: 6 participants")
    assert f"{responses:,} responses" in output
    assert "responses/s" in output
    # Two entries: the participants, then the check-ins.
    seeded = AuditEntry.objects.filter(event="data.seeded")
    assert seeded.count() == 2
    assert {e.target for e in seeded} == {f"organisation:{org.pk}"}


def test_the_command_gives_synthetic_people_no_login(db: None) -> None:
    seed_command("--participants", "3", "--weeks", "1")
    for participant in Participant.objects.all():
        assert len(participant.login_link) == 64
        assert len(participant.token) == 32


def histories(participants: list[Participant]) -> list[tuple[object, ...]]:
    """Each person's answers in time order, without who they are."""
    found = []
    for participant in participants:
        rows = Response.objects.filter(participant=participant).order_by(
            "checkin__period_start", "instrument"
        )
        found.append(tuple(json.dumps(decode_payload(r), sort_keys=True) for r in rows))
    return sorted(found)


def test_a_second_run_adds_new_people_not_clones(db: None) -> None:
    seed_command("--participants", "5", "--weeks", "4")
    first = list(Participant.objects.all())
    output = seed_command("--participants", "5", "--weeks", "4")
    assert output.startswith("added to synthetic: 5 participants")
    second = list(Participant.objects.exclude(pk__in=[p.pk for p in first]))
    assert len(second) == 5
    assert Organisation.objects.filter(slug="synthetic").count() == 1
    assert Programme.objects.count() == 1
    assert Notice.objects.count() == 1
    assert histories(second) != histories(first)


def test_the_command_never_adds_to_a_real_organisation(db: None) -> None:
    real = org_services.organisation_create(
        actor=SystemActor("tests"), name="St Anne's Hospital", slug="st-annes"
    )
    with pytest.raises(CommandError, match="holds real data"):
        seed_command("--organisation", "st-annes", "--participants", "2")
    assert not Participant.objects.filter(organisation=real).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--participants", "0"], "--participants must be at least 1 (got 0)"),
        (["--participants", "-3"], "--participants must be at least 1 (got -3)"),
        (["--participants", "1000001"], "more than this command seeds in one run"),
        (["--weeks", "0"], "--weeks must be at least 1 (got 0)"),
        (["--weeks", "-1"], "--weeks must be at least 1"),
        (["--weeks", "521"], "more than 520 (ten years)"),
        (["--seed", "-1"], "--seed must be zero or more"),
        (["--organisation", "no spaces!"], "is not a slug"),
    ],
)
def test_the_command_explains_bad_arguments(db: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        seed_command(*args)
    assert not Organisation.objects.exists()


def test_the_command_is_refused_in_production(db: None, settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="refused when WELLKEPT_ENV=production"):
        seed_command("--participants", "2")
    assert not Organisation.objects.exists()
