"""The practice's note pages (/practice/clients/<pk>/notes/...): progress and psychotherapy notes.

Only the clinical roles reach them (``practice_only`` with the therapists and
supervisors), and each reads what it shows through the notes' accessors, so
a therapist sees the notes of their own clients and a supervisor those of
their supervisees' clients. The front desk, billing, the privacy officer and
the administrator get "not found", as for a page that does not exist.

Signing and co-signing need a fresh second factor, asked for after the
decision (a prompt would otherwise tell an outsider the note exists).
Psychotherapy notes are their author's alone, and their page asks for a
fresh second factor before anything of them is read.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import fresh, org_query, practice_only, reauthenticate_then
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.actors import AuthenticatedRequest
from wellkept.orgs.models import Organisation
from wellkept.practice import codes, notetemplates, selectors, services
from wellkept.practice.forms import AddendumForm, NoteForm, PsychotherapyNoteForm
from wellkept.practice.models import Client, NoteStatus, ProgressNote
from wellkept.practice.views.acting import act_on_form, act_then_back

NOTES = ResourceKind.PROGRESS_NOTE
PNOTES = ResourceKind.PSYCHOTHERAPY_NOTE
PURPOSE = Purpose.CLINICAL_CARE
CLINICAL = frozenset({AccessRole.SPECIALIST, AccessRole.CLINICAL_SUPERVISOR})
THERAPISTS = frozenset({AccessRole.SPECIALIST})
SUPERVISORS = frozenset({AccessRole.CLINICAL_SUPERVISOR})


def _notes_url(client: Client, organisation: Organisation) -> str:
    return reverse("practice:notes", args=[client.pk]) + org_query(organisation)


def _note_url(note: ProgressNote, organisation: Organisation) -> str:
    return reverse("practice:note", args=[note.client_id, note.pk]) + org_query(organisation)


def _pnotes_url(client: Client, organisation: Organisation) -> str:
    return reverse("practice:pnotes", args=[client.pk]) + org_query(organisation)


def _client(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> Client:
    return selectors.get_client_for(
        actor=request.user, organisation=organisation, pk=pk, request=request, action=Action.READ
    )


def _works_with(request: AuthenticatedRequest, client: Client) -> bool:
    return any(t.pk == request.user.pk for t in selectors.current_therapists(client))


def _code_choices(organisation: Organisation) -> list[tuple[str, str]]:
    return [(c.code, f"{c.code} {c.description}") for c in selectors.service_codes(organisation)]


def _described(diagnoses: list[str]) -> list[str]:
    shown = []
    for code in diagnoses:
        try:
            shown.append(str(codes.diagnosis(code)))
        except codes.CodeError:
            # A code of an older release: shown as stored, never dropped.
            shown.append(code)
    return shown


@policy(action=Action.READ, resource=NOTES, purpose=PURPOSE)
@practice_only(what="practice-notes", roles=CLINICAL)
@never_cache
@require_GET
def note_list(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """List a client's progress notes, newest session first; start one from a template."""
    client = _client(request, organisation, pk)
    works_with = _works_with(request, client)
    return render(
        request,
        "practice/practice/notes/list.html",
        {
            "organisation": organisation,
            "client": client,
            "notes": selectors.client_notes(actor=request.user, client=client, request=request),
            "templates": notetemplates.templates() if works_with else [],
            "may_keep_pnotes": works_with,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.CREATE, resource=NOTES, purpose=PURPOSE)
@practice_only(what="practice-note-new", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def note_new(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Write a new draft note from the chosen template."""
    client = _client(request, organisation, pk)
    try:
        template = notetemplates.get_template(request.GET.get("template", ""))
    except notetemplates.UnknownTemplate:
        messages.error(request, "Choose a note template from the list.")
        return HttpResponseRedirect(_notes_url(client, organisation))
    form = NoteForm(
        request.POST or None, template=template, service_codes=_code_choices(organisation)
    )
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.note_create(
                actor=request.user,
                client=client,
                template_code=template.code,
                service_date=form.cleaned_data["service_date"],
                sections=form.sections(),
                diagnosis_codes=form.diagnoses(),
                service_codes=form.cleaned_data["service_codes"],
                request=request,
            ),
            done="Draft saved. Sign it when it is complete.",
            then=lambda note: _note_url(note, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "practice/practice/notes/form.html",
        {"organisation": organisation, "client": client, "form": form, "note": None},
    )


@policy(action=Action.READ, resource=NOTES, purpose=PURPOSE)
@practice_only(what="practice-note", roles=CLINICAL)
@never_cache
@require_GET
def note_detail(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Show one note, its signatures and addenda, and what the reader may do next."""
    client = _client(request, organisation, pk)
    note = selectors.get_note_for(actor=request.user, client=client, pk=note_pk, request=request)
    template = notetemplates.get_template(note.template_code, note.template_version)
    stored = services.note_sections(note)
    author = note.author_id == request.user.pk
    draft = note.status == NoteStatus.DRAFT
    return render(
        request,
        "practice/practice/notes/detail.html",
        {
            "organisation": organisation,
            "client": client,
            "note": note,
            "template": template,
            "sections": [(s, stored.get(s.id, "")) for s in template.sections],
            "diagnoses": _described(services.split_codes(note.diagnosis_codes)),
            "service_codes": services.split_codes(note.service_codes),
            "author_label": selectors.staff_label(note.author),
            "cosigner_label": selectors.staff_label(note.cosigned_by) if note.cosigned_by else "",
            "addenda": [(a, selectors.staff_label(a.author)) for a in selectors.addenda(note)],
            "may_edit": author and draft,
            "may_cosign": note.status == NoteStatus.SIGNED
            and request.user.pk in services.supervisors_of(note.author_id, organisation.pk),
            "addendum_form": None if draft else AddendumForm(),
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=NOTES, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-note-edit", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def note_edit(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Change a draft note; a signed one sends the reader to its addenda."""
    client = _client(request, organisation, pk)
    note = selectors.get_note_for(
        actor=request.user, client=client, pk=note_pk, request=request, action=Action.READ
    )
    if note.status != NoteStatus.DRAFT or note.author_id != request.user.pk:
        messages.error(request, "Only a draft is changed, by its author; add an addendum.")
        return HttpResponseRedirect(_note_url(note, organisation))
    template = notetemplates.get_template(note.template_code, note.template_version)
    choices = _code_choices(organisation)
    if request.method == "POST":
        form = NoteForm(request.POST, template=template, service_codes=choices)
        if form.is_valid():
            done = act_on_form(
                request,
                form,
                act=lambda: services.note_update(
                    actor=request.user,
                    note=note,
                    service_date=form.cleaned_data["service_date"],
                    sections=form.sections(),
                    diagnosis_codes=form.diagnoses(),
                    service_codes=form.cleaned_data["service_codes"],
                    request=request,
                ),
                done="Draft saved.",
                then=_note_url(note, organisation),
            )
            if done is not None:
                return done
    else:
        stored = services.note_sections(note)
        initial: dict[str, Any] = {f"section_{k}": v for k, v in stored.items()}
        initial["service_date"] = note.service_date
        initial["diagnosis_codes"] = ", ".join(services.split_codes(note.diagnosis_codes))
        initial["service_codes"] = services.split_codes(note.service_codes)
        form = NoteForm(initial=initial, template=template, service_codes=choices)
    return render(
        request,
        "practice/practice/notes/form.html",
        {"organisation": organisation, "client": client, "form": form, "note": note},
    )


@policy(action=Action.UPDATE, resource=NOTES, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-note-sign", roles=THERAPISTS)
@require_POST
def note_sign(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Sign one's draft, after a fresh second factor: the content is frozen from now on."""
    client = _client(request, organisation, pk)
    note = selectors.get_note_for(
        actor=request.user, client=client, pk=note_pk, request=request, action=Action.READ
    )
    if not fresh(request):
        return reauthenticate_then(request, _note_url(note, organisation))
    return act_then_back(
        request,
        act=lambda: services.note_sign(actor=request.user, note=note, request=request),
        done=lambda signed: (
            "Signed; it now waits for your supervisor's co-signature."
            if signed.status == NoteStatus.SIGNED
            else "Signed and locked."
        ),
        back=_note_url(note, organisation),
    )


@policy(action=Action.UPDATE, resource=NOTES, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-note-cosign", roles=SUPERVISORS)
@require_POST
def note_cosign(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Co-sign a supervisee's signed note, after a fresh second factor; it is then locked."""
    client = _client(request, organisation, pk)
    note = selectors.get_note_for(
        actor=request.user, client=client, pk=note_pk, request=request, action=Action.READ
    )
    if not fresh(request):
        return reauthenticate_then(request, _note_url(note, organisation))
    return act_then_back(
        request,
        act=lambda: services.note_cosign(actor=request.user, note=note, request=request),
        done="Co-signed and locked.",
        back=_note_url(note, organisation),
    )


@policy(action=Action.UPDATE, resource=NOTES, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-note-addendum", roles=CLINICAL)
@sensitive_post_parameters()
@require_POST
def addendum_new(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Add a dated, signed addendum to a signed note."""
    client = _client(request, organisation, pk)
    note = selectors.get_note_for(
        actor=request.user, client=client, pk=note_pk, request=request, action=Action.READ
    )
    form = AddendumForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return HttpResponseRedirect(_note_url(note, organisation))
    return act_then_back(
        request,
        act=lambda: services.addendum_add(
            actor=request.user, note=note, body=form.cleaned_data["body"], request=request
        ),
        done="Addendum added.",
        back=_note_url(note, organisation),
    )


@policy(action=Action.READ, resource=NOTES, purpose=PURPOSE)
@practice_only(what="practice-cosign-queue", roles=SUPERVISORS)
@never_cache
@require_GET
def cosign_queue(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """The supervisees' signed notes waiting for this supervisor's co-signature."""
    rows = selectors.cosign_queue(actor=request.user, organisation=organisation, request=request)
    return render(
        request,
        "practice/practice/notes/cosign_queue.html",
        {
            "organisation": organisation,
            "notes": [(n, selectors.staff_label(n.author)) for n in rows],
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.READ, resource=PNOTES, purpose=PURPOSE, also=(Action.CREATE,))
@practice_only(what="practice-pnotes", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def pnote_list(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """One's own psychotherapy notes about a client, after a fresh second factor; write one."""
    client = _client(request, organisation, pk)
    if not _works_with(request, client):
        raise Http404
    if not fresh(request):
        # Asked after the client is found, so the prompt tells nothing to
        # someone who may not see the client; before any note is read.
        return reauthenticate_then(request, _pnotes_url(client, organisation))
    form = PsychotherapyNoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.pnote_write(
                actor=request.user, client=client, body=form.cleaned_data["body"], request=request
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "Psychotherapy note saved.")
            return HttpResponseRedirect(_pnotes_url(client, organisation))
    return render(
        request,
        "practice/practice/notes/pnotes.html",
        {
            "organisation": organisation,
            "client": client,
            "pnotes": selectors.client_pnotes(actor=request.user, client=client, request=request),
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.UPDATE, resource=PNOTES, purpose=PURPOSE, also=(Action.READ,))
@practice_only(what="practice-pnote-edit", roles=THERAPISTS)
@sensitive_post_parameters()
@never_cache
@require_http_methods(["GET", "POST"])
def pnote_edit(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Change one of one's psychotherapy notes, after a fresh second factor."""
    client = _client(request, organisation, pk)
    if not fresh(request):
        return reauthenticate_then(request, _pnotes_url(client, organisation))
    note = selectors.get_pnote_for(
        actor=request.user, client=client, pk=note_pk, request=request, action=Action.READ
    )
    body = note.body if isinstance(note.body, str) else ""
    form = PsychotherapyNoteForm(request.POST or None, initial={"body": body})
    if request.method == "POST" and form.is_valid():
        try:
            services.pnote_update(
                actor=request.user, note=note, body=form.cleaned_data["body"], request=request
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_error(None, exc.messages)
        else:
            messages.success(request, "Psychotherapy note saved.")
            return HttpResponseRedirect(_pnotes_url(client, organisation))
    return render(
        request,
        "practice/practice/notes/pnote_edit.html",
        {
            "organisation": organisation,
            "client": client,
            "pnote": note,
            "form": form,
            "org_query": org_query(organisation),
        },
    )


@policy(action=Action.DELETE, resource=PNOTES, purpose=PURPOSE)
@practice_only(what="practice-pnote-delete", roles=THERAPISTS)
@require_POST
def pnote_delete(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any, note_pk: Any
) -> HttpResponse:
    """Delete one of one's psychotherapy notes, after a fresh second factor."""
    client = _client(request, organisation, pk)
    if not fresh(request):
        return reauthenticate_then(request, _pnotes_url(client, organisation))
    note = selectors.get_pnote_for(actor=request.user, client=client, pk=note_pk, request=request)
    try:
        services.pnote_delete(actor=request.user, note=note, request=request)
    except PermissionDenied:
        raise Http404 from None
    messages.success(request, "Psychotherapy note deleted.")
    return HttpResponseRedirect(_pnotes_url(client, organisation))
