"""The demo's confidential practice: the hospital's staff-support service and its clients.

Three therapists (the last a trainee under the clinical supervisor) and
about eighty invented clients, with a year of sessions, signed notes,
treatment plans and their reviews, PHQ-9 and GAD-7 scores, charges,
invoices and payments. Intake, assignment, supervision, fees, the series
ahead and discharges go through the practice's own services, so each
client is stored exactly as the front desk would store one: encrypted
under the client's key, indexed by name, audited. The year behind them
takes the bulk path (``demo.bulk.practice``): still sealed under each
client's key, recorded as one ``data.seeded`` event. The clients are
invented and their names say so.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.demo.bulk.practice import (
    PRACTICE_SEEDED,
    Course,
    PracticeCounts,
    plan_practice_year,
    write_practice_year,
)
from wellkept.disclosures import services as release
from wellkept.disclosures.models import Authorisation, AuthorisationKind
from wellkept.messaging import services as messaging
from wellkept.messaging.models import ThreadKind
from wellkept.orgs.models import Organisation
from wellkept.portal import care as portal_care
from wellkept.portal import selectors as portal_selectors
from wellkept.portal import services as portal_services
from wellkept.portal.models import GuardianSection, PortalGuardianMembership, PortalMembership
from wellkept.practice import services
from wellkept.practice.models import (
    Case,
    CaseKind,
    CaseMember,
    CaseTherapist,
    Client,
    ClientAssignment,
    ClientStatus,
    ConsentDocumentSignature,
    ContactChannel,
    DocumentKind,
    ProgressNote,
    Recurrence,
    Room,
    ServiceCode,
    Supervision,
)
from wellkept.practice.services import GuardianDetails, Intake, Slot

# Clearly made up: nobody is called this. The first twelve pairs are the
# demo's first clients; the rest are combined from the same lists.
FIRST_NAMES = (
    "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Gray", "Harper", "Indigo", "Jules",
    "Kai", "Lane", "Marlow", "Noel", "Oakley", "Parker", "Quinn", "Reese", "Sage", "Tatum",
    "Umber", "Vale", "Wren", "Xen", "Yael", "Zion",
)  # fmt: skip
LAST_NAMES = (
    "Placeholder", "Samplewood", "Fictionby", "Mockridge", "Dummett-Lane", "Testcombe",
    "Exampleton", "Nonesuch", "Pretendale", "Madeupson", "Inventry", "Imaginor", "Notreal",
    "Fauxley", "Stand-Inn", "Surrogate",
)  # fmt: skip
# The minors among them (staff members' children seen by the service), by
# position, and their ages.
MINORS = {7: 14, 23: 16, 41: 12, 66: 17}
# One client in DISCHARGED_EVERY finished their course during the year.
DISCHARGED_EVERY = 10
# One client in TRAINEE_EVERY sees the trainee, the rest the two therapists.
TRAINEE_EVERY = 5
# The client whose latest PHQ-9 answered item 9 above 0 (their therapist is alerted).
ALERT_INDEX = 2
SEED = 18
INSURERS = ("Demo Staff Scheme", "Demo Mutual (fictional)", "Example Health Plan (demo)")
NOTE_STYLES = ("soap", "dap", "birp")


@dataclass(frozen=True)
class PracticeSize:
    """How big the demo practice is: clients taken in, and weeks of history before today."""

    clients: int = 80
    weeks: int = 52


# The demo's practice; SMALL keeps every kind of row for tests that only read one.
DEFAULT_SIZE = PracticeSize()
SMALL = PracticeSize(clients=12, weeks=10)
MIN_CLIENTS = 12
# Each therapist sees a client in a weekday and hour of their own (five days,
# eight hours): two therapists take two clients in five each, so more than
# a hundred would double-book them.
MAX_CLIENTS = 100


def client_name(index: int) -> tuple[str, str]:
    """The invented first and last name of the demo's ``index``-th client; never repeated."""
    # The last name moves one further on each pass through the first names,
    # so no pair comes twice in the first len(FIRST_NAMES) * len(LAST_NAMES).
    first = FIRST_NAMES[index % len(FIRST_NAMES)]
    last = LAST_NAMES[(index + index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return first, last


def is_insured(index: int) -> bool:
    """Whether the ``index``-th client claims from an insurer (six in ten) or pays themselves."""
    return (index * 7) % 10 < 6


def history_seeded(organisation: Organisation) -> bool:
    """True once the practice's year was written for the organisation, per the audit trail."""
    return AuditEntry.objects.filter(
        event=EventType.DATA_SEEDED,
        target=f"organisation:{organisation.pk}",
        reason__startswith=PRACTICE_SEEDED,
    ).exists()


def seed_practice(
    *,
    actor: SystemActor,
    organisation: Organisation,
    therapists: list[User],
    supervisor: User,
    size: PracticeSize = DEFAULT_SIZE,
) -> int:
    """Take the demo clients in, give each a therapist, set up supervision; return how many.

    The last of ``therapists`` is the trainee, supervised by ``supervisor``.
    Everything here goes through the practice's services, audited one by
    one. The year behind the clients is ``seed_practice_history``'s, once
    this has committed.
    """
    if not MIN_CLIENTS <= size.clients <= MAX_CLIENTS:
        raise ValueError(f"The demo practice takes {MIN_CLIENTS} to {MAX_CLIENTS} clients.")
    trainee = therapists[-1]
    services.supervision_start(
        actor=actor, organisation=organisation, supervisor=supervisor, supervisee=trainee
    )
    # A fixed seed: the same demo on every run; nothing here is secret.
    rng = random.Random(SEED)  # noqa: S311
    today = clock.now().astimezone(services.practice_zone()).date()
    for name, note in ROOMS:
        services.room_create(actor=actor, organisation=organisation, name=name, capacity_note=note)
    seed_fees(actor=actor, organisation=organisation)
    for index in range(size.clients):
        client = _take_in(actor, organisation, rng, index, today)
        therapist = (
            trainee
            if index % TRAINEE_EVERY == TRAINEE_EVERY - 1
            else therapists[index % 2 if len(therapists) > 2 else 0]
        )
        services.client_assign(actor=actor, client=client, therapist=therapist)
    return size.clients


ROOMS = (
    ("Room A (demo)", "two chairs"),
    ("Room B (demo)", "family room"),
    ("Room C (demo)", "two chairs, by the garden"),
)


def seed_practice_history(
    *, actor: SystemActor, organisation: Organisation, weeks: int = DEFAULT_SIZE.weeks
) -> PracticeCounts | None:
    """Give the demo practice's clients a year of care before today; None if it has one already.

    Run after ``seed_practice`` has committed, in one transaction of its
    own: the vault caches a client's data key only once it is committed,
    and sealing thousands of values each with a fresh key lookup would take
    half a minute instead of seconds. Being one transaction, it either
    writes the whole year or nothing, and the next run of `wellkept
    seed_demo` starts it again. The course of each client is drawn from the
    order they were taken in (the order of their assignments), so the same
    practice gets the same year.
    """
    # A practice whose clients already have notes (a demo seeded before the
    # practice had a year) is left as it is: its year would collide with them.
    if (
        history_seeded(organisation)
        or ProgressNote.objects.filter(client__organisation=organisation).exists()
    ):
        return None
    assignments = list(
        ClientAssignment.objects.filter(client__organisation=organisation)
        .select_related("client", "therapist")
        .order_by("pk")
    )
    supervision = Supervision.objects.filter(organisation=organisation, until__isnull=True).first()
    if not assignments or supervision is None:
        return None
    supervisor, trainee = supervision.supervisor, supervision.supervisee
    rng = random.Random(SEED + 1)  # noqa: S311 (fixed seed: the same demo every run)
    zone = services.practice_zone()
    today = clock.now().astimezone(zone).date()
    window = today - dt.timedelta(weeks=weeks)
    rooms = {r.name: r for r in Room.objects.filter(organisation=organisation)}
    therapists: list[User] = []
    seen_by: dict[User, int] = {}
    courses: list[Course] = []
    for index, assignment in enumerate(assignments):
        client, therapist = assignment.client, assignment.therapist
        if therapist not in seen_by:
            therapists.append(therapist)
            seen_by[therapist] = 0
        # Each client keeps a weekday and hour with their therapist, so no
        # therapist is ever booked twice at once; the therapist keeps a room.
        slot = seen_by[therapist]
        seen_by[therapist] += 1
        number = therapists.index(therapist)
        first, last = client_name(index)
        discharged = index % DISCHARGED_EVERY == DISCHARGED_EVERY - 1
        weeks_in = rng.randint(1, weeks)
        start = window + dt.timedelta(weeks=weeks - weeks_in, days=rng.randint(0, 6))
        if index == ALERT_INDEX:
            start = min(start, today - dt.timedelta(weeks=8))
        cadence = 14 if rng.random() < 0.3 else 7
        end = None
        if discharged:
            start = min(start, window + dt.timedelta(days=rng.randint(0, 20)))
        start += dt.timedelta(days=(slot % 5 - start.weekday()) % 7)
        if discharged:
            end = start + dt.timedelta(days=cadence * rng.randint(5, 13))
            while end > today - dt.timedelta(days=14) and end > start:
                end -= dt.timedelta(days=cadence)
        room_name = ROOMS[number % len(ROOMS)][0]
        courses.append(
            Course(
                client=client,
                therapist=therapist,
                first_name=first,
                legal_name=f"{first} {last}",
                start=start,
                end=end,
                cadence=cadence,
                weekday=slot % 5,
                hour=9 + (slot // 5) % 8,
                room=None if rng.random() < 0.3 else rooms.get(room_name),
                style=NOTE_STYLES[number % len(NOTE_STYLES)],
                diagnosis=rng.choice(DEMO_DIAGNOSES),
                insured=is_insured(index),
                trajectory="improving"
                if discharged
                else rng.choices(("improving", "flat", "worse"), weights=(70, 20, 10))[0],
                cosign=therapist == trainee,
                alert=index == ALERT_INDEX,
                client_signs=rng.random() < 0.5,
                behind=rng.random() < 0.15,
            )
        )
    # The first client in care of each therapist comes every week from next
    # week on, booked as a series through the schedule's service.
    for therapist in therapists:
        mine = [c for c in courses if c.therapist == therapist and c.end is None]
        if mine:
            mine[0].series = True
    # Drawn and sealed first, outside the transaction (see plan_practice_year).
    year = plan_practice_year(
        organisation=organisation,
        courses=courses,
        supervisor=supervisor,
        fees=dict(DEMO_FEES),
        late_fee=DEMO_LATE_FEE,
        currency=DEMO_CURRENCY,
        rng=random.Random(SEED + 2),  # noqa: S311 (fixed seed: the same demo every run)
    )
    with transaction.atomic():
        _date_the_intakes(courses, since=window - dt.timedelta(weeks=1), supervision=supervision)
        counts = write_practice_year(actor=actor, organisation=organisation, year=year)
        for course in courses:
            if course.series:
                _book_series(actor, course, today)
            if course.end is not None:
                _discharge(actor, course)
        _seed_couple(actor, organisation, courses, today)
    return counts


def _seed_couple(
    actor: SystemActor, organisation: Organisation, courses: list[Course], today: dt.date
) -> None:
    """Two of the first therapist's clients seen as a couple: a joint session and a joint note.

    Through the services, so the case, the booking and each member's copy of
    the note are audited and sealed as the pages would do it. The session is
    at 17:00, after the last of the therapists' weekly hours.
    """
    therapist = courses[0].therapist
    members = [c.client for c in courses if c.therapist == therapist and c.end is None][:2]
    if len(members) < 2:
        return
    case = services.case_create(
        actor=actor,
        organisation=organisation,
        kind=CaseKind.COUPLE,
        members=members,
        therapists=[therapist],
    )
    zone = services.practice_zone()
    day = today + dt.timedelta(days=8 - today.weekday())
    start = dt.datetime.combine(day, dt.time(17), tzinfo=zone)
    rooms = Room.objects.filter(organisation=organisation, name=ROOMS[1][0])
    services.case_appointment_book(
        actor=actor,
        case=case,
        therapist=therapist,
        slot=Slot(start, start + dt.timedelta(minutes=50), rooms.first(), False),
    )
    # Seen together for a month already: the case, its members and its
    # therapist date from then, and the last joint session was on the most
    # recent weekday before today.
    opened = clock.now() - dt.timedelta(weeks=4)
    Case.objects.filter(pk=case.pk).update(created_at=opened)
    CaseMember.objects.filter(case=case).update(since=opened)
    CaseTherapist.objects.filter(case=case).update(since=opened)
    last_session = today - dt.timedelta(days=1)
    while last_session.weekday() >= 5:
        last_session -= dt.timedelta(days=1)
    joint = services.joint_note_create(
        actor=therapist,
        case=case,
        template_code="soap",
        service_date=last_session,
        sections={
            "subjective": "(Demo) Both describe arguments about shift rotas and childcare.",
            "objective": "(Demo) Engaged; took turns; one interrupted less as the session went on.",
            "assessment": "(Demo) Communication strained by work pressure; no safety concerns.",
            "plan": "(Demo) Practise a weekly planning talk; review in two weeks.",
        },
    )
    services.joint_note_sign(actor=therapist, joint=joint)


def _take_in(
    actor: SystemActor, organisation: Organisation, rng: random.Random, index: int, today: dt.date
) -> Client:
    first, last = client_name(index)
    age = MINORS.get(index) or rng.randint(21, 64)
    born = today.replace(year=today.year - age, month=rng.randint(1, 12), day=rng.randint(1, 28))
    if born > today.replace(year=today.year - age, day=min(today.day, 28)):
        born = born.replace(year=born.year - 1)
    local = f"{first}.{last}".lower()
    insured = is_insured(index)
    insurer = rng.choice(INSURERS)
    intake = Intake(
        legal_name=f"{first} {last}",
        preferred_name=first,
        pronouns=rng.choice(("she/her", "he/him", "they/them", "she/they", "")),
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
        # Self-paying clients leave the insurance empty.
        insurance_payer=insurer if insured else "",
        insurance_member_id=f"DEMO-{4000 + index}" if insured else "",
    )
    guardian = (
        GuardianDetails(
            name=f"Robin {last}",
            relation="parent",
            phone=f"0800 000 {3000 + index:04d}",
            email=f"robin.{last}.guardian@demo-client.invalid".lower(),
        )
        if index in MINORS
        else None
    )
    client = services.client_create(
        actor=actor, organisation=organisation, intake=intake, guardian=guardian
    )
    return client


def _book_series(actor: SystemActor, course: Course, today: dt.date) -> None:
    """Book six weekly sessions from the client's slot next week, through the service."""
    zone = services.practice_zone()
    day = today + dt.timedelta(days=1)
    day += dt.timedelta(days=(course.weekday - day.weekday()) % 7)
    start = dt.datetime.combine(day, dt.time(course.hour), tzinfo=zone)
    services.appointment_series_book(
        actor=actor,
        client=course.client,
        therapist=course.therapist,
        first=Slot(start, start + dt.timedelta(minutes=50), course.room, course.room is None),
        recurrence=Recurrence.WEEKLY,
        count=6,
    )


def _discharge(actor: SystemActor, course: Course) -> None:
    """Discharge through the service, then date it to the course's last session."""
    ended = course.end or clock.now().date()
    services.client_discharge(actor=actor, client=course.client, reason_code="completed")
    Client.objects.filter(pk=course.client.pk).update(discharged_on=ended)
    ClientAssignment.objects.filter(client=course.client).update(
        until=dt.datetime.combine(ended, dt.time(18), tzinfo=dt.UTC)
    )


def _date_the_intakes(courses: list[Course], *, since: dt.date, supervision: Supervision) -> None:
    """Date each client's intake and assignment to their first week, not to the seed.

    The audit trail keeps the real time of the seed, as the check-ins'
    enrolments do (``seeding._date_the_launch``).
    """
    for course in courses:
        taken_in = dt.datetime.combine(
            course.start - dt.timedelta(days=7), dt.time(10), tzinfo=dt.UTC
        )
        Client.objects.filter(pk=course.client.pk).update(created_at=taken_in)
        ClientAssignment.objects.filter(client=course.client).update(since=taken_in)
    Supervision.objects.filter(pk=supervision.pk).update(
        since=dt.datetime.combine(since, dt.time(9), tzinfo=dt.UTC)
    )


# The practice's own short descriptions (CPT descriptors are the AMA's, never shipped).
DEMO_SERVICE_CODES = (
    ("90791", "Intake assessment (demo description)"),
    ("90834", "Psychotherapy, 45 minutes (demo description)"),
    ("90837", "Psychotherapy, 60 minutes (demo description)"),
)
DEMO_DIAGNOSES = ("F43.20", "F41.1", "Z56.6", "F43.22", "Z63.0", "F51.01")
# Invented fees in whole cents, from a day long past so every demo session has one.
DEMO_FEES = (("90791", 20000), ("90834", 12000), ("90837", 16000))
DEMO_CURRENCY = "USD"
# Charged for a late cancellation, which carries no service code.
DEMO_LATE_FEE = 6000
DEMO_FEES_FROM = dt.date(2020, 1, 1)


def seed_fees(*, actor: SystemActor, organisation: Organisation) -> tuple[dict[str, int], int]:
    """Load the demo's service codes and set their fees; return the fees and the late fee."""
    services.service_codes_load(
        actor=actor, organisation=organisation, codes_given=DEMO_SERVICE_CODES
    )
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
    return dict(DEMO_FEES), DEMO_LATE_FEE


# The demo's release of information (issue 19): one client's authorisation
# to their GP, and one disclosure under it, so the pages have something to show.
DEMO_GP = ("Dr Demo Generalpractice", "Demo Street Surgery", "gp@surgery.example.invalid")


def seed_release(*, actor: SystemActor, organisation: Organisation) -> bool:
    """Record one authorisation to a GP and one disclosure under it; False if already there."""
    if Authorisation.objects.filter(client__organisation=organisation).exists():
        return False
    assignment = (
        ClientAssignment.objects.filter(
            client__organisation=organisation,
            client__status=ClientStatus.ACTIVE,
            until__isnull=True,
        )
        .select_related("client", "client__organisation")
        .order_by("pk")
        .first()
    )
    if assignment is None or not isinstance(assignment.client.legal_name, str):
        return False
    client = assignment.client
    today = clock.now().astimezone(dt.UTC).date()
    gp = release.Recipient(*DEMO_GP)
    authorisation = release.authorisation_sign(
        actor=actor,
        client=client,
        kind=AuthorisationKind.RECORDS,
        categories=["demographics", "diagnoses", "progress_notes"],
        records_from=today - dt.timedelta(days=365),
        records_to=today,
        expires_on=today + dt.timedelta(days=180),
        recipient=gp,
        purpose="Continuity of care with the client's GP.",
        signed_name=client.legal_name,
    )
    release.disclosure_make(
        actor=actor,
        client=client,
        authorisation=authorisation,
        categories=["demographics", "diagnoses"],
        records_from=today - dt.timedelta(days=90),
        records_to=today,
    )
    return True


# The demo client with a portal login (issue 19): the first client, an
# adult in care with the demo specialist.
PORTAL_CLIENT_INDEX = 0


def seed_portal_client(*, actor: SystemActor, organisation: Organisation, password: str) -> User:
    """Invite the demo's first client to the portal and accept at once; return the login.

    Through the portal's own services, audited as a real invitation is; the
    link goes nowhere but the accepting call, as the demo's mail does.
    """
    client = (
        Client.objects.filter(organisation=organisation, guardians__isnull=True)
        .order_by("created_at")
        .first()
    )
    if client is None:
        raise ValueError("The demo practice has no adult client to invite to the portal.")
    issued = portal_services.portal_invitation_create(actor=actor, client=client)
    token = issued.url.rstrip("/").rsplit("/", 1)[-1]
    login = portal_services.portal_invitation_accept(token=token, password=password)
    # One pending appointment request, so the practice's request pages and
    # the client's have something to show (and the crawl opens them).
    day = clock.now().astimezone(dt.UTC).replace(hour=15, minute=0, second=0, microsecond=0)
    portal_care.portal_request_make(
        actor=login,
        choices=[day + dt.timedelta(days=3), day + dt.timedelta(days=4)],
        note="Late afternoons suit me best after work.",
        video=True,
    )
    # A PHQ-9 every two weeks, last answered in session three weeks ago: due
    # now in the portal, with a past result to open.
    assignment = (
        ClientAssignment.objects.filter(client=client, until__isnull=True)
        .select_related("therapist")
        .first()
    )
    if assignment is not None:
        services.measure_assign(
            actor=assignment.therapist, client=client, instrument="phq9", every_weeks=2
        )
        services.measure_record(
            actor=assignment.therapist,
            client=client,
            instrument="phq9",
            answers={f"phq9_{n}": 1 for n in range(1, 9)} | {"phq9_9": 0},
            administered_on=clock.now().astimezone(dt.UTC).date() - dt.timedelta(weeks=3),
        )
    return login


def seed_messages(*, login: User) -> int:
    """Seed the demo portal client's conversations: a care thread and a consultation.

    Written by the client's therapist and the client through the messaging
    services (audited, encrypted, as real ones are), so every message page
    has something to show. Return how many threads were started.
    """
    client = login.portal_membership.client
    assignment = (
        ClientAssignment.objects.filter(client=client, until__isnull=True)
        .select_related("therapist")
        .first()
    )
    if assignment is None:
        return 0
    therapist = assignment.therapist
    care = messaging.thread_start(
        actor=therapist,
        client=client,
        kind=ThreadKind.CARE,
        subject="The breathing exercise",
        body="As promised, here is the exercise we tried today. Try it twice a day this week.",
        attachment=messaging.Upload(
            name="breathing.txt",
            data=b"Breathe in for four, hold for four, out for six. Repeat five times.\n",
        ),
    )
    messaging.message_send(
        actor=login, thread=care, body="Thank you. Is it fine to do it before bed as well?"
    )
    messaging.message_send(
        actor=therapist, thread=care, body="Yes, before bed is a good time for it."
    )
    messaging.thread_start(
        actor=therapist,
        client=client,
        kind=ThreadKind.CONSULTATION,
        subject="Pacing of the exposure work",
        body="Would you look at the plan before our next supervision? I wonder about the pace.",
    )
    return 2


def seed_guardian_portal(
    *, actor: SystemActor, organisation: Organisation, password: str
) -> User | None:
    """Give the first minor in care's guardian a portal login seeing appointments and invoices.

    Through the portal's services, as the minor's therapist would: the
    sharing is decided (and audited), the guardian invited, the link accepted.
    """
    minors = (
        Client.objects.filter(
            organisation=organisation, status=ClientStatus.ACTIVE, guardians__isnull=False
        )
        .distinct()
        .order_by("created_at")
    )
    client = next((c for c in minors if portal_selectors.still_a_minor(c)), None)
    if client is None:
        return None
    guardian = client.guardians.order_by("created_at").first()
    if guardian is None:
        return None
    portal_services.guardian_sharing_set(
        actor=actor,
        client=client,
        sections=frozenset({GuardianSection.APPOINTMENTS, GuardianSection.INVOICES}),
    )
    issued = portal_services.guardian_invitation_create(actor=actor, guardian=guardian)
    token = issued.url.rstrip("/").rsplit("/", 1)[-1]
    return portal_services.portal_invitation_accept(token=token, password=password)


def guardian_portal_login(organisation: Organisation) -> User | None:
    """The demo guardian's portal login, if it was seeded (for the printed logins)."""
    membership = (
        PortalGuardianMembership.objects.filter(guardian__client__organisation=organisation)
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    return membership.user if membership is not None else None


def portal_client_login(organisation: Organisation) -> User | None:
    """The demo client's portal login, if it was seeded (for the printed logins)."""
    membership = (
        PortalMembership.objects.filter(client__organisation=organisation)
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    return membership.user if membership is not None else None


def seed_documents(*, organisation: Organisation) -> bool:
    """Give the demo portal client one form to sign and one signed; False if already there.

    Done as the client's therapist, through the practice's services (a
    system actor may not ask for consent): the therapist asks for the
    treatment consent, which waits in the portal, and records the telehealth
    consent the client signed in the office.
    """
    membership = (
        PortalMembership.objects.filter(client__organisation=organisation)
        .select_related("client", "client__organisation")
        .order_by("created_at")
        .first()
    )
    if membership is None:
        return False
    client = membership.client
    if ConsentDocumentSignature.objects.filter(client=client).exists():
        return False
    assignment = (
        ClientAssignment.objects.filter(client=client, until__isnull=True)
        .select_related("therapist")
        .first()
    )
    if assignment is None or not isinstance(client.legal_name, str):
        return False
    therapist = assignment.therapist
    services.document_request(actor=therapist, client=client, kind=DocumentKind.TREATMENT)
    telehealth = services.document_request(
        actor=therapist, client=client, kind=DocumentKind.TELEHEALTH
    )
    services.document_sign_in_office(
        actor=therapist, signature=telehealth, typed_name=client.legal_name, agreed=True
    )
    return True
