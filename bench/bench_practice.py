"""What the practice's pages cost against a plain query of the same rows (issue 18).

A practice with a therapist carrying WELLKEPT_BENCH_PRACTICE_CLIENTS clients
(default 25), one of whom has a year of weekly signed progress notes (52),
four signed versions of a treatment plan and a PHQ-9 every fortnight (26
results), and a week of 30 appointments. All of it is written through the
services, as the therapist, so the rows are what the application writes.

(a) The client's chart, opened by the therapist through the real views
    (Django's test client, signed in): the client's page, their notes,
    their plan and their measures, one request each. Against the same
    rows read with plain ORM queries (no policy, no audit, nothing
    decrypted), and the same queries plus decrypting what the pages show.
(b) The therapist's week view against a plain query of the week's
    appointments (and the same plus the clients' preferred names, which the
    page shows).

Each is timed twice: with the data keys already unwrapped in this process
(a second look within WELLKEPT_DEK_CACHE_SECONDS, held at its longest,
five minutes, for that phase so that no key expires mid-run) and with the
key cache emptied before every request (opening a chart for the first time
in a while, the usual case). Rounds alternate page and baseline so the
machine's load affects them alike; medians are printed, with the ratio,
the SQL queries, decryptions and key unwraps of one request.

Run with `python bench/run.py bench_practice` (about a minute and a half on a
busy 2-core machine; WELLKEPT_BENCH_PRACTICE_ROUNDS, default 15, sets the
rounds).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

ROUNDS = int(os.environ.get("WELLKEPT_BENCH_PRACTICE_ROUNDS", "15"))
CLIENTS = int(os.environ.get("WELLKEPT_BENCH_PRACTICE_CLIENTS", "25"))
WEEK_APPOINTMENTS = 30
NOTES = 52
PLAN_VERSIONS = 4
PHQ9_EVERY_WEEKS = 2
SOAP = {
    "subjective": "Reports sleeping badly since the rota changed.",
    "objective": "Tired, engaged, affect congruent.",
    "assessment": "Adjustment difficulties; no risk indicated.",
    "plan": "Sleep diary; review in two weeks.",
}
OUTLINE = """\
Problem: Sleep disrupted by rotating night shifts
  Goal: Sleep at least six hours after a night shift
    Objective: Sleep diary shows six hours or more
      Measure: Sleep diary
      Target: 5 of 7 nights
      By: {by}
      Intervention: Sleep scheduling (CBT-I)
      Intervention: Wind-down routine
"""


@dataclass
class Counts:
    queries: int = 0
    decryptions: int = 0
    unwraps: int = 0


@contextlib.contextmanager
def counting() -> Iterator[Counts]:
    """Count SQL queries, decryptions and data-key unwraps made inside the block."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wellkept.vault import fields, services

    counts = Counts()
    decrypt, unwrap = fields.decrypt_text, services.unwrap_datakey

    def counted_decrypt(*args: Any, **kwargs: Any) -> Any:
        counts.decryptions += 1
        return decrypt(*args, **kwargs)

    def counted_unwrap(*args: Any, **kwargs: Any) -> Any:
        counts.unwraps += 1
        return unwrap(*args, **kwargs)

    fields.decrypt_text = counted_decrypt  # type: ignore[assignment]
    services.unwrap_datakey = counted_unwrap  # type: ignore[assignment]
    try:
        with CaptureQueriesContext(connection) as queries:
            yield counts
        counts.queries = len(queries.captured_queries)
    finally:
        fields.decrypt_text = decrypt  # type: ignore[assignment]
        services.unwrap_datakey = unwrap  # type: ignore[assignment]


def _staff(email: str, organisation: Any, role: Any) -> Any:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from wellkept.accounts.models import User
    from wellkept.orgs import services as orgs

    user = User.objects.create_user(email, None)
    TOTP.activate(user, generate_totp_secret())
    orgs.staff_membership_grant(
        actor=_setup_actor(), user=user, organisation=organisation, role=role
    )
    return user


def _setup_actor() -> Any:
    from wellkept.actors import SystemActor

    return SystemActor("bench-practice")


def _intake(n: int) -> Any:
    from wellkept.practice.services import Intake

    return Intake(
        legal_name=f"Bench Client{n:03d} Testwell",
        preferred_name=f"Benchy{n:03d}",
        date_of_birth=dt.date(1980 + n % 20, 1 + n % 12, 1 + n % 28),
        pronouns="they/them",
        email=f"client{n}@example.invalid",
        phone="+44 20 7946 0999",
        contact_channels=("email",),
        voicemail_ok=True,
        emergency_name="Eddie Emergencyson",
        emergency_relation="sibling",
        emergency_phone="+44 20 7946 0111",
        referral_source="Self",
        insurance_payer="Imaginary Mutual",
        insurance_member_id=f"IMX-{n:04d}",
    )


