"""Writes of notes: progress notes (draft, sign, co-sign, addenda), psychotherapy notes, codes.

Each service asks the policy first (one audited decision), checks the
note's state under a row lock, and records its own audit event in the same
transaction. The state machine is enforced here and again by the
database's constraints: a draft is the only note whose content changes;
signing freezes it; a supervised therapist's signed note is locked only by
the supervisor's co-signature; afterwards only addenda are added.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.actors import Actor, person
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Organisation
from wellkept.practice import codes, notetemplates
from wellkept.practice.models import (
    Addendum,
    Client,
    ClientAssignment,
    NoteStatus,
    ProgressNote,
    PsychotherapyNote,
    ServiceCode,
    Supervision,
    pnote_subject,
)
from wellkept.practice.scopes import new_note_resource, note_resource, pnote_resource
from wellkept.practice.services.deciding import today as _today
from wellkept.vault.services import datakey_shred

PURPOSE = Purpose.CLINICAL_CARE
# Long enough for a thorough intake assessment's section; a paste of a whole
# document is refused with a clear message rather than stored.
SECTION_MAX = 20_000
MAX_CODES = 12
SERVICE_CODE_SHAPE = re.compile(r"^[0-9]{4}[0-9A-Z]$")
SERVICE_DESCRIPTION_MAX = 120


def _allow(actor: Actor, action: Action, resource: Resource, request: HttpRequest | None) -> None:
    if not can(actor, action, resource, PURPOSE, request=request):
        raise PermissionDenied("You may not do this with this note.")


def _target(note: ProgressNote) -> str:
    return f"client:{note.client_id}/note:{note.pk}"


def supervisors_of(author_id: Any, organisation_id: Any) -> set[Any]:
    """The author's current clinical supervisors in one practice, by user id."""
    return set(
        Supervision.objects.filter(
            organisation_id=organisation_id, supervisee_id=author_id, until__isnull=True
        ).values_list("supervisor_id", flat=True)
    )


def _check_sections(
    template: notetemplates.NoteTemplate, sections: Mapping[str, str], *, signing: bool
) -> dict[str, str]:
    known = {s.id for s in template.sections}
    unknown = set(sections) - known
    if unknown:
        raise ValidationError(
            {"sections": f"{template.title} has no section {sorted(unknown)[0]!r}."}
        )
    cleaned = {s.id: str(sections.get(s.id, "")).strip() for s in template.sections}
    errors: dict[str, str] = {}
    for section in template.sections:
        text = cleaned[section.id]
        if len(text) > SECTION_MAX:
            errors[section.id] = f"Keep {section.label} under {SECTION_MAX} characters."
        elif signing and section.required and not text:
            errors[section.id] = f"Fill in {section.label} before signing."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_codes(
    organisation_id: Any, diagnosis_codes: Iterable[str], service_codes: Iterable[str]
) -> tuple[list[str], list[str]]:
    errors: dict[str, str] = {}
    diagnoses: list[str] = []
    for raw in diagnosis_codes:
        if not raw.strip():
            continue
        try:
            found = codes.diagnosis(raw).code
        except codes.CodeError as exc:
            errors["diagnosis_codes"] = str(exc)
            break
        if found not in diagnoses:
            diagnoses.append(found)
    services: list[str] = []
    wanted = [raw.strip().upper() for raw in service_codes if raw.strip()]
    if wanted:
        active = set(
            ServiceCode.objects.filter(
                organisation_id=organisation_id, code__in=wanted, active=True
            ).values_list("code", flat=True)
        )
        missing = [c for c in wanted if c not in active]
        if missing:
            errors["service_codes"] = (
                f"{missing[0][:8]!r} is not one of this practice's service codes; "
                "choose from the practice's list."
            )
        services = list(dict.fromkeys(wanted))
    if len(diagnoses) > MAX_CODES or len(services) > MAX_CODES:
        errors["diagnosis_codes"] = f"A note takes at most {MAX_CODES} codes of each kind."
    if errors:
        raise ValidationError(errors)
    return diagnoses, services


def _check_date(service_date: dt.date) -> None:
    if service_date > _today():
        raise ValidationError({"service_date": "The session date cannot be in the future."})


