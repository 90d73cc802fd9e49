"""The staff's message pages under /practice/: the inbox, a client's threads, a thread.

Every page is declared on clinical messages (the strictest of the two
staff kinds) and guarded by ``practice_only``; each thread is decided on
its own kind by the selectors (scheduling and billing threads on
administration messages), 404 for missing and forbidden alike. Writing
goes through the services, which decide again.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy
from wellkept.access.guards import org_query, practice_only
from wellkept.access.policy import NOT_FOUND_MESSAGE, decide
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.messaging import selectors, services
from wellkept.messaging.forms import NewThreadForm, ReplyForm
from wellkept.messaging.models import Thread, ThreadKind
from wellkept.messaging.scopes import thread_resource
from wellkept.messaging.views.common import file_response
from wellkept.orgs.models import Organisation
from wellkept.practice.views.acting import act_on_form

STAFF = PolicyScope(resource=ResourceKind.CLINICAL_MESSAGE, purpose=Purpose.CLINICAL_CARE)


def _thread_url(thread: Thread, organisation: Organisation) -> str:
    return reverse("messaging:thread", args=[thread.pk]) + org_query(organisation)


@policy(action=Action.READ, **STAFF)
@practice_only(what="practice-messages")
@never_cache
@require_GET
def inbox(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Every thread the person may read at this practice, latest first, unread ones marked."""
    rows = selectors.staff_threads(actor=request.user, organisation=organisation, request=request)
    return render(
        request,
        "messaging/practice/inbox.html",
        {
            "organisation": organisation,
            "org_query": org_query(organisation),
            "threads": rows,
            "unread": sum(1 for r in rows if r.unread),
        },
    )


@policy(action=Action.READ, also=(Action.CREATE,), **STAFF)
@practice_only(what="practice-client-messages")
@never_cache
@require_GET
def client_threads(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """One client's threads the person may read, and the ways to start one."""
    client = selectors.staff_client(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    rows = selectors.staff_threads(
        actor=request.user, organisation=organisation, client=client, request=request
    )
    # Offered only what the person may start (a supervisor reads only).
    kinds = selectors.writable_kinds(request.user, client)
    return render(
        request,
        "messaging/practice/client_threads.html",
        {
            "client": client,
            "org_query": org_query(organisation),
            "threads": rows,
            "counts": selectors.message_counts(client, [r.id for r in rows]),
            "may_write": any(k != ThreadKind.CONSULTATION for k in kinds),
            "may_consult": ThreadKind.CONSULTATION in kinds,
        },
    )


def _new(
    request: AuthenticatedRequest,
    organisation: Organisation,
    pk: Any,
    *,
    consultation: bool,
) -> HttpResponse:
    client = selectors.staff_client(
        actor=request.user, organisation=organisation, pk=pk, action=Action.CREATE, request=request
    )
    allowed = selectors.writable_kinds(request.user, client)
    kinds: list[ThreadKind] = (
        [k for k in allowed if k == ThreadKind.CONSULTATION]
        if consultation
        else [k for k in allowed if k != ThreadKind.CONSULTATION]
    )
    if not kinds:
        # A front desk asking for a consultation: the same answer as no client.
        raise Http404(NOT_FOUND_MESSAGE)
    form = NewThreadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.thread_start(
                actor=request.user,
                client=client,
                kind=form.cleaned_data["kind"],
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                attachment=form.upload(),
                request=request,
            ),
            done="Your message was sent.",
            then=lambda thread: _thread_url(thread, organisation),
        )
        if done is not None:
            return done
    return render(
        request,
        "messaging/practice/new_thread.html",
        {
            "client": client,
            "org_query": org_query(organisation),
            "form": form,
            "consultation": consultation,
        },
    )


@policy(action=Action.CREATE, **STAFF)
@practice_only(what="practice-client-messages-new")
@never_cache
@require_http_methods(["GET", "POST"])
def thread_new(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Start a care, scheduling or billing thread with the client."""
    return _new(request, organisation, pk, consultation=False)


@policy(action=Action.CREATE, **STAFF)
@practice_only(what="practice-client-consultation-new")
@never_cache
@require_http_methods(["GET", "POST"])
def consultation_new(
    request: AuthenticatedRequest, organisation: Organisation, pk: Any
) -> HttpResponse:
    """Start a consultation about the client between staff (never shown to the client)."""
    return _new(request, organisation, pk, consultation=True)


def _may_reply(request: AuthenticatedRequest, thread: Thread) -> bool:
    return decide(
        actor=request.user,
        action=Action.CREATE,
        resource=thread_resource(thread.client, thread.kind, thread),
        purpose=Purpose.CLINICAL_CARE,
    ).allowed


def _thread_page(
    request: AuthenticatedRequest,
    organisation: Organisation,
    thread: Thread,
    form: ReplyForm | None,
    status: int = 200,
) -> HttpResponse:
    may_reply = _may_reply(request, thread)
    return render(
        request,
        "messaging/practice/thread.html",
        {
            "thread": thread,
            "kind": ThreadKind(thread.kind),
            "client": thread.client,
            "org_query": org_query(organisation),
            "messages_shown": selectors.messages_of(
                thread, viewer_id=request.user.pk, for_client=False
            ),
            "form": (form or ReplyForm()) if may_reply else None,
        },
        status=status,
    )


@policy(action=Action.READ, also=(Action.CREATE,), **STAFF)
@practice_only(what="practice-message-thread")
@never_cache
@require_GET
def thread(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """One thread, oldest message first; reading it marks it read for this person."""
    found = selectors.get_thread_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    services.thread_mark_read(actor=request.user, thread=found)
    return _thread_page(request, organisation, found, None)


@policy(action=Action.CREATE, **STAFF)
@practice_only(what="practice-message-reply")
@never_cache
@require_POST
def reply(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Reply in a thread the person may write in."""
    found = selectors.get_thread_for(
        actor=request.user, organisation=organisation, pk=pk, action=Action.CREATE, request=request
    )
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        done = act_on_form(
            request,
            form,
            act=lambda: services.message_send(
                actor=request.user,
                thread=found,
                body=form.cleaned_data["body"],
                attachment=form.upload(),
                request=request,
            ),
            done="Your message was sent.",
            then=_thread_url(found, organisation),
        )
        if done is not None:
            return done
    return _thread_page(request, organisation, found, form, status=400)


@policy(action=Action.READ, **STAFF)
@practice_only(what="practice-message-attachment")
@never_cache
@require_GET
def attachment(request: AuthenticatedRequest, organisation: Organisation, pk: Any) -> HttpResponse:
    """Download an attachment of a thread the person may read (audited)."""
    found, data = selectors.get_attachment_for(
        actor=request.user, organisation=organisation, pk=pk, request=request
    )
    return file_response(found, data)
