"""Reads of notes. Every read goes through the policy and is audited.

- ``get_note_for``: one progress note, or 404 for missing and forbidden alike.
- ``client_notes``: the client's progress notes the actor may read (one decision).
- ``cosign_queue``: supervisees' signed notes waiting for this supervisor.
- ``get_pnote_for`` and ``client_pnotes``: the actor's own psychotherapy notes;
  nobody else's are ever in the queryset the policy filters.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest

from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import Caller
from wellkept.orgs.models import Organisation
from wellkept.practice.models import (
    Addendum,
    Client,
    NoteStatus,
    ProgressNote,
    PsychotherapyNote,
    ServiceCode,
    Supervision,
)

NOTE_PURPOSE = Purpose.CLINICAL_CARE


def get_note_for(
    *,
    actor: Caller,
    client: Client,
    pk: Any,
    purpose: Purpose = NOTE_PURPOSE,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> ProgressNote:
    """Return the client's note the actor may ``action`` (else the view's declared one), or 404."""
    return get_for(
        actor=actor,
        queryset=ProgressNote.objects.filter(client=client).select_related(
            "client", "author", "cosigned_by"
        ),
        pk=pk,
        action=action or declared_action(ResourceKind.PROGRESS_NOTE, Action.READ),
        purpose=purpose,
        request=request,
    )


def client_notes(
    *, actor: Caller, client: Client, request: HttpRequest | None = None
) -> list[ProgressNote]:
    """The client's progress notes the actor may read, newest session first."""
    rows = visible(
        actor,
        Action.READ,
        ProgressNote.objects.filter(client=client).select_related("author"),
        NOTE_PURPOSE,
        request=request,
    )
    return list(rows.order_by("-service_date", "-created_at"))


def addenda(note: ProgressNote) -> list[Addendum]:
    """A note's addenda, oldest first (for a note already read through ``get_note_for``)."""
    return list(Addendum.objects.filter(note=note).select_related("author"))


def cosign_queue(
    *, actor: Caller, organisation: Organisation, request: HttpRequest | None = None
) -> list[ProgressNote]:
    """Signed notes of the actor's current supervisees that wait for a co-signature."""
    supervisees = Supervision.objects.filter(
        organisation=organisation, supervisor_id=getattr(actor, "pk", None), until__isnull=True
    ).values("supervisee_id")
    rows = visible(
        actor,
        Action.READ,
        ProgressNote.objects.filter(
            client__organisation=organisation,
            status=NoteStatus.SIGNED,
            cosign_required=True,
            author_id__in=supervisees,
        ).select_related("client", "author"),
        NOTE_PURPOSE,
        request=request,
    )
    return list(rows.order_by("signed_at"))


def service_codes(organisation: Organisation) -> list[ServiceCode]:
    """The practice's active service codes, to choose from on a note."""
    return list(ServiceCode.objects.filter(organisation=organisation, active=True))


def client_pnotes(
    *, actor: Caller, client: Client, request: HttpRequest | None = None
) -> list[PsychotherapyNote]:
    """The actor's own psychotherapy notes about the client, newest first."""
    rows = visible(
        actor,
        Action.READ,
        PsychotherapyNote.objects.filter(client=client),
        NOTE_PURPOSE,
        request=request,
    )
    return list(rows.order_by("-written_at"))


def pnotes_released_under_authorisation(
    *, client: Client, author_id: Any
) -> list[tuple[dt.datetime, str]]:
    """The author's own psychotherapy notes about the client, oldest first: (written, text).

    For one caller only: a disclosure's package (``wellkept.disclosures``)
    made by that author under an authorisation that covers psychotherapy
    notes alone, which the disclosure service has checked (issue 19). Nobody
    else's notes, and no other path out: docs/psychotherapy-notes.md.
    """
    rows = PsychotherapyNote.objects.filter(client=client, author_id=author_id)
    return [
        (note.written_at, note.body if isinstance(note.body, str) else "")
        for note in rows.order_by("written_at")
    ]


def get_pnote_for(
    *,
    actor: Caller,
    client: Client,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action | None = None,
) -> PsychotherapyNote:
    """Return the actor's own psychotherapy note, or 404 for anyone else's and missing alike."""
    return get_for(
        actor=actor,
        queryset=PsychotherapyNote.objects.filter(client=client).select_related("client"),
        pk=pk,
        action=action or declared_action(ResourceKind.PSYCHOTHERAPY_NOTE, Action.READ),
        purpose=NOTE_PURPOSE,
        request=request,
    )