def note_sections(note: ProgressNote) -> dict[str, str]:
    """The note's sections as a mapping (for a note already read through the accessor)."""
    raw = note.sections
    if not isinstance(raw, str):
        return {}
    loaded = json.loads(raw)
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def split_codes(value: object) -> list[str]:
    """A stored comma-separated code list as a list (nothing for an erased value)."""
    return [c for c in value.split(",") if c] if isinstance(value, str) else []


def note_create(
    *,
    actor: Actor,
    client: Client,
    template_code: str,
    service_date: dt.date,
    sections: Mapping[str, str],
    diagnosis_codes: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    request: HttpRequest | None = None,
) -> ProgressNote:
    """Start a draft note about a client the author works with, from a template."""
    author = person(actor)
    # Decided as "assigned", never "own": only a therapist working with the
    # client may write in their record, and a supervisor only co-signs.
    _allow(actor, Action.CREATE, new_note_resource(client), request)
    if not ClientAssignment.objects.filter(
        client=client, therapist=author, until__isnull=True
    ).exists():
        raise PermissionDenied("Only a therapist working with this client writes their notes.")
    try:
        template = notetemplates.get_template(template_code)
    except notetemplates.UnknownTemplate:
        raise ValidationError({"template": "Choose a note template from the list."}) from None
    cleaned = _check_sections(template, sections, signing=False)
    _check_date(service_date)
    diagnoses, services = _check_codes(client.organisation_id, diagnosis_codes, service_codes)
    note = ProgressNote(
        client=client,
        author=author,
        template_code=template.code,
        template_version=template.version,
        service_date=service_date,
    )
    note.sections = json.dumps(cleaned)
    note.diagnosis_codes = ",".join(diagnoses)
    note.service_codes = ",".join(services)
    with transaction.atomic():
        note.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_NOTE_CREATED,
            target=_target(note),
            purpose=PURPOSE.value,
            reason=f"template {template.key}",
            request=request,
        )
    return note


def _locked_note(note: ProgressNote) -> ProgressNote:
    return lock_rows(ProgressNote.objects.select_related("client")).get(pk=note.pk)


def _author_only(actor: Actor, note: ProgressNote) -> None:
    if str(person(actor).pk) != str(note.author_id):
        raise PermissionDenied("Only the note's author may do this.")


def note_update(
    *,
    actor: Actor,
    note: ProgressNote,
    service_date: dt.date,
    sections: Mapping[str, str],
    diagnosis_codes: Sequence[str] = (),
    service_codes: Sequence[str] = (),
    request: HttpRequest | None = None,
) -> ProgressNote:
    """Change a draft note; a signed note is never changed (add an addendum instead)."""
    _allow(actor, Action.UPDATE, note_resource(note), request)
    _author_only(actor, note)
    template = notetemplates.get_template(note.template_code, note.template_version)
    cleaned = _check_sections(template, sections, signing=False)
    _check_date(service_date)
    diagnoses, services = _check_codes(note.client.organisation_id, diagnosis_codes, service_codes)
    with transaction.atomic():
        locked = _locked_note(note)
        if locked.status != NoteStatus.DRAFT:
            raise ValidationError(
                "A signed note cannot be changed: add an addendum instead.", code="signed"
            )
        locked.sections = json.dumps(cleaned)
        locked.diagnosis_codes = ",".join(diagnoses)
        locked.service_codes = ",".join(services)
        locked.service_date = service_date
        locked.updated_at = clock.now()
        locked.save(
            update_fields=[
                "sections",
                "diagnosis_codes",
                "service_codes",
                "service_date",
                "updated_at",
            ]
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_NOTE_UPDATED,
            target=_target(locked),
            purpose=PURPOSE.value,
            request=request,
        )
    return locked