@dataclass
class World:
    organisation: Any
    therapist: Any
    client: Any
    week_start: dt.date


def build() -> World:
    """The practice, its therapist's clients, a year of one client's record, a full week."""
    from wellkept import clock
    from wellkept.orgs import services as orgs
    from wellkept.orgs.models import Role
    from wellkept.practice import services
    from wellkept.practice.services import Slot

    setup = _setup_actor()
    harbour = orgs.organisation_create(actor=setup, name="Bench Practice", slug="bench")
    tess = _staff("tess@bench.example", harbour, Role.SPECIALIST)
    clients = []
    for n in range(CLIENTS):
        client = services.client_create(actor=setup, organisation=harbour, intake=_intake(n))
        services.client_assign(actor=setup, client=client, therapist=tess)
        clients.append(client)
    ada = clients[0]
    today = clock.now().astimezone(dt.UTC).date()
    for week in range(NOTES, 0, -1):
        note = services.note_create(
            actor=tess,
            client=ada,
            template_code="soap",
            service_date=today - dt.timedelta(weeks=week),
            sections=SOAP,
            diagnosis_codes=["F43.20"],
        )
        services.note_sign(actor=tess, note=note)
    for version in range(PLAN_VERSIONS):
        review = today + dt.timedelta(days=90 + version)
        plan = services.plan_create(
            actor=tess,
            client=ada,
            content=services.parse_outline(OUTLINE.format(by=review.isoformat())),
            review_date=review,
        )
        services.plan_sign(actor=tess, plan=plan)
    services.measure_assign(actor=tess, client=ada, instrument="phq9", every_weeks=PHQ9_EVERY_WEEKS)
    for n, weeks_ago in enumerate(range(NOTES, 0, -PHQ9_EVERY_WEEKS)):
        total = max(4, 20 - n // 2)
        answers: dict[str, int | None] = {}
        rest = total
        for item in range(1, 9):
            answers[f"phq9_{item}"] = min(3, rest)
            rest -= answers[f"phq9_{item}"] or 0
        answers["phq9_9"] = 0
        services.measure_record(
            actor=tess,
            client=ada,
            instrument="phq9",
            answers=answers,
            administered_on=today - dt.timedelta(weeks=weeks_ago),
        )
    # Next week, Monday to Friday, six sessions a day: each client once or twice.
    monday = today + dt.timedelta(days=7 - today.weekday())
    zone = services.practice_zone()
    for n in range(WEEK_APPOINTMENTS):
        day, hour = divmod(n, 6)
        start = dt.datetime.combine(monday + dt.timedelta(days=day), dt.time(9 + hour), zone)
        services.appointment_book(
            actor=setup,
            client=clients[n % len(clients)],
            therapist=tess,
            slot=Slot(start=start, end=start + dt.timedelta(minutes=50), telehealth=True),
        )
    return World(organisation=harbour, therapist=tess, client=ada, week_start=monday)


# ---- the pages --------------------------------------------------------------------------


def chart_urls(world: World) -> list[str]:
    from django.urls import reverse

    query = f"?org={world.organisation.slug}"
    pk = world.client.pk
    return [
        reverse(name, args=[pk]) + query
        for name in ("practice:client", "practice:notes", "practice:plan", "practice:measures")
    ]


def week_url(world: World) -> str:
    from django.urls import reverse

    return (
        reverse("practice:schedule")
        + f"?org={world.organisation.slug}&day={world.week_start.isoformat()}"
    )


def open_pages(browser: Any, urls: list[str]) -> Callable[[], None]:
    def run() -> None:
        for url in urls:
            response = browser.get(url)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")

    return run


# ---- the baselines: the same rows, plain queries ---------------------------------------


def _reveal(rows: list[Any]) -> None:
    """Decrypt every encrypted field of the rows (what the pages read of them)."""
    from wellkept.vault.fields import EncryptedTextField

    for row in rows:
        for model_field in row._meta.concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                getattr(row, model_field.attname)


def plain_chart(world: World, *, decrypt: bool) -> Callable[[], None]:
    """The chart's rows, read without policy or audit; decrypted as the pages show them."""
    from wellkept.practice.models import (
        Appointment,
        Client,
        ClientAssignment,
        Guardian,
        MeasureAssignment,
        MeasureResult,
        ProgressNote,
        TreatmentPlan,
    )

    pk = world.client.pk

    def run() -> None:
        client = Client.objects.select_related("organisation").get(pk=pk)
        guardians = list(Guardian.objects.filter(client=client))
        list(ClientAssignment.objects.filter(client=client).select_related("therapist"))
        list(Appointment.objects.filter(client=client).select_related("room", "therapist"))
        list(ProgressNote.objects.filter(client=client).select_related("author"))
        plans = list(TreatmentPlan.objects.filter(client=client).order_by("-version"))
        list(MeasureAssignment.objects.filter(client=client))
        results = list(MeasureResult.objects.filter(client=client).order_by("administered_on"))
        if decrypt:
            # What the four pages show: the client's details (the notes list
            # shows no note's content), the current plan, every result.
            _reveal([client, *guardians, *plans[:1], *results])
            for result in results:
                json.loads(result.result)

    return run


def plain_week(world: World, *, decrypt: bool) -> Callable[[], None]:
    from wellkept.practice import services
    from wellkept.practice.models import Appointment

    zone = services.practice_zone()
    start = dt.datetime.combine(world.week_start, dt.time(0), zone)
    end = start + dt.timedelta(days=7)

    def run() -> None:
        rows = list(
            Appointment.objects.filter(
                organisation=world.organisation,
                therapist=world.therapist,
                start__lt=end,
                end__gt=start,
            )
            .select_related("client", "room")
            .order_by("start")
        )
        if decrypt:
            for row in rows:
                _ = row.client.preferred_name

    return run


# ---- measuring --------------------------------------------------------------------------


def _time(task: Callable[[], None], *, cold: bool) -> tuple[float, float]:
    from wellkept.vault.services import dek_cache

    if cold:
        dek_cache.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    task()
    return time.perf_counter() - wall, time.process_time() - cpu


def measure(tasks: dict[str, Callable[[], None]], *, cold: bool) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each task, alternating the order every round."""
    for task in tasks.values():
        task()  # warm Django's caches (templates, URL resolver, keys)
    walls: dict[str, list[float]] = {name: [] for name in tasks}
    cpus: dict[str, list[float]] = {name: [] for name in tasks}
    names = list(tasks)
    for n in range(ROUNDS):
        for name in names if n % 2 == 0 else reversed(names):
            wall, cpu = _time(tasks[name], cold=cold)
            walls[name].append(wall)
            cpus[name].append(cpu)
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in names}


def counts_of(task: Callable[[], None], *, cold: bool) -> Counts:
    from wellkept.vault.services import dek_cache

    if cold:
        dek_cache.clear()
    with counting() as counts:
        task()
    return counts


def report(title: str, tasks: dict[str, Callable[[], None]], baseline: str) -> None:
    from django.test.utils import override_settings

    print(title)
    for cold in (False, True):
        with override_settings(WELLKEPT_DEK_CACHE_SECONDS=300):
            medians = measure(tasks, cold=cold)
        base_wall, base_cpu = medians[baseline]
        print(f"  {'keys cold (cache emptied)' if cold else 'keys warm (cached)'}")
        for name, (wall, cpu) in medians.items():
            with override_settings(WELLKEPT_DEK_CACHE_SECONDS=300):
                counts = counts_of(tasks[name], cold=cold)
            print(
                f"    {name:<44} {wall * 1e3:8.2f} ms {wall / base_wall:6.1f}x"
                f"   cpu {cpu * 1e3:7.2f} ms {cpu / base_cpu:6.1f}x"
                f"   {counts.queries:4d} queries {counts.decryptions:4d} decrypted"
                f" {counts.unwraps:3d} unwrapped"
            )


def run() -> None:
    from django.test import Client as Browser
    from django.test.utils import setup_test_environment

    setup_test_environment()
    started = time.perf_counter()
    world = build()
    built = time.perf_counter() - started
    browser = Browser()
    browser.force_login(world.therapist)
    print(
        f"practice: 1 therapist, {CLIENTS} clients; one client with {NOTES} signed notes, "
        f"{PLAN_VERSIONS} plan versions, {NOTES // PHQ9_EVERY_WEEKS} PHQ-9 results; "
        f"{WEEK_APPOINTMENTS} appointments in the week (built in {built:.1f}s); "
        f"medians of {ROUNDS} rounds"
    )
    report(
        "(a) the client's chart: client, notes, plan and measures pages, as the therapist",
        {
            "plain ORM query, nothing decrypted (baseline)": plain_chart(world, decrypt=False),
            "plain ORM query + decrypting what is shown": plain_chart(world, decrypt=True),
            "the four pages, through policy and audit": open_pages(browser, chart_urls(world)),
        },
        "plain ORM query, nothing decrypted (baseline)",
    )
    report(
        "(b) the therapist's week view",
        {
            "plain ORM query, nothing decrypted (baseline)": plain_week(world, decrypt=False),
            "plain ORM query + decrypting the names shown": plain_week(world, decrypt=True),
            "the week page, through policy and audit": open_pages(browser, [week_url(world)]),
        },
        "plain ORM query, nothing decrypted (baseline)",
    )
