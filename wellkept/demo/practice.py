"""The demo's confidential practice: the hospital's staff-support service and its clients.

Seeded through the practice's own services (intake, assignment,
supervision), so every client is stored exactly as the front desk would
store one: encrypted under the client's key, indexed by name, audited.
The clients are invented and their names say so.
"""

from __future__ import annotations

import datetime as dt
import random

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.orgs.models import Organisation
from wellkept.practice import services
from wellkept.practice.models import (
    AppointmentStatus,
    Client,
    ClientAssignment,
    ContactChannel,
    NoteStatus,
    PaymentMethod,
    ProgressNote,
    Recurrence,
    ServiceCode,
)
from wellkept.practice.services import GuardianDetails, Intake, Slot

# Clearly made up: nobody is called this.
CLIENT_NAMES = (
    ("Avery", "Placeholder"),
    ("Blake", "Samplewood"),
    ("Casey", "Fictionby"),
    ("Devon", "Mockridge"),
    ("Emery", "Dummett-Lane"),
    ("Finley", "Testcombe"),
    ("Gray", "Exampleton"),
    ("Harper", "Nonesuch"),
    ("Indigo", "Pretendale"),
    ("Jules", "Madeupson"),
    ("Kai", "Inventry"),
    ("Lane", "Imaginor"),
)
# The one minor among them (a staff member's child seen by the service).
MINOR_INDEX = 7
SEED = 18


def seed_practice(
    *,
    actor: SystemActor,
    organisation: Organisation,
    therapists: list[User],
    supervisor: User,
) -> int:
    """Take the demo clients in, give each a therapist, and set up supervision; return how many."""
    services.supervision_start(
        actor=actor, organisation=organisation, supervisor=supervisor, supervisee=therapists[-1]
    )
    # A fixed seed: the same demo on every run; nothing here is secret.
    rng = random.Random(SEED)  # noqa: S311
    today = clock.now().astimezone(dt.UTC).date()
    clients: list[Client] = []
    caseloads: dict[User, list[Client]] = {t: [] for t in therapists}
    for index, (first, last) in enumerate(CLIENT_NAMES):
        age = 14 if index == MINOR_INDEX else rng.randint(21, 64)
        born = today.replace(
            year=today.year - age, month=rng.randint(1, 12), day=rng.randint(1, 28)
        )
        if born > today.replace(year=today.year - age):
            born = born.replace(year=born.year - 1)
        local = f"{first}.{last}".lower()
        intake = Intake(
            legal_name=f"{first} {last}",
            preferred_name=first,
            pronouns=rng.choice(("she/her", "he/him", "they/them")),
            date_of_birth=born,
            email=f"{local}@demo-client.invalid",
            phone=f"0800 000 {1000 + index:04d}",
            contact_channels=(ContactChannel.EMAIL, ContactChannel.TEXT)
            if index % 3
            else (ContactChannel.PHONE,),
            voicemail_ok=index % 2 == 0,
            emergency_name=f"Sam {last}",
            emergency_relation=rng.choice(("partner", "sibling", "friend", "parent")),
            emergency_phone=f"0800 000 {2000 + index:04d}",
            referral_source=rng.choice(("Self-referral", "Occupational health", "GP (demo)")),
            insurance_payer="Demo Staff Scheme",
            insurance_member_id=f"DEMO-{4000 + index}",
        )
        guardian = (
            GuardianDetails(
                name=f"Robin {last}", relation="parent", phone=f"0800 000 {3000 + index:04d}"
            )
            if index == MINOR_INDEX
            else None
        )
        client = services.client_create(
            actor=actor, organisation=organisation, intake=intake, guardian=guardian
        )
        therapist = therapists[index % len(therapists)]
        services.client_assign(actor=actor, client=client, therapist=therapist)
        clients.append(client)
        caseloads[therapist].append(client)
    seed_schedule(actor=actor, organisation=organisation, caseloads=caseloads)
    seed_notes(actor=actor, organisation=organisation, clients=clients, supervisor=supervisor)
    seed_plans(clients=clients)
    seed_measures(clients=clients)
    seed_billing(actor=actor, organisation=organisation, clients=clients)
    seed_discharged(actor=actor, organisation=organisation, therapist=therapists[0])
    return len(CLIENT_NAMES) + 1


# A former client, made up like the others, whose care has ended.
FORMER_CLIENT = ("Morgan", "Formerly-Fictive")


