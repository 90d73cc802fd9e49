"""The demo's practice: invented clients taken in through the services, and their year."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.demo import practice as demo_practice
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Organisation, Role
from wellkept.practice import selectors, services
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    Case,
    CaseKind,
    Charge,
    Client,
    ClientStatus,
    Fee,
    Guardian,
    Invoice,
    MeasureAlert,
    MeasureResult,
    NoteStatus,
    Payment,
    PlanStatus,
    ProgressNote,
    Room,
    ServiceCode,
    Supervision,
    TreatmentPlan,
)

pytestmark = pytest.mark.django_db

ACTOR = SystemActor("seed_demo")


def _staff(org: Organisation, email: str, role: Role) -> User:
    user = User.objects.create_user(email, None)
    orgs.staff_membership_grant(actor=ACTOR, user=user, organisation=org, role=role)
    return user


def _practice(size: demo_practice.PracticeSize) -> dict[str, User | Organisation]:
    org = orgs.organisation_create(actor=ACTOR, name="Demo", slug="demo-practice")
    people: dict[str, User | Organisation] = {"org": org}
    for key, role in (
        ("rafael", Role.SPECIALIST),
        ("ines", Role.SPECIALIST),
        ("oscar", Role.SPECIALIST),
        ("grace", Role.CLINICAL_SUPERVISOR),
        ("kasia", Role.FRONT_DESK),
        ("tomasz", Role.BILLING),
    ):
        people[key] = _staff(org, f"{key}@demo.invalid", role)
    demo_practice.seed_practice(
        actor=ACTOR,
        organisation=org,
        therapists=[people["rafael"], people["ines"], people["oscar"]],  # type: ignore[list-item]
        supervisor=people["grace"],  # type: ignore[arg-type]
        size=size,
    )
    return people


def test_it_takes_in_invented_clients_for_three_therapists_and_a_supervised_trainee() -> None:
    people = _practice(demo_practice.SMALL)
    org, rafael, oscar, grace, kasia = (
        people["org"],
        people["rafael"],
        people["oscar"],
        people["grace"],
        people["kasia"],
    )
    assert isinstance(org, Organisation)

    assert Client.objects.filter(organisation=org).count() == demo_practice.SMALL.clients
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_CLIENT_CREATED).count() == 12
    assert Guardian.objects.filter(client__organisation=org).count() == 1
    assert Supervision.objects.filter(supervisor=grace, supervisee=oscar).exists()
    assert len(selectors.client_list(actor=kasia, organisation=org)) == 12  # type: ignore[arg-type]
    # Two in five see each therapist, one in five the trainee, whom the
    # supervisor oversees.
    assert len(selectors.client_list(actor=rafael, organisation=org)) == 5  # type: ignore[arg-type]
    assert len(selectors.client_list(actor=oscar, organisation=org)) == 2  # type: ignore[arg-type]
    assert len(selectors.client_list(actor=grace, organisation=org)) == 2  # type: ignore[arg-type]
    names = {c.legal_name for c in Client.objects.filter(organisation=org)}
    assert "Avery Placeholder" in names
    # Self-paying clients leave the insurance empty.
    payers = [c.insurance_payer for c in Client.objects.filter(organisation=org)]
    assert "" in payers
    assert "Demo Staff Scheme" in payers or "Demo Mutual (fictional)" in payers
    assert ServiceCode.objects.filter(organisation=org).count() == 3
    assert Fee.objects.filter(organisation=org).count() == len(demo_practice.DEMO_FEES) + 1
    assert Room.objects.filter(organisation=org, name__endswith="(demo)").count() == 3


def test_it_never_repeats_a_client_name_and_refuses_a_practice_out_of_range() -> None:
    every = len(demo_practice.FIRST_NAMES) * len(demo_practice.LAST_NAMES)
    names = [demo_practice.client_name(i) for i in range(every)]
    assert len(set(names)) == len(names)
    assert names[:2] == [("Avery", "Placeholder"), ("Blake", "Samplewood")]
    org = orgs.organisation_create(actor=ACTOR, name="Demo", slug="demo-practice")
    therapist = _staff(org, "t@demo.invalid", Role.SPECIALIST)
    with pytest.raises(ValueError, match="takes 12 to"):
        demo_practice.seed_practice(
            actor=ACTOR,
            organisation=org,
            therapists=[therapist],
            supervisor=therapist,
            size=demo_practice.PracticeSize(clients=3),
        )
    assert not Client.objects.exists()


def test_it_writes_a_year_of_sessions_notes_plans_scores_and_money_once() -> None:
    size = demo_practice.SMALL
    people = _practice(size)
    org, oscar, grace, tomasz = people["org"], people["oscar"], people["grace"], people["tomasz"]
    assert isinstance(org, Organisation)

    counts = demo_practice.seed_practice_history(actor=ACTOR, organisation=org, weeks=size.weeks)

    assert counts is not None
    # Sessions: mostly attended, some cancelled or missed; the weeks ahead
    # booked, with a weekly series for one client of each therapist.
    past = Appointment.objects.filter(organisation=org, start__lt=clock.now())
    statuses = set(past.values_list("status", flat=True))
    assert AppointmentStatus.ATTENDED in statuses
    assert len(statuses) >= 2
    assert past.filter(status=AppointmentStatus.ATTENDED).count() > past.count() * 0.7
    assert not past.filter(status=AppointmentStatus.BOOKED).exists()
    ahead = Appointment.objects.filter(organisation=org, start__gt=clock.now())
    assert ahead.filter(series__isnull=False).count() == 3 * 6
    assert ahead.filter(start__lt=clock.now() + dt.timedelta(days=8), series__isnull=True)
    # Notes: one signed note per attended session, an intake first; the
    # trainee's latest wait for the supervisor, the rest are locked.
    notes = ProgressNote.objects.filter(client__organisation=org)
    own_notes = notes.filter(joint_copy__isnull=True)
    assert own_notes.count() == past.filter(status=AppointmentStatus.ATTENDED).count()
    # A couple: a joint session next week and a signed joint note, one copy
    # in each member's chart.
    case = Case.objects.get(organisation=org)
    assert (case.kind, len(services.current_members(case))) == (CaseKind.COUPLE, 2)
    assert ahead.filter(case=case, status=AppointmentStatus.BOOKED).count() == 1
    copies = notes.filter(joint_copy__joint__case=case)
    assert sorted(copies.values_list("client_id", flat=True)) == sorted(
        m.pk for m in services.current_members(case)
    )
    assert not copies.filter(status=NoteStatus.DRAFT).exists()
    assert not notes.filter(status=NoteStatus.DRAFT).exists()
    assert {"intake", "discharge"} <= set(notes.values_list("template_code", flat=True))
    assert len(set(notes.values_list("template_code", flat=True))) >= 4
    assert notes.filter(author=oscar, status=NoteStatus.LOCKED, cosigned_by=grace).exists()
    waiting = selectors.cosign_queue(actor=grace, organisation=org)  # type: ignore[arg-type]
    assert waiting
    assert all(n.author == oscar for n in waiting)
    first = notes.order_by("service_date").first()
    assert first is not None
    assert "(Demo)" in services.note_sections(first).get("presenting_problem", "")
    # Discharged clients finished their course during the year.
    discharged = Client.objects.filter(organisation=org, status=ClientStatus.DISCHARGED)
    assert discharged.count() == 1
    gone = discharged.get()
    assert gone.discharged_on is not None
    assert gone.discharged_on < clock.now().date()
    assert notes.filter(client=gone, template_code="discharge").exists()
    # Plans: signed, reviewed into new versions, some due for review.
    plans = TreatmentPlan.objects.filter(client__organisation=org)
    assert plans.filter(status=PlanStatus.ACTIVE).exists()
    assert plans.filter(status=PlanStatus.CLOSED, client=gone).exists()
    # Scores: a PHQ-9 and GAD-7 series per client, one alert (item 9).
    results = MeasureResult.objects.filter(client__organisation=org)
    assert results.filter(instrument_key__startswith="phq9").count() > 12
    alert = MeasureAlert.objects.get(client__organisation=org)
    alerted = Client.objects.filter(organisation=org).order_by("created_at")
    assert alert.client in alerted
    therapist = alert.therapist
    _, series = selectors.client_measures(actor=therapist, client=alert.client)
    phq9 = next(s for s in series if s.instrument.code == "phq9")
    assert len(phq9.rows) >= 3
    # Money: charges for past sessions, invoices, payments, balances owed;
    # last week's sessions wait in billing's queue.
    assert Charge.objects.filter(organisation=org).exists()
    invoices = Invoice.objects.filter(organisation=org)
    numbers = sorted(invoices.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    for invoice in invoices:
        assert invoice.total == sum(line.amount for line in invoice.lines.all())
    assert Payment.objects.filter(organisation=org).exists()
    assert selectors.charge_queue(actor=tomasz, organisation=org)  # type: ignore[arg-type]
    # One event for the year, and a second run adds nothing.
    seeded = AuditEntry.objects.filter(event=EventType.DATA_SEEDED)
    assert seeded.count() == 1
    assert seeded.get().reason.startswith("practice history seeded: ")
    again = demo_practice.seed_practice_history(actor=ACTOR, organisation=org, weeks=size.weeks)
    assert again is None
    assert ProgressNote.objects.filter(client__organisation=org).count() == notes.count()


# Committed for real, as `make demo` does it: the year is sealed outside the
# insert's transaction, which is what keeps it fast.
@pytest.mark.one_engine
@pytest.mark.django_db(transaction=True)
def test_it_seeds_about_eighty_clients_and_a_year_at_the_default_size() -> None:
    with transaction.atomic():
        people = _practice(demo_practice.DEFAULT_SIZE)
    org = people["org"]
    assert isinstance(org, Organisation)
    counts = demo_practice.seed_practice_history(actor=ACTOR, organisation=org)

    assert counts is not None
    assert Client.objects.filter(organisation=org).count() == 80
    assert Guardian.objects.filter(client__organisation=org).count() == len(demo_practice.MINORS)
    assert Client.objects.filter(organisation=org, status=ClientStatus.DISCHARGED).count() == 8
    first = Appointment.objects.filter(organisation=org).order_by("start").first()
    assert first is not None
    assert clock.now() - first.start > dt.timedelta(weeks=48)
    assert counts.appointments > 1200
    assert counts.notes > 1000
    assert counts.results > 1000
    assert counts.invoices > 300
    assert counts.alerts == 1
    # Every therapist has someone to see next week.
    for key in ("rafael", "ines", "oscar"):
        assert Appointment.objects.filter(
            therapist=people[key],
            start__gt=clock.now(),
            start__lt=clock.now() + dt.timedelta(days=8),
        ).exists()


def test_it_seeds_one_authorisation_to_a_gp_and_one_disclosure_once() -> None:
    from wellkept.disclosures.models import Authorisation, Disclosure
    from wellkept.disclosures.selectors import accounting_for

    people = _practice(demo_practice.SMALL)
    org = people["org"]
    assert isinstance(org, Organisation)

    assert demo_practice.seed_release(actor=ACTOR, organisation=org) is True
    assert demo_practice.seed_release(actor=ACTOR, organisation=org) is False

    authorisation = Authorisation.objects.get(client__organisation=org)
    assert authorisation.is_current()
    [disclosure] = Disclosure.objects.filter(client__organisation=org)
    assert disclosure.authorisation == authorisation
    [line] = accounting_for(disclosure.client)
    assert line.recipient == "Dr Demo Generalpractice, Demo Street Surgery"
