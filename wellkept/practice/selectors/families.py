"""Reads of couples and family cases, through the policy and audited.

- ``case_list``: the cases the actor may see (every case for the front desk
  and billing; their own cases for therapists and supervisors).
- ``get_case_for``: one case, or 404 for missing and forbidden alike.
- ``case_appointments``: the case's joint appointments the actor may see.
- ``case_joint_notes`` and ``get_joint_note_for``: joint notes, clinical, so
  never for an administrative role.
- ``joint_note_copies``: the member copies of a joint note the actor may read
  (each decided on its member's record).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import Caller
from wellkept.orgs.models import Organisation
from wellkept.practice.models import Appointment, Case, JointNote, ProgressNote

PURPOSE = Purpose.CLINICAL_CARE


def case_list(
    *, actor: Caller, organisation: Organisation, request: HttpRequest | None = None
) -> list[Case]:
    """The practice's cases the actor may see, by code."""
    rows = visible(
        actor, Action.READ, Case.objects.filter(organisation=organisation), PURPOSE, request=request
    )
    return list(rows.order_by("code"))


def get_case_for(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> Case:
    """Return the practice's case the actor may ``action``, or 404; one audited decision."""
    return get_for(
        actor=actor,
        queryset=Case.objects.filter(organisation=organisation).select_related("organisation"),
        pk=pk,
        action=action or declared_action(ResourceKind.PRACTICE_ADMIN, Action.READ),
        purpose=PURPOSE,
        request=request,
    )


def case_appointments(
    *, actor: Caller, case: Case, request: HttpRequest | None = None
) -> list[Appointment]:
    """The case's joint appointments (for a case already read) that the actor may see."""
    rows = visible(
        actor,
        Action.READ,
        Appointment.objects.filter(case=case).select_related("room", "therapist"),
        PURPOSE,
        request=request,
    )
    return list(rows.order_by("start"))


def case_joint_notes(
    *, actor: Caller, case: Case, request: HttpRequest | None = None
) -> list[JointNote]:
    """The case's joint notes the actor may read, newest session first."""
    rows = visible(
        actor,
        Action.READ,
        JointNote.objects.filter(case=case).select_related("author"),
        PURPOSE,
        request=request,
    )
    return list(rows.order_by("-service_date", "-created_at"))


def get_joint_note_for(
    *,
    actor: Caller,
    case: Case,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> JointNote:
    """Return the case's joint note the actor may ``action``, or 404 for missing and forbidden."""
    return get_for(
        actor=actor,
        queryset=JointNote.objects.filter(case=case).select_related("case", "author"),
        pk=pk,
        action=action or declared_action(ResourceKind.PROGRESS_NOTE, Action.READ),
        purpose=PURPOSE,
        request=request,
    )


def joint_note_copies(
    *, actor: Caller, joint: JointNote, request: HttpRequest | None = None
) -> list[ProgressNote]:
    """The member copies of a joint note the actor may read, by member code."""
    rows = visible(
        actor,
        Action.READ,
        ProgressNote.objects.filter(joint_copy__joint=joint).select_related("client"),
        PURPOSE,
        request=request,
    )
    return list(rows.order_by("client__code"))