def seed_discharged(*, actor: SystemActor, organisation: Organisation, therapist: User) -> Client:
    """Take in one more invented client, then discharge them, as a finished course of care."""
    first, last = FORMER_CLIENT
    today = clock.now().astimezone(dt.UTC).date()
    client = services.client_create(
        actor=actor,
        organisation=organisation,
        intake=Intake(
            legal_name=f"{first} {last}",
            preferred_name=first,
            date_of_birth=today.replace(year=today.year - 47, day=min(today.day, 28)),
            email="morgan.formerly@demo-client.invalid",
            contact_channels=(ContactChannel.EMAIL,),
            referral_source="Self-referral",
        ),
    )
    services.client_assign(actor=actor, client=client, therapist=therapist)
    return services.client_discharge(actor=actor, client=client, reason_code="completed").client


def seed_schedule(
    *, actor: SystemActor, organisation: Organisation, caseloads: dict[User, list[Client]]
) -> int:
    """Book a week of appointments for each therapist, and a weekly series; return how many."""
    rooms = [
        services.room_create(actor=actor, organisation=organisation, name=name, capacity_note=note)
        for name, note in (("Room A (demo)", "two chairs"), ("Room B (demo)", "family room"))
    ]
    zone = services.practice_zone()
    tomorrow = clock.now().astimezone(zone).date() + dt.timedelta(days=1)
    booked = 0
    for number, (therapist, clients) in enumerate(caseloads.items()):
        for index, client in enumerate(clients):
            # One a day, each therapist an hour after the last (so rooms never
            # clash however many there are); every third by video.
            start = dt.datetime.combine(
                tomorrow + dt.timedelta(days=index), dt.time(9 + number % 8), tzinfo=zone
            )
            room = None if index % 3 == 2 else rooms[number % len(rooms)]
            services.appointment_book(
                actor=actor,
                client=client,
                therapist=therapist,
                slot=Slot(start, start + dt.timedelta(minutes=50), room, room is None),
            )
            booked += 1
        if clients:
            # The first client comes every week in the afternoon, from next week on.
            start = dt.datetime.combine(
                tomorrow + dt.timedelta(days=7), dt.time(13 + number % 8), tzinfo=zone
            )
            services.appointment_series_book(
                actor=actor,
                client=clients[0],
                therapist=therapist,
                first=Slot(start, start + dt.timedelta(minutes=50), rooms[number % len(rooms)]),
                recurrence=Recurrence.WEEKLY,
                count=6,
            )
            booked += 6
    return booked


# The practice's own short descriptions (CPT descriptors are the AMA's, never shipped).
DEMO_SERVICE_CODES = (
    ("90791", "Intake assessment (demo description)"),
    ("90834", "Psychotherapy, 45 minutes (demo description)"),
    ("90837", "Psychotherapy, 60 minutes (demo description)"),
)
DEMO_DIAGNOSES = ("F43.20", "F41.1", "Z56.6", "F43.22", "Z63.0", "F51.01")
NOTES_PER_CLIENT = 2


def _demo_soap(rng: random.Random, first: str) -> dict[str, str]:
    # Invented session content, plainly labelled as such on every note.
    worry = rng.choice(("night shifts", "a new ward", "on-call weeks", "a staffing gap"))
    return {
        "subjective": f"(Demo) {first} reports tiredness and worry linked to {worry}.",
        "objective": "(Demo) Engaged, tired, affect congruent; no signs of acute distress.",
        "assessment": "(Demo) Work-related strain; no risk indicated today.",
        "plan": "(Demo) Sleep routine and a boundary plan for shifts; review in two weeks.",
    }


def seed_notes(
    *,
    actor: SystemActor,
    organisation: Organisation,
    clients: list[Client],
    supervisor: User,
) -> int:
    """Write a few signed notes per demo client, one trainee note left awaiting co-signature.

    The notes are written, signed and co-signed through the services as the
    therapists and the supervisor themselves (a note has a person as author),
    so they are encrypted and audited like any other. Returns how many.
    """
    services.service_codes_load(
        actor=actor, organisation=organisation, codes_given=DEMO_SERVICE_CODES
    )
    rng = random.Random(SEED + 3)  # noqa: S311 (fixed seed: the same demo every run)
    today = clock.now().astimezone(dt.UTC).date()
    written = 0
    waiting: ProgressNote | None = None
    for index, client in enumerate(clients):
        therapist = next(
            a.therapist for a in ClientAssignment.objects.filter(client=client, until__isnull=True)
        )
        first = CLIENT_NAMES[index][0]
        for week in range(NOTES_PER_CLIENT, 0, -1):
            note = services.note_create(
                actor=therapist,
                client=client,
                template_code="intake" if week == NOTES_PER_CLIENT else "soap",
                service_date=today - dt.timedelta(days=7 * week + index % 5),
                sections=_intake(first) if week == NOTES_PER_CLIENT else _demo_soap(rng, first),
                diagnosis_codes=[rng.choice(DEMO_DIAGNOSES)],
                service_codes=["90791" if week == NOTES_PER_CLIENT else "90834"],
            )
            note = services.note_sign(actor=therapist, note=note)
            if note.status == NoteStatus.SIGNED:
                # The trainee's last note waits for the supervisor in the queue.
                if waiting is not None:
                    services.note_cosign(actor=supervisor, note=waiting)
                waiting = note
            written += 1
    return written


