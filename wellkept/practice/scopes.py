"""How a practice's clients relate to an actor, for the access policy.

"Assigned" is the client's current therapists and, through a current
supervision, those therapists' clinical supervisors. A client is described
by row id (``client:<uuid>``), never by name or code, in the policy and the
audit trail.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from wellkept.access.resources import Resource, ResourceKind, Scope, register_scope
from wellkept.access.rules import AccessRole

# Who bills (issue 18, part 5): never a clinical role, even one that may read
# an assigned client's demographics under practice administration.
BILLERS = frozenset({AccessRole.FRONT_DESK, AccessRole.BILLING})


def current_assignees(client: Any) -> frozenset[Any]:
    """The client's current therapists and their current supervisors, by user id."""
    from wellkept.practice.models import ClientAssignment, Supervision

    therapists = set(
        ClientAssignment.objects.filter(client_id=client.pk, until__isnull=True).values_list(
            "therapist_id", flat=True
        )
    )
    supervisors = set(
        Supervision.objects.filter(
            organisation_id=client.organisation_id,
            supervisee_id__in=therapists,
            until__isnull=True,
        ).values_list("supervisor_id", flat=True)
    )
    return frozenset(therapists | supervisors)


def client_admin_resource(client: Any, reference: str = "") -> Resource:
    """The client's demographics and administration (what the front desk and billing see)."""
    suffix = f"/{reference}" if reference else ""
    return Resource(
        kind=ResourceKind.PRACTICE_ADMIN,
        reference=f"client:{client.pk}{suffix}",
        organisation_id=client.organisation_id,
        assignee_user_ids=current_assignees(client),
    )


def client_record_resource(client: Any) -> Resource:
    """The client's clinical record: its therapists' and their supervisors' only."""
    return Resource(
        kind=ResourceKind.CLIENT_RECORD,
        reference=f"client:{client.pk}/record",
        organisation_id=client.organisation_id,
        assignee_user_ids=current_assignees(client),
    )


def assigned_clients(user: Any) -> Q:
    """Clients the user works with now, or whose therapist the user supervises now."""
    from wellkept.practice.models import ClientAssignment, Supervision

    # A supervision counts in its own practice only: supervising someone at
    # one practice reaches none of their clients at another.
    supervisees = Supervision.objects.filter(
        supervisor_id=user.pk,
        until__isnull=True,
        organisation_id=OuterRef(OuterRef("organisation_id")),
    ).values("supervisee_id")
    current = ClientAssignment.objects.filter(client_id=OuterRef("pk"), until__isnull=True).filter(
        Q(therapist_id=user.pk) | Q(therapist_id__in=supervisees)
    )
    return Q(Exists(current))


def _current_supervisors(organisation_id: Any, therapist_id: Any) -> frozenset[Any]:
    from wellkept.practice.models import Supervision

    return frozenset(
        Supervision.objects.filter(
            organisation_id=organisation_id, supervisee_id=therapist_id, until__isnull=True
        ).values_list("supervisor_id", flat=True)
    )


def appointment_resource(appointment: Any) -> Resource:
    """One appointment: its therapist's own, assigned to that therapist's supervisors."""
    return calendar_resource(
        appointment.organisation_id,
        appointment.therapist_id,
        reference=f"appointment:{appointment.pk}",
    )


def calendar_resource(organisation_id: Any, therapist_id: Any, reference: str = "") -> Resource:
    """A therapist's calendar at one practice (a booking not yet made, a feed)."""
    return Resource(
        kind=ResourceKind.APPOINTMENT,
        reference=reference or f"calendar:{therapist_id}",
        organisation_id=organisation_id,
        owner_user_id=therapist_id,
        assignee_user_ids=_current_supervisors(organisation_id, therapist_id),
    )


def own_appointments(user: Any, organisations: list[Any]) -> Q:
    """Appointments in the user's own calendar."""
    return Q(therapist_id=user.pk, organisation_id__in=organisations)


def supervised_appointments(user: Any) -> Q:
    """Appointments of the therapists the user supervises now, in that practice only."""
    from wellkept.practice.models import Supervision

    current = Supervision.objects.filter(
        supervisor_id=user.pk,
        until__isnull=True,
        organisation_id=OuterRef("organisation_id"),
        supervisee_id=OuterRef("therapist_id"),
    )
    return Q(Exists(current))


# ---- Notes: progress notes (the record) and psychotherapy notes (the author's) ------


def author_supervisors(note: Any) -> frozenset[Any]:
    """The author's current clinical supervisors in the note's practice, by user id."""
    return _current_supervisors(note.client.organisation_id, note.author_id)


def note_resource(note: Any) -> Resource:
    """A progress note: its author's own; assigned to the client's therapists and supervisors."""
    return Resource(
        kind=ResourceKind.PROGRESS_NOTE,
        reference=f"client:{note.client_id}/note:{note.pk}",
        organisation_id=note.client.organisation_id,
        owner_user_id=note.author_id,
        assignee_user_ids=current_assignees(note.client) | author_supervisors(note),
    )


def new_note_resource(client: Any) -> Resource:
    """A note about to be written about ``client``: owned by nobody yet, so decided as assigned."""
    return Resource(
        kind=ResourceKind.PROGRESS_NOTE,
        reference=f"client:{client.pk}/note:new",
        organisation_id=client.organisation_id,
        assignee_user_ids=current_assignees(client),
    )


def notes_assigned(user: Any) -> Q:
    """Notes about clients the user works with or supervises, and notes of their supervisees."""
    from wellkept.practice.models import Client, Supervision

    supervisees = Supervision.objects.filter(
        supervisor_id=user.pk,
        until__isnull=True,
        organisation_id=OuterRef("client__organisation_id"),
    ).values("supervisee_id")
    return Q(client__in=Client.objects.filter(assigned_clients(user))) | Q(
        Exists(supervisees.filter(supervisee_id=OuterRef("author_id")))
    )