def note_sign(
    *, actor: Actor, note: ProgressNote, request: HttpRequest | None = None
) -> ProgressNote:
    """Sign a draft: its content is frozen; a supervised author's note then awaits co-signature."""
    _allow(actor, Action.UPDATE, note_resource(note), request)
    _author_only(actor, note)
    template = notetemplates.get_template(note.template_code, note.template_version)
    with transaction.atomic():
        locked = _locked_note(note)
        if locked.status != NoteStatus.DRAFT:
            raise ValidationError("This note is already signed.", code="signed")
        _check_sections(template, note_sections(locked), signing=True)
        now = clock.now()
        locked.signed_at = now
        # Decided at signing: a supervision that starts or ends later does not
        # change what this note needed.
        locked.cosign_required = bool(
            supervisors_of(locked.author_id, locked.client.organisation_id)
        )
        if locked.cosign_required:
            locked.status = NoteStatus.SIGNED
        else:
            locked.status = NoteStatus.LOCKED
            locked.locked_at = now
        locked.save(update_fields=["signed_at", "cosign_required", "status", "locked_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_NOTE_SIGNED,
            target=_target(locked),
            purpose=PURPOSE.value,
            reason="awaiting co-signature" if locked.cosign_required else "locked",
            request=request,
        )
    return locked


def note_cosign(
    *, actor: Actor, note: ProgressNote, request: HttpRequest | None = None
) -> ProgressNote:
    """Co-sign a supervisee's signed note as their current supervisor, which locks it."""
    _allow(actor, Action.UPDATE, note_resource(note), request)
    supervisor = person(actor)
    if supervisor.pk not in supervisors_of(note.author_id, note.client.organisation_id):
        raise PermissionDenied("Only the author's clinical supervisor co-signs their notes.")
    with transaction.atomic():
        locked = _locked_note(note)
        if locked.status != NoteStatus.SIGNED or not locked.cosign_required:
            raise ValidationError("This note is not waiting for a co-signature.", code="state")
        now = clock.now()
        locked.cosigned_by = supervisor
        locked.cosigned_at = now
        locked.status = NoteStatus.LOCKED
        locked.locked_at = now
        locked.save(update_fields=["cosigned_by", "cosigned_at", "status", "locked_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_NOTE_COSIGNED,
            target=_target(locked),
            purpose=PURPOSE.value,
            request=request,
        )
    return locked


def addendum_add(
    *, actor: Actor, note: ProgressNote, body: str, request: HttpRequest | None = None
) -> Addendum:
    """Add a dated, signed addendum to a signed note; the note itself stays as signed."""
    _allow(actor, Action.UPDATE, note_resource(note), request)
    author = person(actor)
    text = body.strip()
    if not text:
        raise ValidationError({"body": "Write the addendum."})
    if len(text) > SECTION_MAX:
        raise ValidationError({"body": f"Keep the addendum under {SECTION_MAX} characters."})
    with transaction.atomic():
        locked = _locked_note(note)
        if locked.status == NoteStatus.DRAFT:
            raise ValidationError(
                "A draft is changed, not amended: an addendum follows signing.", code="draft"
            )
        addendum = Addendum(note=locked, client_id=locked.client_id, author=author)
        addendum.body = text
        addendum.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_ADDENDUM_ADDED,
            target=f"{_target(locked)}/addendum:{addendum.pk}",
            purpose=PURPOSE.value,
            request=request,
        )
    return addendum


# ---- Psychotherapy notes ---------------------------------------------------------------


def pnote_write(
    *, actor: Actor, client: Client, body: str, request: HttpRequest | None = None
) -> PsychotherapyNote:
    """Write a psychotherapy note about a client one works with, under the author's own key."""
    author = person(actor)
    note = PsychotherapyNote(client=client, author=author)
    _allow(actor, Action.CREATE, pnote_resource(client, author.pk, note.pk), request)
    if not ClientAssignment.objects.filter(
        client=client, therapist=author, until__isnull=True
    ).exists():
        raise PermissionDenied("Only a therapist working with this client writes such notes.")
    text = body.strip()
    if not text:
        raise ValidationError({"body": "Write the note."})
    if len(text) > SECTION_MAX:
        raise ValidationError({"body": f"Keep the note under {SECTION_MAX} characters."})
    note.body = text
    with transaction.atomic():
        note.save(force_insert=True)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PNOTE_WRITTEN,
            target=f"client:{client.pk}/pnote:{note.pk}",
            purpose=PURPOSE.value,
            reason="created",
            request=request,
        )
    return note