def _intake(first: str) -> dict[str, str]:
    return {
        "presenting_problem": f"(Demo) {first} asks for support with sleep and stress at work.",
        "history": "(Demo) No previous treatment; physically well.",
        "mental_status": "(Demo) Alert, oriented, coherent; mood low-normal.",
        "risk": "(Demo) No thoughts of harm; supportive partner; knows the crisis line.",
        "formulation": "",
        "plan": "(Demo) Six sessions, fortnightly; review measures at session three.",
    }


# Treatment plans (issue 18, part 4): one client in PLAN_EVERY has a plan.
PLAN_EVERY = 3
DEMO_PLAN = """\
Problem: (Demo) {first}'s sleep is disrupted by {worry}
  Goal: (Demo) Sleep at least six hours after a shift
    Objective: (Demo) Sleep diary shows six hours or more
      Measure: Sleep diary
      Target: 5 of 7 nights
      By: {by}
      Intervention: (Demo) Sleep scheduling
      Intervention: (Demo) Wind-down routine before bed
Problem: (Demo) Worry about work spills into days off
  Goal: (Demo) Days off feel like rest
    Objective: (Demo) GAD-7 total below 10
      Measure: GAD-7
      Target: below 10
      By: {by}
      Intervention: (Demo) Worry time and boundary plan
"""


