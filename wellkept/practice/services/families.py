"""Writes of couples and family cases: open, members, therapists, joint sessions and notes.

Each service asks the policy first (one audited decision), validates, and
records its own audit event in the same transaction; references only, never
a name. The case holds no clinical content. A joint note is written once
and saved as one progress note per current member through ``note_create``,
so each copy is encrypted under that member's own key, sits in that
member's chart only, and is signed, locked and amended like any other note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import decide, roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource
from wellkept.access.rules import AccessRole
from wellkept.accounts.models import User
from wellkept.actors import Actor, person
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    Case,
    CaseKind,
    CaseMember,
    CaseTherapist,
    Client,
    ClientAssignment,
    ClientStatus,
    JointNote,
    JointNoteCopy,
    NoteStatus,
    ProgressNote,
)
from wellkept.practice.scopes import new_note_resource, note_resource
from wellkept.practice.scopes_families import case_resource, joint_note_resource, new_case_resource
from wellkept.practice.services.deciding import allow, purpose_of
from wellkept.practice.services.notes import note_create, note_sign
from wellkept.practice.services.schedule import Slot, appointment_book, booking_resource

# A family seen together rarely passes eight; more is a typing mistake.
MOST_MEMBERS = 8
MOST_THERAPISTS = 3
COUPLE_SIZE = 2


def current_members(case: Case) -> list[Client]:
    """The case's current members, in the order they joined (for a case already read)."""
    return [
        m.client
        for m in CaseMember.objects.filter(case=case, until__isnull=True)
        .select_related("client", "client__organisation")
        .order_by("since", "pk")
    ]


def current_case_therapists(case: Case) -> list[User]:
    """The case's current therapists, in the order they were added."""
    return [
        t.therapist
        for t in CaseTherapist.objects.filter(case=case, until__isnull=True)
        .select_related("therapist")
        .order_by("since", "pk")
    ]


# The audit reasons of a joint appointment handed to another member: codes, no person.
HANDED_OVER_ERASED = "joint session handed over: its holder was erased"
HANDED_OVER_LEFT = "joint session handed over: its holder left the case"
HANDED_OVER_DISCHARGED = "joint session handed over: its holder was discharged"


