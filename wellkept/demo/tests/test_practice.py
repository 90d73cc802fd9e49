"""The demo's practice: invented clients taken in through the practice's services."""

from __future__ import annotations

import pytest

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.demo import practice as demo_practice
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Role
from wellkept.practice import selectors
from wellkept.practice.models import (
    Appointment,
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


def _staff(org, email: str, role: Role) -> User:
    user = User.objects.create_user(email, None)
    orgs.staff_membership_grant(actor=ACTOR, user=user, organisation=org, role=role)
    return user


def test_it_seeds_invented_clients_for_two_therapists_and_a_supervisor() -> None:
    org = orgs.organisation_create(actor=ACTOR, name="Demo", slug="demo-practice")
    rafael = _staff(org, "specialist@demo.invalid", Role.SPECIALIST)
    ines = _staff(org, "therapist@demo.invalid", Role.SPECIALIST)
    grace = _staff(org, "supervisor@demo.invalid", Role.CLINICAL_SUPERVISOR)
    kasia = _staff(org, "desk@demo.invalid", Role.FRONT_DESK)

    made = demo_practice.seed_practice(
        actor=ACTOR, organisation=org, therapists=[rafael, ines], supervisor=grace
    )

    # Twelve in care and one former client, discharged.
    assert made == Client.objects.filter(organisation=org).count() == 13
    assert Guardian.objects.filter(client__organisation=org).count() == 1
    assert Supervision.objects.filter(supervisor=grace, supervisee=ines).exists()
    assert len(selectors.client_list(actor=kasia, organisation=org)) == 13
    assert len(selectors.client_list(actor=rafael, organisation=org)) == 6
    assert len(selectors.client_list(actor=grace, organisation=org)) == 6
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_CLIENT_CREATED).count() == 13
    former = Client.objects.get(organisation=org, status=ClientStatus.DISCHARGED)
    assert former.legal_name == "Morgan Formerly-Fictive"
    assert former.discharged_on is not None
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_CLIENT_DISCHARGED).count() == 1
    names = {c.legal_name for c in Client.objects.filter(organisation=org)}
    assert "Avery Placeholder" in names


def test_it_seeds_signed_notes_and_one_trainee_note_awaiting_co_signature() -> None:
    org = orgs.organisation_create(actor=ACTOR, name="Demo", slug="demo-practice")
    rafael = _staff(org, "specialist@demo.invalid", Role.SPECIALIST)
    ines = _staff(org, "therapist@demo.invalid", Role.SPECIALIST)
    grace = _staff(org, "supervisor@demo.invalid", Role.CLINICAL_SUPERVISOR)

    demo_practice.seed_practice(
        actor=ACTOR, organisation=org, therapists=[rafael, ines], supervisor=grace
    )

    notes = ProgressNote.objects.filter(client__organisation=org)
    assert notes.count() == 12 * demo_practice.NOTES_PER_CLIENT
    assert notes.filter(status=NoteStatus.DRAFT).count() == 0
    waiting = notes.filter(status=NoteStatus.SIGNED)
    assert waiting.count() == 1
    assert waiting.get().author == ines
    assert notes.filter(author=ines, status=NoteStatus.LOCKED, cosigned_by=grace).exists()
    queue = selectors.cosign_queue(actor=grace, organisation=org)
    assert queue == list(waiting)
    assert all("(Demo)" in n.sections for n in notes)
    assert ServiceCode.objects.filter(organisation=org).count() == 3


