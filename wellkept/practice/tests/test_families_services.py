"""Couples and family cases: opening, members, therapists, joint appointments and joint notes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.practice import selectors, services
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    CaseKind,
    CaseMember,
    Charge,
    JointNote,
    NoteStatus,
    ProgressNote,
)
from wellkept.practice.services.families import (
    CASE_WORK_ENDED,
    HANDED_OVER_DISCHARGED,
    HANDED_OVER_ERASED,
    HANDED_OVER_LEFT,
)
from wellkept.practice.tests.billing import past_session, with_fees
from wellkept.practice.tests.conftest import SETUP, raw_column
from wellkept.practice.tests.families import JOINT, couple, joint_note
from wellkept.practice.tests.notes_helpers import SOAP, draft, yesterday
from wellkept.practice.tests.schedule import next_monday, slot
from wellkept.vault.models import DataKey
from wellkept.vault.services import ERASED, Binding, decrypt_text

pytestmark = pytest.mark.django_db


def _sections_binding(note: ProgressNote, subject: str) -> Binding:
    return Binding("practice.progressnote", str(note.pk), "sections", subject)


# ---- opening a case -------------------------------------------------------------------


def test_it_opens_a_couple_with_its_members_and_therapists(practice):
    case = couple(practice)
    assert case.code.startswith("F-")
    assert len(case.code) == 7
    assert services.current_members(case) == [practice.clients["ada"], practice.clients["ben"]]
    assert services.current_case_therapists(case) == [practice.people["tess"]]
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_CASE_CREATED)
    assert entry.target == f"case:{case.pk}"
    assert entry.reason == "couple, 2 members, 1 therapists"


def test_it_lets_only_the_front_desk_open_a_case(practice):
    services.client_assign(
        actor=SETUP, client=practice.clients["ben"], therapist=practice.people["tess"]
    )
    # One practice built for every refusal: the personas are independent.
    for who in ("tess", "theo", "sue", "priya", "amira", "olga"):
        with pytest.raises(PermissionDenied):
            services.case_create(
                actor=practice.people[who],
                organisation=practice.harbour,
                kind=CaseKind.COUPLE,
                members=[practice.clients["ada"], practice.clients["ben"]],
                therapists=[practice.people["tess"]],
            )
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_CASE_CREATED).exists()


REFUSED_CASES = [
    (CaseKind.COUPLE, ["ada", "ben", "mia"], "tess", "members"),
    (CaseKind.FAMILY, ["ada", "ada"], "tess", "members"),
    (CaseKind.FAMILY, ["ada", "otto"], "tess", "members"),
    # Tess does not work with Mia: the case may not make her Mia's therapist.
    (CaseKind.FAMILY, ["ada", "mia"], "tess", "members"),
    (CaseKind.COUPLE, ["ada", "ben"], "fran", "therapists"),
    ("polycule", ["ada", "ben"], "tess", "kind"),
]


def test_it_refuses_a_case_that_does_not_hold_together(practice):
    services.client_assign(
        actor=SETUP, client=practice.clients["ben"], therapist=practice.people["tess"]
    )
    for kind, members, therapist, field in REFUSED_CASES:
        with pytest.raises(ValidationError) as refused:
            services.case_create(
                actor=practice.people["fran"],
                organisation=practice.harbour,
                kind=kind,
                members=[practice.clients[m] for m in members],
                therapists=[practice.people[therapist]],
            )
        assert field in refused.value.message_dict, (kind, members)
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_CASE_CREATED).exists()


# ---- members and therapists -------------------------------------------------------------


def test_it_adds_and_removes_members_with_an_audit_entry_each(practice):
    services.client_assign(
        actor=SETUP, client=practice.clients["ada"], therapist=practice.people["theo"]
    )
    fran = practice.people["fran"]
    case = services.case_create(
        actor=fran,
        organisation=practice.harbour,
        kind=CaseKind.FAMILY,
        members=[practice.clients["ben"], practice.clients["mia"]],
        therapists=[practice.people["theo"]],
    )
    services.case_member_add(actor=fran, case=case, client=practice.clients["ada"])
    services.case_member_remove(actor=fran, case=case, client=practice.clients["ben"])
    assert services.current_members(case) == [practice.clients["mia"], practice.clients["ada"]]
    assert CaseMember.objects.filter(case=case, until__isnull=False).count() == 1
    targets = list(
        AuditEntry.objects.filter(
            event__in=[EventType.PRACTICE_CASE_MEMBER_ADDED, EventType.PRACTICE_CASE_MEMBER_REMOVED]
        ).values_list("event", "target")
    )
    assert targets == [
        (
            EventType.PRACTICE_CASE_MEMBER_ADDED,
            f"case:{case.pk}/client:{practice.clients['ada'].pk}",
        ),
        (
            EventType.PRACTICE_CASE_MEMBER_REMOVED,
            f"case:{case.pk}/client:{practice.clients['ben'].pk}",
        ),
    ]


def test_it_refuses_a_third_member_of_a_couple_and_a_member_twice(practice):
    case = couple(practice)
    fran = practice.people["fran"]
    for client in ("ada", "mia"):
        with pytest.raises(ValidationError):
            services.case_member_add(actor=fran, case=case, client=practice.clients[client])
    with pytest.raises(PermissionDenied):
        services.case_member_remove(
            actor=practice.people["theo"], case=case, client=practice.clients["ben"]
        )


def test_it_adds_a_therapist_only_when_they_work_with_every_member(practice):
    case = couple(practice)
    fran, theo = practice.people["fran"], practice.people["theo"]
    with pytest.raises(ValidationError, match="assign them first"):
        services.case_therapist_add(actor=fran, case=case, therapist=theo)
    services.client_assign(actor=SETUP, client=practice.clients["ada"], therapist=theo)
    services.case_therapist_add(actor=fran, case=case, therapist=theo)
    services.case_therapist_remove(actor=fran, case=case, therapist=practice.people["tess"])
    assert services.current_case_therapists(case) == [theo]
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_CASE_THERAPIST_REMOVED).exists()


# ---- joint appointments -----------------------------------------------------------------


def test_it_books_a_joint_appointment_for_the_case(practice):
    case = couple(practice)
    appointment = services.case_appointment_book(
        actor=practice.people["fran"],
        case=case,
        therapist=practice.people["tess"],
        slot=slot(next_monday()),
    )
    assert appointment.case_id == case.pk
    assert appointment.client_id == practice.clients["ada"].pk
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_CASE_APPOINTMENT_BOOKED)
    assert (entry.target, entry.reason) == (f"case:{case.pk}", f"appointment:{appointment.pk}")


def test_it_refuses_a_joint_appointment_with_a_therapist_outside_the_case(practice):
    case = couple(practice)
    with pytest.raises(ValidationError, match="case's therapists"):
        services.case_appointment_book(
            actor=practice.people["fran"],
            case=case,
            therapist=practice.people["theo"],
            slot=slot(next_monday()),
        )
    with pytest.raises(PermissionDenied):
        services.case_appointment_book(
            actor=practice.people["theo"],
            case=case,
            therapist=practice.people["theo"],
            slot=slot(next_monday()),
        )


# ---- joint notes ------------------------------------------------------------------------


def test_it_keeps_a_joint_note_as_one_copy_per_member_under_that_members_key(practice):
    case = couple(practice)
    joint = joint_note(practice, case)
    copies = {n.client_id: n for n in ProgressNote.objects.filter(joint_copy__joint=joint)}
    assert set(copies) == {practice.clients["ada"].pk, practice.clients["ben"].pk}
    ada_copy = copies[practice.clients["ada"].pk]
    raw = raw_column(ProgressNote, ada_copy.pk, "sections")
    assert "Joinedcanary" not in raw
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    assert "Joinedcanary" in str(
        decrypt_text(raw, binding=_sections_binding(ada_copy, ada.dek_subject))
    )
    # Ben's key does not open Ada's copy: the copies are apart, not shared.
    with pytest.raises(Exception):  # noqa: B017, PT011 (any refusal to open will do)
        decrypt_text(raw, binding=_sections_binding(ada_copy, ben.dek_subject))
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_JOINT_NOTE_CREATED)
    assert (entry.target, entry.reason) == (f"case:{case.pk}/joint-note:{joint.pk}", "2 copies")
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_NOTE_CREATED).count() == 2


def test_it_lets_only_a_therapist_of_the_case_write_a_joint_note(practice):
    case = couple(practice)
    for who in ("theo", "fran", "bill", "sue"):
        with pytest.raises(PermissionDenied):
            services.joint_note_create(
                actor=practice.people[who],
                case=case,
                template_code="soap",
                service_date=yesterday(),
                sections=JOINT,
            )
    assert not JointNote.objects.exists()
    assert not ProgressNote.objects.exists()


def test_it_writes_no_copy_when_the_joint_note_is_refused(practice):
    case = couple(practice)
    with pytest.raises(ValidationError):
        services.joint_note_create(
            actor=practice.people["tess"],
            case=case,
            template_code="soap",
            service_date=yesterday(),
            sections={"nonsense": "x"},
        )
    assert not JointNote.objects.exists()
    assert not ProgressNote.objects.exists()


def test_it_signs_every_copy_of_a_joint_note_at_once(practice):
    case = couple(practice)
    joint = joint_note(practice, case)
    signed = services.joint_note_sign(actor=practice.people["tess"], joint=joint)
    assert len(signed) == 2
    assert set(
        ProgressNote.objects.filter(joint_copy__joint=joint).values_list("status", flat=True)
    ) == {NoteStatus.SIGNED}  # Tess is supervised by Sue: each copy awaits co-signature
    with pytest.raises(ValidationError, match="already signed"):
        services.joint_note_sign(actor=practice.people["tess"], joint=joint)
    assert AuditEntry.objects.filter(event=EventType.PRACTICE_JOINT_NOTE_SIGNED).count() == 1


def test_it_refuses_to_sign_anyone_elses_joint_note(practice):
    case = couple(practice)
    joint = joint_note(practice, case)
    for who in ("theo", "sue", "fran"):
        with pytest.raises(PermissionDenied):
            services.joint_note_sign(actor=practice.people[who], joint=joint)
    assert not ProgressNote.objects.exclude(status=NoteStatus.DRAFT).exists()


def test_it_erases_one_member_and_leaves_the_others_copy_and_record_intact(practice):
    case = couple(practice)
    joint = joint_note(practice, case)
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    ada_copy = ProgressNote.objects.get(joint_copy__joint=joint, client=ada)
    ada_raw = raw_column(ProgressNote, ada_copy.pk, "sections")
    bens_own = draft(practice, author="theo", client="ben")

    services.client_erase(actor=SETUP, client=ada)

    assert decrypt_text(ada_raw, binding=_sections_binding(ada_copy, ada.dek_subject)) is ERASED
    assert DataKey.objects.get(subject=ada.dek_subject).is_shredded
    ben_copy = ProgressNote.objects.get(joint_copy__joint=joint)
    assert ben_copy.client_id == ben.pk
    assert services.note_sections(ben_copy) == JOINT
    assert services.note_sections(ProgressNote.objects.get(pk=bens_own.pk)) == SOAP
    assert services.current_members(case) == [ben]


# ---- a member who holds joint appointments leaves ---------------------------------------


def _joint_sessions(practice, case):
    """A joint session to come (booked, held by Ada) and one held two days ago, charged."""
    coming = services.case_appointment_book(
        actor=practice.people["fran"],
        case=case,
        therapist=practice.people["tess"],
        slot=slot(next_monday()),
    )
    held = past_session(practice)
    held.case = case
    held.save(update_fields=["case"])
    codes = with_fees(practice)
    charge = services.charge_create(actor=SETUP, appointment=held, service_code=codes["90834"])
    return coming, held, charge


def test_it_hands_the_joint_sessions_of_an_erased_member_to_another_member(practice):
    case = couple(practice)
    joint = joint_note(practice, case)
    ada, ben, tess = practice.clients["ada"], practice.clients["ben"], practice.people["tess"]
    coming, held, charge = _joint_sessions(practice, case)

    services.client_erase(actor=SETUP, client=ada)

    kept = Appointment.objects.filter(pk__in=[coming.pk, held.pk])
    assert {(a.client_id, a.case_id) for a in kept} == {(ben.pk, case.pk)}
    assert {a.pk for a in selectors.client_appointments(actor=tess, client=ben)} == {
        coming.pk,
        held.pk,
    }
    # Ben's copy of the joint note still records that case's session.
    ben_copy = ProgressNote.objects.get(joint_copy__joint__case=case)
    assert (ben_copy.client_id, ben_copy.joint_copy.joint_id) == (ben.pk, joint.pk)
    # The charge was on Ada's account: it went with her, the session stays uncharged.
    assert not Charge.objects.filter(pk=charge.pk).exists()
    entries = AuditEntry.objects.filter(event=EventType.PRACTICE_APPOINTMENT_CHANGED)
    assert sorted(entries.values_list("target", "reason")) == sorted(
        (f"appointment:{a.pk}", HANDED_OVER_ERASED) for a in (coming, held)
    )
    assert not entries.filter(reason__contains=str(ada.pk)).exists()


def test_it_lets_a_joint_session_go_with_the_erased_member_when_nobody_else_is_left(practice):
    case = couple(practice)
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    coming = services.case_appointment_book(
        actor=practice.people["fran"],
        case=case,
        therapist=practice.people["tess"],
        slot=slot(next_monday()),
    )
    services.case_member_remove(actor=practice.people["fran"], case=case, client=ben)
    assert Appointment.objects.get(pk=coming.pk).client_id == ada.pk

    services.client_erase(actor=SETUP, client=ada)

    assert not Appointment.objects.filter(pk=coming.pk).exists()
    assert not AuditEntry.objects.filter(event=EventType.PRACTICE_APPOINTMENT_CHANGED).exists()


def test_it_hands_only_the_sessions_to_come_over_when_the_holder_leaves_the_case(practice):
    case = couple(practice)
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    coming, held, charge = _joint_sessions(practice, case)

    services.case_member_remove(actor=practice.people["fran"], case=case, client=ada)

    assert Appointment.objects.get(pk=coming.pk).client_id == ben.pk
    # The session Ada attended, and its charge, stay in her own record.
    assert Appointment.objects.get(pk=held.pk).client_id == ada.pk
    assert Charge.objects.get(pk=charge.pk).client_id == ada.pk
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_APPOINTMENT_CHANGED)
    assert (entry.target, entry.reason) == (f"appointment:{coming.pk}", HANDED_OVER_LEFT)


def test_it_hands_a_discharged_holders_joint_sessions_to_come_over_and_cancels_only_their_own(
    practice,
):
    case = couple(practice)
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    coming, held, _ = _joint_sessions(practice, case)
    own = services.appointment_book(
        actor=practice.people["fran"],
        client=ada,
        therapist=practice.people["tess"],
        slot=slot(next_monday() + dt.timedelta(days=1)),
    )

    outcome = services.client_discharge(
        actor=practice.people["tess"], client=ada, reason_code="completed"
    )

    # The couple's session goes on with Ben; Ada's own session is cancelled.
    assert Appointment.objects.get(pk=coming.pk).client_id == ben.pk
    assert Appointment.objects.get(pk=coming.pk).status == AppointmentStatus.BOOKED
    assert Appointment.objects.get(pk=own.pk).status == AppointmentStatus.CANCELLED
    assert outcome.appointments_cancelled == 1
    # What Ada attended stays in her record.
    assert Appointment.objects.get(pk=held.pk).client_id == ada.pk
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_APPOINTMENT_CHANGED)
    assert (entry.target, entry.reason) == (f"appointment:{coming.pk}", HANDED_OVER_DISCHARGED)


def test_it_audits_a_refused_joint_note_though_nothing_is_written(practice):
    case = couple(practice)
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    # Ben's care ends (every assignment with it) while he is still in the
    # case: Tess may no longer write in his record, but still sees the case.
    services.client_discharge(actor=practice.people["theo"], client=ben, reason_code="completed")

    with pytest.raises(PermissionDenied):
        joint_note(practice, case)

    assert not JointNote.objects.filter(case=case).exists()
    assert not ProgressNote.objects.filter(client__in=[ada, ben]).exists()
    refused = AuditEntry.objects.filter(outcome="denied", target__startswith=f"client:{ben.pk}")
    assert refused.exists()


def test_it_hands_a_joint_session_to_no_discharged_member(practice):
    case = couple(practice)
    ada, ben = practice.clients["ada"], practice.clients["ben"]
    coming, _, _ = _joint_sessions(practice, case)
    services.client_discharge(actor=practice.people["theo"], client=ben, reason_code="completed")

    services.client_discharge(actor=practice.people["tess"], client=ada, reason_code="completed")

    # Nobody in care is left to hold it: the couple's session is cancelled, not handed to Ben.
    kept = Appointment.objects.get(pk=coming.pk)
    assert (kept.client_id, kept.status) == (ada.pk, AppointmentStatus.CANCELLED)


def test_a_therapist_whose_work_with_a_member_ends_no_longer_sees_the_case(practice):
    case = couple(practice)
    ben, tess = practice.clients["ben"], practice.people["tess"]
    assert case in selectors.case_list(actor=tess, organisation=practice.harbour)

    services.client_unassign(actor=SETUP, client=ben, therapist=tess)

    assert tess not in services.current_case_therapists(case)
    assert case not in selectors.case_list(actor=tess, organisation=practice.harbour)
    entry = AuditEntry.objects.get(event=EventType.PRACTICE_CASE_THERAPIST_REMOVED)
    assert (entry.target, entry.reason) == (
        f"case:{case.pk}/therapist:{tess.pk}",
        CASE_WORK_ENDED,
    )