def joint_appointments_hand_over(
    *,
    actor: Actor,
    client: Client,
    erasing: bool,
    request: HttpRequest | None = None,
    reason: str = "",
) -> int:
    """Move the joint appointments ``client`` holds to another current member of each case.

    Called inside the transaction of a service that has already decided
    (``client_erase``, ``client_discharge``, ``case_member_remove``), so it asks the policy
    nothing more. Erasing moves every joint appointment the member holds,
    past ones too: their rows go with them, and the other members would lose
    the session from their history. Leaving moves only the booked sessions
    still to come: the member who leaves keeps the sessions they attended in
    their own record. A case with no other current member keeps nothing to
    hand over. Charges stay where billing put them (docs/user-guide.md).
    Returns how many appointments moved; one audit entry each, no person.
    """
    held = Appointment.objects.filter(client=client, case__isnull=False)
    if not erasing:
        held = held.filter(status=AppointmentStatus.BOOKED, start__gte=clock.now())
    moved = 0
    for appointment in lock_rows(held).order_by("start"):
        # The member who joined first among those still in the case.
        heir = (
            CaseMember.objects.filter(
                case__appointments=appointment,
                until__isnull=True,
                client__status=ClientStatus.ACTIVE,
            )
            .exclude(client=client)
            .order_by("since", "pk")
            .values_list("client_id", flat=True)
            .first()
        )
        if heir is None:
            continue
        appointment.client_id = heir
        appointment.save(update_fields=["client"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_APPOINTMENT_CHANGED,
            target=f"appointment:{appointment.pk}",
            purpose=purpose_of(actor).value,
            reason=reason or (HANDED_OVER_ERASED if erasing else HANDED_OVER_LEFT),
            request=request,
        )
        moved += 1
    return moved


def _assigned(client: Client, therapist: User) -> bool:
    return ClientAssignment.objects.filter(
        client=client, therapist=therapist, until__isnull=True
    ).exists()


def _check_member(organisation_id: Any, client: Client, therapists: Sequence[User]) -> None:
    if client.organisation_id != organisation_id:
        raise ValidationError({"members": "Choose clients of this practice."})
    if client.status == ClientStatus.DISCHARGED:
        raise ValidationError(
            {"members": f"Client {client.code} is discharged: re-admit them first."}
        )
    for therapist in therapists:
        # A joint note is a copy in each member's record: its author must
        # already be one of each member's therapists, never made one by the case.
        if not _assigned(client, therapist):
            raise ValidationError(
                {
                    "members": f"Client {client.code} does not work with every therapist "
                    "of the case: assign them first."
                }
            )


def _check_therapist(organisation_id: Any, therapist: User) -> None:
    if AccessRole.SPECIALIST not in roles_in(therapist, organisation_id):
        raise ValidationError({"therapists": "Choose therapists of this practice."})


def case_create(
    *,
    actor: Actor,
    organisation: Organisation,
    kind: str,
    members: Sequence[Client],
    therapists: Sequence[User],
    request: HttpRequest | None = None,
) -> Case:
    """Open a couple or family case of clients already in care with the given therapists."""
    allow(actor, Action.CREATE, new_case_resource(organisation.pk), request, "open a case here")
    if kind not in CaseKind.values:
        raise ValidationError({"kind": "Choose a couple or a family."})
    unique_members = list({c.pk: c for c in members}.values())
    unique_therapists = list({t.pk: t for t in therapists}.values())
    if kind == CaseKind.COUPLE and len(unique_members) != COUPLE_SIZE:
        raise ValidationError({"members": "A couple is two clients: choose two."})
    if not 2 <= len(unique_members) <= MOST_MEMBERS:
        raise ValidationError(
            {"members": f"A case has between 2 and {MOST_MEMBERS} different clients."}
        )
    if not 1 <= len(unique_therapists) <= MOST_THERAPISTS:
        raise ValidationError({"therapists": f"Choose between 1 and {MOST_THERAPISTS} therapists."})
    for therapist in unique_therapists:
        _check_therapist(organisation.pk, therapist)
    for client in unique_members:
        _check_member(organisation.pk, client, unique_therapists)
    with transaction.atomic():
        case = Case(organisation=organisation, kind=kind)
        case.save(force_insert=True)
        now = clock.now()
        CaseMember.objects.bulk_create(
            [CaseMember(case=case, client=c, since=now) for c in unique_members]
        )
        CaseTherapist.objects.bulk_create(
            [CaseTherapist(case=case, therapist=t, since=now) for t in unique_therapists]
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CASE_CREATED,
            target=f"case:{case.pk}",
            purpose=purpose_of(actor).value,
            reason=f"{kind}, {len(unique_members)} members, {len(unique_therapists)} therapists",
            request=request,
        )
    return case


def _locked_case(case: Case) -> Case:
    return lock_rows(Case.objects.all()).get(pk=case.pk)


def case_member_add(
    *, actor: Actor, case: Case, client: Client, request: HttpRequest | None = None
) -> CaseMember:
    """Add a client in care to a case; every therapist of the case must work with them."""
    allow(actor, Action.UPDATE, case_resource(case), request, "change this case")
    with transaction.atomic():
        locked = _locked_case(case)
        _check_member(locked.organisation_id, client, current_case_therapists(locked))
        current = CaseMember.objects.filter(case=locked, until__isnull=True)
        if current.filter(client=client).exists():
            raise ValidationError({"client": f"Client {client.code} is already in this case."})
        if locked.kind == CaseKind.COUPLE and current.count() >= COUPLE_SIZE:
            raise ValidationError({"client": "A couple has two members already."})
        if current.count() >= MOST_MEMBERS:
            raise ValidationError({"client": f"A case has at most {MOST_MEMBERS} members."})
        member = CaseMember.objects.create(case=locked, client=client)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CASE_MEMBER_ADDED,
            target=f"case:{locked.pk}/client:{client.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return member


def case_member_remove(
    *, actor: Actor, case: Case, client: Client, request: HttpRequest | None = None
) -> CaseMember:
    """End a client's part in a case; their record and their copies of joint notes stay theirs."""
    allow(actor, Action.UPDATE, case_resource(case), request, "change this case")
    with transaction.atomic():
        locked = _locked_case(case)
        member = (
            lock_rows(CaseMember.objects.all())
            .filter(case=locked, client=client, until__isnull=True)
            .first()
        )
        if member is None:
            raise ValidationError({"client": "This client is not in the case."})
        member.until = clock.now()
        member.save(update_fields=["until"])
        # The sessions still to come go to a member who attends them.
        joint_appointments_hand_over(actor=actor, client=client, erasing=False, request=request)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CASE_MEMBER_REMOVED,
            target=f"case:{locked.pk}/client:{client.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return member


def case_therapist_add(
    *, actor: Actor, case: Case, therapist: User, request: HttpRequest | None = None
) -> CaseTherapist:
    """Add a therapist who already works with every current member of the case."""
    allow(actor, Action.UPDATE, case_resource(case), request, "change this case")
    _check_therapist(case.organisation_id, therapist)
    with transaction.atomic():
        locked = _locked_case(case)
        current = CaseTherapist.objects.filter(case=locked, until__isnull=True)
        if current.filter(therapist=therapist).exists():
            raise ValidationError({"therapist": "This therapist already sees the case."})
        if current.count() >= MOST_THERAPISTS:
            raise ValidationError(
                {"therapist": f"A case has at most {MOST_THERAPISTS} therapists."}
            )
        for client in current_members(locked):
            if not _assigned(client, therapist):
                raise ValidationError(
                    {
                        "therapist": f"Client {client.code} does not work with this "
                        "therapist: assign them first."
                    }
                )
        row = CaseTherapist.objects.create(case=locked, therapist=therapist)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CASE_THERAPIST_ADDED,
            target=f"case:{locked.pk}/therapist:{therapist.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return row


def case_therapist_remove(
    *, actor: Actor, case: Case, therapist: User, request: HttpRequest | None = None
) -> CaseTherapist:
    """End a therapist's work with a case; their assignment to each member is left as it is."""
    allow(actor, Action.UPDATE, case_resource(case), request, "change this case")
    with transaction.atomic():
        locked = _locked_case(case)
        row = (
            lock_rows(CaseTherapist.objects.all())
            .filter(case=locked, therapist=therapist, until__isnull=True)
            .first()
        )
        if row is None:
            raise ValidationError({"therapist": "This therapist does not see the case."})
        row.until = clock.now()
        row.save(update_fields=["until"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CASE_THERAPIST_REMOVED,
            target=f"case:{locked.pk}/therapist:{therapist.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return row


CASE_WORK_ENDED = "case work ended: the assignment to a member ended"


def case_work_end_with_member(
    *, actor: Actor, client: Client, therapist: User, request: HttpRequest | None = None
) -> int:
    """End a therapist's work on the cases of ``client`` once their work with the client ends.

    A case's therapist must work with every member (``case_therapist_add``);
    called inside ``client_unassign``'s transaction, which has decided, so
    it asks the policy nothing more. Without it the therapist would go on
    seeing the case, its members' names and its joint notes. One audit
    entry per case, naming no person.
    """
    rows = CaseTherapist.objects.filter(
        therapist=therapist,
        until__isnull=True,
        case__members__client=client,
        case__members__until__isnull=True,
    )
    ended = 0
    for row in lock_rows(rows).order_by("pk"):
        row.until = clock.now()
        row.save(update_fields=["until"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CASE_THERAPIST_REMOVED,
            target=f"case:{row.case_id}/therapist:{therapist.pk}",
            purpose=purpose_of(actor).value,
            reason=CASE_WORK_ENDED,
            request=request,
        )
        ended += 1
    return ended


def case_appointment_book(
    *,
    actor: Actor,
    case: Case,
    therapist: User,
    slot: Slot,
    request: HttpRequest | None = None,
) -> Appointment:
    """Book a joint appointment that every current member attends, billed to the first member."""
    # Reading the case is enough here: the booking itself is decided on the
    # therapist's calendar by ``appointment_book``, as any other booking.
    allow(actor, Action.READ, case_resource(case), request, "book for this case")
    if therapist.pk not in {t.pk for t in current_case_therapists(case)}:
        raise ValidationError({"therapist": "Choose one of the case's therapists."})
    members = current_members(case)
    if len(members) < COUPLE_SIZE:
        raise ValidationError("A joint appointment needs at least two members in the case.")
    for client in members:
        if client.status == ClientStatus.DISCHARGED:
            raise ValidationError(
                f"Client {client.code} is discharged: remove them from the case or re-admit "
                "them first.",
                code="discharged",
            )
    _decide_each_first(
        actor,
        Action.CREATE,
        [booking_resource(members[0], therapist)],
        request,
        "book on this calendar",
    )
    with transaction.atomic():
        # The schedule's own service decides the calendar, checks the slot
        # and clashes, and audits the booking; the case is then attached.
        appointment = appointment_book(
            actor=actor, client=members[0], therapist=therapist, slot=slot, request=request
        )
        appointment.case = case
        appointment.save(update_fields=["case"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CASE_APPOINTMENT_BOOKED,
            target=f"case:{case.pk}",
            purpose=purpose_of(actor).value,
            reason=f"appointment:{appointment.pk}",
            request=request,
        )
    return appointment


def _decide_each_first(
    actor: Actor,
    action: Action,
    resources: Sequence[Resource],
    request: HttpRequest | None,
    what: str,
    purpose: Purpose | None = None,
) -> None:
    """Decide every member's part before the joint write, so a refusal's audit entry stays.

    Each member's part goes through its own service inside one transaction;
    a refusal there would be audited and then rolled back with the rest.
    Decided here first (without recording what is allowed, which the
    service records as it writes), a refusal is recorded and raised outside.
    """
    chosen = purpose or purpose_of(actor)
    for resource in resources:
        if not decide(actor=actor, action=action, resource=resource, purpose=chosen).allowed:
            allow(actor, action, resource, request, what, chosen)


def joint_note_create(
    *,
    actor: Actor,
    case: Case,
    template_code: str,
    service_date: dt.date,
    sections: Mapping[str, str],
    diagnosis_codes: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    request: HttpRequest | None = None,
) -> JointNote:
    """Write a joint session's note once: a draft copy per current member, under their key."""
    author = person(actor)
    allow(actor, Action.CREATE, joint_note_resource(case), request, "write notes for this case")
    if author.pk not in {t.pk for t in current_case_therapists(case)}:
        raise PermissionDenied("Only a therapist of the case writes its joint notes.")
    members = current_members(case)
    if len(members) < COUPLE_SIZE:
        raise ValidationError("A joint note needs at least two members in the case.")
    _decide_each_first(
        actor,
        Action.CREATE,
        [new_note_resource(client) for client in members],
        request,
        "write in every member's record",
        Purpose.CLINICAL_CARE,
    )
    with transaction.atomic():
        joint = JointNote(case=case, author=author, service_date=service_date)
        joint.save(force_insert=True)
        for client in members:
            # Each copy goes through the note service: the same checks, the
            # same audit, and the member's key (ProgressNote.dek_subject).
            note = note_create(
                actor=actor,
                client=client,
                template_code=template_code,
                service_date=service_date,
                sections=sections,
                diagnosis_codes=diagnosis_codes,
                service_codes=service_codes,
                request=request,
            )
            JointNoteCopy.objects.create(joint=joint, note=note)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_JOINT_NOTE_CREATED,
            target=f"case:{case.pk}/joint-note:{joint.pk}",
            purpose=purpose_of(actor).value,
            reason=f"{len(members)} copies",
            request=request,
        )
    return joint


def joint_note_sign(
    *, actor: Actor, joint: JointNote, request: HttpRequest | None = None
) -> list[ProgressNote]:
    """Sign every draft copy of one's joint note at once (each as ``note_sign`` would)."""
    allow(
        actor,
        Action.UPDATE,
        joint_note_resource(joint.case, joint.author_id, joint.pk),
        request,
        "sign this joint note",
    )
    if str(person(actor).pk) != str(joint.author_id):
        raise PermissionDenied("Only the joint note's author signs it.")
    drafts = list(
        ProgressNote.objects.filter(joint_copy__joint=joint, status=NoteStatus.DRAFT)
        .select_related("client")
        .order_by("client__code")
    )
    if not drafts:
        raise ValidationError("Every copy of this joint note is already signed.", code="signed")
    _decide_each_first(
        actor,
        Action.UPDATE,
        [note_resource(note) for note in drafts],
        request,
        "sign every copy",
        Purpose.CLINICAL_CARE,
    )
    with transaction.atomic():
        signed = [note_sign(actor=actor, note=note, request=request) for note in drafts]
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_JOINT_NOTE_SIGNED,
            target=f"case:{joint.case_id}/joint-note:{joint.pk}",
            purpose=purpose_of(actor).value,
            reason=f"{len(signed)} copies",
            request=request,
        )
    return signed