def test_it_books_a_week_for_each_therapist_and_a_weekly_series() -> None:
    org = orgs.organisation_create(actor=ACTOR, name="Demo", slug="demo-practice")
    rafael = _staff(org, "specialist@demo.invalid", Role.SPECIALIST)
    ines = _staff(org, "therapist@demo.invalid", Role.SPECIALIST)
    grace = _staff(org, "supervisor@demo.invalid", Role.CLINICAL_SUPERVISOR)

    demo_practice.seed_practice(
        actor=ACTOR, organisation=org, therapists=[rafael, ines], supervisor=grace
    )

    for therapist in (rafael, ines):
        # Upcoming only: billing's seeding adds last week's sessions.
        mine = Appointment.objects.filter(
            organisation=org, therapist=therapist, start__gt=clock.now()
        )
        assert mine.count() == 6 + 6
        assert mine.filter(series__isnull=False).count() == 6
        assert mine.filter(telehealth=True).exists()
    assert Room.objects.filter(organisation=org, name__endswith="(demo)").count() == 2
    booked = AuditEntry.objects.filter(event=EventType.PRACTICE_APPOINTMENT_BOOKED).count()
    assert booked == 24 + demo_practice.DEMO_HELD


def test_it_seeds_signed_plans_some_due_for_review() -> None:
    org = orgs.organisation_create(actor=ACTOR, name="Demo", slug="demo-practice")
    rafael = _staff(org, "specialist@demo.invalid", Role.SPECIALIST)
    ines = _staff(org, "therapist@demo.invalid", Role.SPECIALIST)
    supervisor = _staff(org, "supervisor@demo.invalid", Role.CLINICAL_SUPERVISOR)
    demo_practice.seed_practice(
        actor=ACTOR, organisation=org, therapists=[rafael, ines], supervisor=supervisor
    )
    plans = TreatmentPlan.objects.all()
    assert plans.filter(status=PlanStatus.ACTIVE).count() == len(
        range(0, len(demo_practice.CLIENT_NAMES), demo_practice.PLAN_EVERY)
    )
    assert plans.filter(status=PlanStatus.SUPERSEDED).count() == 1
    assert plans.filter(client_signed_at__isnull=False).count() == 1
    assert all("(Demo)" in p.content for p in plans)
    due = selectors.reviews_due(actor=rafael, organisation=org) + selectors.reviews_due(
        actor=ines, organisation=org
    )
    assert due
    # Measures: a PHQ-9 and GAD-7 series for some clients, one improving
    # past the cut-off, and no alert.
    first = TreatmentPlan.objects.order_by("created_at").first()
    assert first is not None
    results = MeasureResult.objects.all()
    assert results.count() == 2 * 5 * len(
        range(0, len(demo_practice.CLIENT_NAMES), demo_practice.MEASURE_EVERY)
    )
    assert not MeasureAlert.objects.exists()
    _, series = selectors.client_measures(actor=rafael, client=first.client)
    phq9 = next(s for s in series if s.instrument.code == "phq9")
    assert [r.total for r in phq9.rows] == list(demo_practice.DEMO_PHQ9_SERIES[0])
    assert phq9.rows[-1].significant == "improved"


def test_it_seeds_fees_past_sessions_charges_invoices_and_payments() -> None:
    org = orgs.organisation_create(actor=ACTOR, name="Demo", slug="demo-practice")
    rafael = _staff(org, "specialist@demo.invalid", Role.SPECIALIST)
    ines = _staff(org, "therapist@demo.invalid", Role.SPECIALIST)
    grace = _staff(org, "supervisor@demo.invalid", Role.CLINICAL_SUPERVISOR)
    billing = _staff(org, "billing@demo.invalid", Role.BILLING)

    demo_practice.seed_practice(
        actor=ACTOR, organisation=org, therapists=[rafael, ines], supervisor=grace
    )

    assert Fee.objects.filter(organisation=org).count() == len(demo_practice.DEMO_FEES) + 1
    assert Charge.objects.filter(organisation=org).count() == demo_practice.DEMO_CHARGED
    # The held sessions not charged yet wait in billing's queue.
    assert len(selectors.charge_queue(actor=billing, organisation=org)) == 3
    assert Invoice.objects.filter(organisation=org).count() == 3
    assert Payment.objects.filter(organisation=org).count() == 2
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_CHARGE_CREATED).count() == 6