def seed_plans(*, clients: list[Client]) -> int:
    """Write and sign a plan for some demo clients, as their therapists; return how many.

    Review dates are spread so that a few fall within the coming week (the
    reviews-due list has something to show); one client has a second,
    signed version and signed it in session.
    """
    rng = random.Random(SEED + 5)  # noqa: S311 (fixed seed: the same demo every run)
    today = clock.now().astimezone(dt.UTC).date()
    written = 0
    for index, client in enumerate(clients):
        if index % PLAN_EVERY:
            continue
        therapist = next(
            a.therapist for a in ClientAssignment.objects.filter(client=client, until__isnull=True)
        )
        first = CLIENT_NAMES[index][0]
        worry = rng.choice(("night shifts", "on-call weeks", "a staffing gap"))
        outline = DEMO_PLAN.format(
            first=first, worry=worry, by=(today + dt.timedelta(days=84)).isoformat()
        )
        plan = services.plan_create(
            actor=therapist,
            client=client,
            content=services.parse_outline(outline),
            review_date=today + dt.timedelta(days=2 + 5 * (index // PLAN_EVERY)),
        )
        plan = services.plan_sign(actor=therapist, plan=plan)
        written += 1
        if index == 0:
            revised = services.plan_create(
                actor=therapist,
                client=client,
                content=services.parse_outline(outline.replace("six hours", "seven hours")),
                review_date=today + dt.timedelta(days=42),
            )
            revised = services.plan_sign(actor=therapist, plan=revised)
            legal = client.legal_name if isinstance(client.legal_name, str) else ""
            services.plan_client_sign(actor=therapist, plan=revised, typed_name=legal)
            written += 1
    return written


# Measurement-based care (issue 18, part 4): fortnightly PHQ-9 and GAD-7
# for one client in MEASURE_EVERY; invented totals, the first improving
# past the PHQ-9's cut-off of 10, and no safety answer (the demo alerts
# nobody).
MEASURE_EVERY = 4
DEMO_PHQ9_SERIES = ((16, 14, 11, 8, 6), (12, 12, 13, 11, 10), (9, 8, 9, 7, 7))
DEMO_GAD7_SERIES = ((14, 12, 9, 7, 5), (11, 10, 10, 9, 9), (8, 8, 7, 6, 6))


def _spread(prefix: str, items: int, total: int, *, last: str = "") -> dict[str, int | None]:
    """Answers 0-3 that add up to ``total``, filled from the first item; ``last`` answered 0."""
    answers: dict[str, int | None] = {}
    rest = total
    for n in range(1, items + 1):
        key = f"{prefix}_{n}"
        value = 0 if key == last else min(3, rest)
        answers[key] = value
        rest -= value
    return answers


def seed_measures(*, clients: list[Client]) -> int:
    """Assign and record a PHQ-9 and GAD-7 series for some demo clients; return how many results."""
    today = clock.now().astimezone(dt.UTC).date()
    recorded = 0
    for position, index in enumerate(range(0, len(clients), MEASURE_EVERY)):
        client = clients[index]
        therapist = next(
            a.therapist for a in ClientAssignment.objects.filter(client=client, until__isnull=True)
        )
        phq9 = DEMO_PHQ9_SERIES[position % len(DEMO_PHQ9_SERIES)]
        gad7 = DEMO_GAD7_SERIES[position % len(DEMO_GAD7_SERIES)]
        for code in ("phq9", "gad7"):
            services.measure_assign(actor=therapist, client=client, instrument=code, every_weeks=2)
        for step, (depression, anxiety) in enumerate(zip(phq9, gad7, strict=True)):
            day = today - dt.timedelta(weeks=2 * (len(phq9) - 1 - step))
            services.measure_record(
                actor=therapist,
                client=client,
                instrument="phq9",
                answers=_spread("phq9", 9, depression, last="phq9_9"),
                administered_on=day,
            )
            services.measure_record(
                actor=therapist,
                client=client,
                instrument="gad7",
                answers=_spread("gad7", 7, anxiety),
                administered_on=day,
            )
            recorded += 2
    return recorded


# Invented fees in whole cents, from a day long past so every demo session has one.
DEMO_FEES = (("90791", 20000), ("90834", 12000), ("90837", 16000))
DEMO_CURRENCY = "USD"
# Charged for a late cancellation, which carries no service code.
DEMO_LATE_FEE = 6000
DEMO_FEES_FROM = dt.date(2020, 1, 1)
# Of the past sessions: the first this many are charged, the rest wait in the queue.
DEMO_CHARGED = 6
DEMO_HELD = 9


def seed_billing(*, actor: SystemActor, organisation: Organisation, clients: list[Client]) -> int:
    """Set the demo's fees and hold last week's sessions; charge, invoice and pay some.

    The schedule's seeding books the weeks ahead only, so the sessions to
    bill are booked in the past here, marked attended (one a late
    cancellation) through the schedule's services, then charged and paid
    through billing's, so the queue, the accounts and the audit trail all
    look lived-in. Returns how many sessions were held.
    """
    codes = {c.code: c for c in ServiceCode.objects.filter(organisation=organisation)}
    for code, amount in DEMO_FEES:
        services.fee_set(
            actor=actor,
            organisation=organisation,
            service_code=codes[code],
            amount=amount,
            currency=DEMO_CURRENCY,
            effective_from=DEMO_FEES_FROM,
        )
    services.fee_set(
        actor=actor,
        organisation=organisation,
        service_code=None,
        amount=DEMO_LATE_FEE,
        currency=DEMO_CURRENCY,
        effective_from=DEMO_FEES_FROM,
    )
    zone = services.practice_zone()
    last_week = clock.now().astimezone(zone).date() - dt.timedelta(days=7)
    held = 0
    for index, client in enumerate(clients[:DEMO_HELD]):
        therapist = next(
            a.therapist for a in ClientAssignment.objects.filter(client=client, until__isnull=True)
        )
        # A different hour per client: never a clash, whoever the therapist.
        start = dt.datetime.combine(
            last_week - dt.timedelta(days=index % 5), dt.time(8 + index), tzinfo=zone
        )
        appointment = services.appointment_book(
            actor=actor,
            client=client,
            therapist=therapist,
            slot=Slot(start, start + dt.timedelta(minutes=50), None, True),
        )
        late = index == 4
        appointment = services.appointment_mark(
            actor=actor,
            appointment=appointment,
            status=AppointmentStatus.LATE_CANCELLED if late else AppointmentStatus.ATTENDED,
        )
        held += 1
        if index >= DEMO_CHARGED:
            continue
        services.charge_create(
            actor=actor, appointment=appointment, service_code=None if late else codes["90834"]
        )
        if index % 2 == 0:
            services.invoice_issue(actor=actor, client=client)
        if index % 3 == 0:
            services.payment_record(
                actor=actor,
                client=client,
                amount=12000,
                method=PaymentMethod.CARD if index else PaymentMethod.INSURANCE,
                received_on=last_week,
                reference="DEMO-0000",
            )
    return held
