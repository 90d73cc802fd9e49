"""How couples and family cases relate to an actor, for the access policy.

A case is practice administration (its code, kind, members' codes and
appointments): the front desk and billing see it, and of the clinicians
only the case's current therapists and their supervisors. A joint note is
clinical: the policy treats it as a progress note, so no administrative
role ever reaches it, and only the case's therapists (and their
supervisors) do. Each member's copy is an ordinary progress note of that
member and is decided by the member's own record.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q

from wellkept.access.resources import Resource, ResourceKind, Scope, register_scope


def case_assignees(case: Any) -> frozenset[Any]:
    """The case's current therapists and their current supervisors, by user id."""
    from wellkept.practice.models import CaseTherapist, Supervision

    therapists = set(
        CaseTherapist.objects.filter(case_id=case.pk, until__isnull=True).values_list(
            "therapist_id", flat=True
        )
    )
    supervisors = set(
        Supervision.objects.filter(
            organisation_id=case.organisation_id,
            supervisee_id__in=therapists,
            until__isnull=True,
        ).values_list("supervisor_id", flat=True)
    )
    return frozenset(therapists | supervisors)


def case_resource(case: Any, reference: str = "") -> Resource:
    """A case: its code, members and appointments (what the front desk sees too)."""
    suffix = f"/{reference}" if reference else ""
    return Resource(
        kind=ResourceKind.PRACTICE_ADMIN,
        reference=f"case:{case.pk}{suffix}",
        organisation_id=case.organisation_id,
        assignee_user_ids=case_assignees(case),
    )


def new_case_resource(organisation_id: Any) -> Resource:
    """A case about to be opened at a practice."""
    return Resource(
        kind=ResourceKind.PRACTICE_ADMIN,
        reference=f"organisation:{organisation_id}/case:new",
        organisation_id=organisation_id,
    )


def joint_note_resource(case: Any, author_id: Any = None, pk: Any = "new") -> Resource:
    """A joint note: clinical, its author's own, assigned to the case's therapists."""
    return Resource(
        kind=ResourceKind.PROGRESS_NOTE,
        reference=f"case:{case.pk}/joint-note:{pk}",
        organisation_id=case.organisation_id,
        owner_user_id=author_id,
        assignee_user_ids=case_assignees(case),
    )


def assigned_cases(user: Any) -> Q:
    """Cases the user sees now, or whose therapist the user supervises now."""
    from wellkept.practice.models import CaseTherapist, Supervision

    supervisees = Supervision.objects.filter(
        supervisor_id=user.pk,
        until__isnull=True,
        organisation_id=OuterRef(OuterRef("organisation_id")),
    ).values("supervisee_id")
    current = CaseTherapist.objects.filter(case_id=OuterRef("pk"), until__isnull=True).filter(
        Q(therapist_id=user.pk) | Q(therapist_id__in=supervisees)
    )
    return Q(Exists(current))


def joint_notes_assigned(user: Any) -> Q:
    """Joint notes of the cases the user sees or supervises."""
    from wellkept.practice.models import Case

    return Q(case__in=Case.objects.filter(assigned_cases(user)))


def register() -> None:
    """Register the cases' scopes (from ready())."""
    from wellkept.practice.models import Case, JointNote

    register_scope(
        Case,
        Scope(
            kind=ResourceKind.PRACTICE_ADMIN,
            organisation_field="organisation_id",
            describe=case_resource,
            own=None,
            assigned=assigned_cases,
        ),
    )
    register_scope(
        JointNote,
        Scope(
            kind=ResourceKind.PROGRESS_NOTE,
            organisation_field="case__organisation_id",
            describe=lambda row: joint_note_resource(row.case, row.author_id, row.pk),
            own=lambda user, _orgs: Q(author_id=user.pk),
            assigned=joint_notes_assigned,
        ),
    )