def pnote_update(
    *,
    actor: Actor,
    note: PsychotherapyNote,
    body: str,
    request: HttpRequest | None = None,
) -> PsychotherapyNote:
    """Change one's own psychotherapy note; nobody else's is ever in reach."""
    _allow(actor, Action.UPDATE, pnote_resource(note.client, note.author_id, note.pk), request)
    text = body.strip()
    if not text:
        raise ValidationError({"body": "Write the note, or delete it."})
    if len(text) > SECTION_MAX:
        raise ValidationError({"body": f"Keep the note under {SECTION_MAX} characters."})
    with transaction.atomic():
        locked = lock_rows(PsychotherapyNote.objects.select_related("client")).get(pk=note.pk)
        locked.body = text
        locked.updated_at = clock.now()
        locked.save(update_fields=["body", "updated_at"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PNOTE_WRITTEN,
            target=f"client:{locked.client_id}/pnote:{locked.pk}",
            purpose=PURPOSE.value,
            reason="changed",
            request=request,
        )
    return locked


def pnote_delete(
    *, actor: Actor, note: PsychotherapyNote, request: HttpRequest | None = None
) -> None:
    """Delete one of one's psychotherapy notes; the last one about a client takes its key along.

    A key is per author and client, so it is shredded when no note under it
    is left. Until then a copy of the deleted row in an older backup would
    still open: deleting every note about the client (or erasing the client)
    closes that.
    """
    _allow(actor, Action.DELETE, pnote_resource(note.client, note.author_id, note.pk), request)
    subject = pnote_subject(note.author_id, note.client_id)
    with transaction.atomic():
        locked = lock_rows(PsychotherapyNote.objects.all()).filter(pk=note.pk).first()
        if locked is None:
            return
        locked.delete()
        last = not PsychotherapyNote.objects.filter(
            author_id=note.author_id, client_id=note.client_id
        ).exists()
        if last:
            datakey_shred(actor=actor, subject=subject)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_PNOTE_DELETED,
            target=f"client:{note.client_id}/pnote:{note.pk}",
            purpose=PURPOSE.value,
            reason="key shredded" if last else "",
            request=request,
        )


# ---- Service codes ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceCodesLoaded:
    added: int
    changed: int
    deactivated: int


def parse_service_codes(rows: Iterable[Sequence[str]]) -> list[tuple[str, str]]:
    """Check CSV rows (code, description); raise ValidationError naming the first bad line."""
    parsed: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() == "code":
            continue
        if len(cells) != 2:
            raise ValidationError(f"Line {number}: write a code and a description, nothing else.")
        code, description = cells[0].upper(), cells[1]
        if not SERVICE_CODE_SHAPE.match(code):
            raise ValidationError(
                f"Line {number}: {code[:10]!r} is not a CPT code (five characters, like 90837)."
            )
        if not description or len(description) > SERVICE_DESCRIPTION_MAX:
            raise ValidationError(
                f"Line {number}: give a short description of up to "
                f"{SERVICE_DESCRIPTION_MAX} characters."
            )
        if code in parsed:
            raise ValidationError(f"Line {number}: {code} is listed twice.")
        parsed[code] = description
    if not parsed:
        raise ValidationError("The file lists no service codes.")
    return list(parsed.items())


def service_codes_load(
    *,
    actor: Actor,
    organisation: Organisation,
    codes_given: Sequence[tuple[str, str]],
    dry_run: bool = False,
) -> ServiceCodesLoaded:
    """Make the practice's service codes those given: add, update, deactivate the rest."""
    resource = Resource(
        kind=ResourceKind.ORG_CONFIG,
        reference=f"organisation:{organisation.pk}/service-codes",
        organisation_id=organisation.pk,
    )
    if not can(actor, Action.UPDATE, resource, Purpose.SERVICE_ADMINISTRATION):
        raise PermissionDenied("You may not change this practice's service codes.")
    given = dict(codes_given)
    with transaction.atomic():
        existing = {
            row.code: row
            for row in lock_rows(ServiceCode.objects.filter(organisation=organisation))
        }
        added = [c for c in given if c not in existing]
        changed = [
            row
            for code, row in existing.items()
            if code in given and (row.description != given[code] or not row.active)
        ]
        # Deactivated, never deleted: signed notes keep the codes they carry.
        retired = [row for code, row in existing.items() if code not in given and row.active]
        result = ServiceCodesLoaded(len(added), len(changed), len(retired))
        if dry_run:
            return result
        ServiceCode.objects.bulk_create(
            [ServiceCode(organisation=organisation, code=c, description=given[c]) for c in added]
        )
        for row in changed:
            row.description = given[row.code]
            row.active = True
            row.save(update_fields=["description", "active"])
        for row in retired:
            row.active = False
            row.save(update_fields=["active"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_SERVICE_CODES_LOADED,
            target=f"organisation:{organisation.pk}/service-codes",
            purpose=Purpose.SERVICE_ADMINISTRATION.value,
            reason=f"{result.added} added, {result.changed} changed, "
            f"{result.deactivated} deactivated",
        )
    return result
