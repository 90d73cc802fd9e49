"""The client's own message pages under /portal/messages/.

Every page is declared on the client's own portal messages and found
through the selectors' ``own_*`` accessors: the signed-in login's one
membership (through the ORM, never an import of the portal), decided and
audited. A consultation thread, another client's thread and a made-up id
all answer 404 alike; staff and participants have no membership and get
the same.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import PolicyScope, policy
from wellkept.access.guards import signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.messaging import selectors, services
from wellkept.messaging.forms import NewThreadForm, ReplyForm
from wellkept.messaging.models import Thread, ThreadKind
from wellkept.messaging.views.common import file_response
from wellkept.practice.views.acting import act_on_form

OWN = PolicyScope(resource=ResourceKind.PORTAL_MESSAGE, purpose=Purpose.SELF_SERVICE)
# What a client may start a conversation about, in the order offered.
CLIENT_CHOICES = [ThreadKind.CARE, ThreadKind.SCHEDULING, ThreadKind.BILLING]


def _thread_url(thread: Thread) -> str:
    return reverse("messaging_portal:thread", args=[thread.pk])


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def inbox(request: AuthenticatedRequest) -> HttpResponse:
    """The client's conversations with the practice, latest first."""
    _client, rows = selectors.own_threads(actor=request.user, request=request)
    return render(request, "messaging/client/inbox.html", {"threads": rows})


@policy(action=Action.CREATE, **OWN)
@signed_in
@never_cache
@require_http_methods(["GET", "POST"])
def thread_new(request: AuthenticatedRequest) -> HttpResponse:
    """Write to the practice: to the therapists, about appointments or about billing."""
    client = selectors.own_client_for_writing(actor=request.user, request=request)
    form = NewThreadForm(request.POST or None, request.FILES or None, kinds=CLIENT_CHOICES)
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
            then=_thread_url,
        )
        if done is not None:
            return done
    return render(request, "messaging/client/new_thread.html", {"form": form})


def _thread_page(
    request: AuthenticatedRequest, found: Thread, form: ReplyForm | None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "messaging/client/thread.html",
        {
            "thread": found,
            "kind": ThreadKind(found.kind),
            "messages_shown": selectors.messages_of(
                found, viewer_id=request.user.pk, for_client=True
            ),
            "form": form or ReplyForm(),
        },
        status=status,
    )


@policy(action=Action.READ, also=(Action.CREATE,), **OWN)
@signed_in
@never_cache
@require_GET
def thread(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """One of the client's conversations; reading it marks it read."""
    found = selectors.own_thread(actor=request.user, pk=pk, request=request)
    services.thread_mark_read(actor=request.user, thread=found)
    return _thread_page(request, found, None)


@policy(action=Action.CREATE, **OWN)
@signed_in
@never_cache
@require_POST
def reply(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Reply in one of the client's conversations."""
    found = selectors.own_thread(actor=request.user, pk=pk, action=Action.CREATE, request=request)
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
            then=_thread_url(found),
        )
        if done is not None:
            return done
    return _thread_page(request, found, form, status=400)


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def attachment(request: AuthenticatedRequest, pk: Any) -> HttpResponse:
    """Download a file from one of the client's conversations (audited)."""
    found, data = selectors.own_attachment(actor=request.user, pk=pk, request=request)
    return file_response(found, data)
