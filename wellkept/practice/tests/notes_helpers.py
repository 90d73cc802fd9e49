"""Shared pieces of the notes tests: a filled SOAP note, service codes, a participant."""

from __future__ import annotations

import datetime as dt

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.practice import services
from wellkept.practice.models import ProgressNote, ServiceCode
from wellkept.practice.tests.conftest import Practice

SOAP = {
    "subjective": "Reports sleeping badly since the rota changed (Kestrelcanary).",
    "objective": "Tired, engaged, affect congruent.",
    "assessment": "Adjustment difficulties; no risk indicated.",
    "plan": "Sleep diary; review in two weeks.",
}


def yesterday() -> dt.date:
    return clock.now().astimezone(dt.UTC).date() - dt.timedelta(days=1)


def with_service_codes(practice: Practice) -> None:
    for code, text in (("90834", "Psychotherapy, 45 min"), ("90837", "Psychotherapy, 60 min")):
        ServiceCode.objects.create(organisation=practice.harbour, code=code, description=text)


def draft(practice: Practice, author: str = "tess", client: str = "ada", **more) -> ProgressNote:
    values = {
        "template_code": "soap",
        "service_date": yesterday(),
        "sections": SOAP,
        "diagnosis_codes": ["F43.20"],
        "service_codes": [],
    }
    values.update(more)
    return services.note_create(
        actor=practice.people[author], client=practice.clients[client], **values
    )


def signed(practice: Practice, author: str = "tess", client: str = "ada") -> ProgressNote:
    return services.note_sign(actor=practice.people[author], note=draft(practice, author, client))


def participant() -> User:
    """Someone signed in with no role at the practice (a programme participant, say)."""
    return User.objects.create_user("pia@participant.example", None)