def pnote_resource(client: Any, author_id: Any, pk: Any = "new") -> Resource:
    """A psychotherapy note: its author's alone. No assignee, so no supervisor, ever."""
    return Resource(
        kind=ResourceKind.PSYCHOTHERAPY_NOTE,
        reference=f"client:{client.pk}/pnote:{pk}",
        organisation_id=client.organisation_id,
        owner_user_id=author_id,
    )


# ---- Treatment plans (issue 18, part 4): part of the client's clinical record ---------


def plan_resource(client: Any, pk: Any = "new") -> Resource:
    """A version of the client's treatment plan: the client's clinical record."""
    return Resource(
        kind=ResourceKind.CLIENT_RECORD,
        reference=f"client:{client.pk}/plan:{pk}",
        organisation_id=client.organisation_id,
        assignee_user_ids=current_assignees(client),
    )


def plans_assigned(user: Any) -> Q:
    """Plans of the clients the user works with or whose therapist they supervise."""
    from wellkept.practice.models import Client

    return Q(client__in=Client.objects.filter(assigned_clients(user)))


def measures_assigned(user: Any) -> Q:
    """Measures (assignments, results) of the clients the user works with or supervises."""
    return plans_assigned(user)


def measure_resource(client: Any, reference: str = "measures") -> Resource:
    """The client's measures (assignments, results, alerts): the client's clinical record."""
    return Resource(
        kind=ResourceKind.CLIENT_RECORD,
        reference=f"client:{client.pk}/{reference}",
        organisation_id=client.organisation_id,
        assignee_user_ids=current_assignees(client),
    )


# ---- Break-glass on a client's record (issue 18) ----------------------------------


def breakglass_resource(opening: Any) -> Resource:
    """An opening, for its review: the opener's own, so never reviewed by them."""
    return Resource(
        kind=ResourceKind.IDENTITY_GRANT,
        reference=f"client:{opening.client_id}/breakglass:{opening.pk}",
        organisation_id=opening.organisation_id,
        owner_user_id=opening.opened_by_id,
    )


def register() -> None:
    """Register the practice's scopes (from ready())."""
    from wellkept.practice.models import (
        Appointment,
        Client,
        ClientBreakGlass,
        MeasureAlert,
        MeasureAssignment,
        MeasureResult,
        ProgressNote,
        PsychotherapyNote,
        TreatmentPlan,
    )

    register_scope(
        ProgressNote,
        Scope(
            kind=ResourceKind.PROGRESS_NOTE,
            organisation_field="client__organisation_id",
            describe=note_resource,
            own=lambda user, _orgs: Q(author_id=user.pk),
            assigned=notes_assigned,
        ),
    )
    register_scope(
        PsychotherapyNote,
        Scope(
            kind=ResourceKind.PSYCHOTHERAPY_NOTE,
            organisation_field="client__organisation_id",
            describe=lambda note: pnote_resource(note.client, note.author_id, note.pk),
            own=lambda user, _orgs: Q(author_id=user.pk),
            assigned=None,
        ),
    )

    register_scope(
        Appointment,
        Scope(
            kind=ResourceKind.APPOINTMENT,
            organisation_field="organisation_id",
            describe=appointment_resource,
            own=own_appointments,
            assigned=supervised_appointments,
        ),
    )

    register_scope(
        Client,
        Scope(
            kind=ResourceKind.PRACTICE_ADMIN,
            organisation_field="organisation_id",
            describe=client_admin_resource,
            # Nobody "owns" a client: not the client (no login yet), not staff.
            own=None,
            assigned=assigned_clients,
        ),
    )
    # Treatment plans (issue 18, part 4): the clinical record's rules, so the
    # client's therapists and their supervisors, and no administrative role.
    register_scope(
        TreatmentPlan,
        Scope(
            kind=ResourceKind.CLIENT_RECORD,
            organisation_field="client__organisation_id",
            describe=lambda plan: plan_resource(plan.client, plan.pk),
            own=None,
            assigned=plans_assigned,
        ),
    )
    # Measurement-based care (issue 18, part 4): the clinical record's rules too.
    register_scope(
        MeasureAssignment,
        Scope(
            kind=ResourceKind.CLIENT_RECORD,
            organisation_field="client__organisation_id",
            describe=lambda row: measure_resource(row.client, f"measure-assignment:{row.pk}"),
            own=None,
            assigned=measures_assigned,
        ),
    )
    register_scope(
        MeasureResult,
        Scope(
            kind=ResourceKind.CLIENT_RECORD,
            organisation_field="client__organisation_id",
            describe=lambda row: measure_resource(row.client, f"measure:{row.pk}"),
            own=None,
            assigned=measures_assigned,
        ),
    )
    # An alert is its therapist's: another therapist of the client has their own.
    register_scope(
        MeasureAlert,
        Scope(
            kind=ResourceKind.CLIENT_RECORD,
            organisation_field="client__organisation_id",
            describe=lambda row: measure_resource(row.client, f"measure-alert:{row.pk}"),
            own=None,
            assigned=lambda user: Q(therapist_id=user.pk) & measures_assigned(user),
        ),
    )
    # Break-glass on a client's record (issue 18): an opening is its
    # therapist's own (so never reviewed by them) and the privacy officer's
    # to review, as a break-glass opening of an identity is.
    register_scope(
        ClientBreakGlass,
        Scope(
            kind=ResourceKind.IDENTITY_GRANT,
            organisation_field="organisation_id",
            describe=breakglass_resource,
            own=lambda user, _orgs: Q(opened_by_id=user.pk),
            assigned=None,
        ),
    )
