"""Helpers for the couples and family tests: a couple seen by Tess, and a joint note."""

from __future__ import annotations

from wellkept.practice import services
from wellkept.practice.models import Case, CaseKind, JointNote
from wellkept.practice.tests.conftest import SETUP, Practice
from wellkept.practice.tests.notes_helpers import yesterday

# Shared text that goes into every member's copy.
JOINT = {
    "subjective": "Both describe arguments about the rota (Joinedcanary).",
    "objective": "Engaged; took turns.",
    "assessment": "Communication strain; no risk indicated.",
    "plan": "Practise the speaker-listener exercise.",
}


def couple(practice: Practice) -> Case:
    """Ada and Ben as a couple seen by Tess (Ben also sees Theo on his own)."""
    services.client_assign(
        actor=SETUP, client=practice.clients["ben"], therapist=practice.people["tess"]
    )
    return services.case_create(
        actor=practice.people["fran"],
        organisation=practice.harbour,
        kind=CaseKind.COUPLE,
        members=[practice.clients["ada"], practice.clients["ben"]],
        therapists=[practice.people["tess"]],
    )


def joint_note(practice: Practice, case: Case) -> JointNote:
    return services.joint_note_create(
        actor=practice.people["tess"],
        case=case,
        template_code="soap",
        service_date=yesterday(),
        sections=JOINT,
    )
