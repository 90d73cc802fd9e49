"""Reads for secure messaging: the staff's inbox and threads, the client's own, the record.

Staff threads are decided per thread on the thread's staff kind
(``scopes.thread_resource``); a list asks the policy purely for each
thread and records one audited read of the list, so an inbox of fifty
threads is one entry, not fifty. One thread, or an attachment, is one
audited decision; missing and forbidden answer alike (404). The client's
own threads are found through their portal login's membership (the ORM's
reverse relation ``user.portal_membership``, so messaging never imports the
portal) and never include a consultation thread.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import NOT_FOUND_MESSAGE, can, decide
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import Caller
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.messaging.models import (
    CLIENT_KINDS,
    Attachment,
    Message,
    ReadMark,
    Thread,
    ThreadKind,
)
from wellkept.messaging.scopes import current_therapists, portal_thread_resource, thread_resource
from wellkept.orgs.models import Organisation
from wellkept.practice.models import Client
from wellkept.practice.record import RecordCollecting, RecordSection
from wellkept.practice.scopes import current_assignees
from wellkept.practice.selectors import staff_label

STAFF_PURPOSE = Purpose.CLINICAL_CARE
CLIENT_PURPOSE = Purpose.SELF_SERVICE
CLIENT_KIND_VALUES = [k.value for k in CLIENT_KINDS]


def _refuse(
    actor: Caller, reference: str, request: HttpRequest | None, why: str, purpose: Purpose
) -> Http404:
    audit_record(
        actor=actor,
        event=EventType.ACCESS_DENIED,
        target=reference,
        outcome=Outcome.DENIED,
        reason=why,
        purpose=purpose.value,
        request=request,
    )
    return Http404(NOT_FOUND_MESSAGE)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _pk_or_none(pk: Any) -> Any:
    # A malformed id is a missing one: same answer, no 500.
    try:
        Thread._meta.pk.to_python(pk)
    except ValidationError:
        return None
    return pk


# ---- Shown rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadRow:
    """A thread in a list: what it is about, whose, when, whether it waits to be read."""

    id: Any
    client_id: Any
    client_code: str
    kind: str
    kind_label: str
    subject: str
    last_message_at: dt.datetime
    unread: bool


@dataclass(frozen=True)
class AttachmentShown:
    id: Any
    name: str
    content_type: str
    size: int


@dataclass(frozen=True)
class MessageShown:
    id: Any
    sent_at: dt.datetime
    who: str
    mine: bool
    automatic: bool
    from_client: bool
    body: str
    attachments: list[AttachmentShown] = field(default_factory=list)


def _unread_rows(threads: Any, user: Any) -> Any:
    mark = ReadMark.objects.filter(thread=OuterRef("pk"), user_id=user.pk).values("read_at")[:1]
    return threads.annotate(read_at=Subquery(mark))


def _is_unread(thread: Any) -> bool:
    return thread.read_at is None or thread.last_message_at > thread.read_at


def _row(thread: Any) -> ThreadRow:
    return ThreadRow(
        id=thread.pk,
        client_id=thread.client_id,
        client_code=thread.client.code,
        kind=thread.kind,
        kind_label=ThreadKind(thread.kind).label,
        subject=_text(thread.subject),
        last_message_at=thread.last_message_at,
        unread=_is_unread(thread),
    )


def messages_of(thread: Thread, *, viewer_id: Any, for_client: bool) -> list[MessageShown]:
    """A thread's messages, oldest first, as the viewer is shown them (the caller decided)."""
    rows = list(Message.objects.filter(thread=thread).select_related("author").order_by("sent_at"))
    files: dict[Any, list[AttachmentShown]] = {}
    for a in Attachment.objects.filter(message__thread=thread).only(
        "id", "message_id", "client_id", "name", "content_type", "size"
    ):
        files.setdefault(a.message_id, []).append(
            AttachmentShown(id=a.pk, name=_text(a.name), content_type=a.content_type, size=a.size)
        )
    shown = []
    for m in rows:
        mine = m.author_id is not None and str(m.author_id) == str(viewer_id)
        if m.automatic:
            who = "Automatic reply"
        elif mine:
            who = "You"
        elif m.from_client:
            who = "The client" if not for_client else "You"
        elif m.author is not None:
            who = staff_label(m.author)
        else:
            who = "A former member of staff"
        shown.append(
            MessageShown(
                id=m.pk,
                sent_at=m.sent_at,
                who=who,
                mine=mine,
                automatic=m.automatic,
                from_client=m.from_client,
                body=_text(m.body),
                attachments=files.get(m.pk, []),
            )
        )
    return shown


# ---- Staff --------------------------------------------------------------------------------


def _readable(actor: Caller, thread: Thread, assignees: dict[Any, frozenset[Any]]) -> bool:
    if thread.client_id not in assignees:
        assignees[thread.client_id] = current_assignees(thread.client)
    resource = thread_resource(
        thread.client, thread.kind, thread, assignees=assignees[thread.client_id]
    )
    return decide(actor=actor, action=Action.READ, resource=resource, purpose=STAFF_PURPOSE).allowed


def staff_threads(
    *,
    actor: Caller,
    organisation: Organisation,
    client: Client | None = None,
    request: HttpRequest | None = None,
) -> list[ThreadRow]:
    """The practice's threads (or a client's) the actor may read, latest first; audited once."""
    threads = Thread.objects.filter(client__organisation=organisation).select_related("client")
    if client is not None:
        threads = threads.filter(client=client)
    assignees: dict[Any, frozenset[Any]] = {}
    rows = [
        _row(t)
        for t in _unread_rows(threads, actor).order_by("-last_message_at")
        if _readable(actor, t, assignees)
    ]
    audit_record(
        actor=actor,
        event=EventType.RECORD_READ,
        target=(
            f"client:{client.pk}/messages"
            if client is not None
            else f"org:{organisation.pk}/messages"
        ),
        reason=f"{len(rows)} threads listed",
        purpose=STAFF_PURPOSE.value,
        request=request,
    )
    return rows


def writable_kinds(actor: Caller, client: Client) -> list[ThreadKind]:
    """The kinds of thread the actor may start about the client (a pure decision, for forms)."""
    assignees = current_therapists(client)
    return [
        kind
        for kind in ThreadKind
        if decide(
            actor=actor,
            action=Action.CREATE,
            resource=thread_resource(client, kind, None, assignees=assignees),
            purpose=STAFF_PURPOSE,
        ).allowed
    ]


def staff_client(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    action: Action = Action.READ,
    request: HttpRequest | None = None,
) -> Client:
    """The practice's client whose messages the actor may ``action`` in some kind, or 404."""
    client = (
        Client.objects.filter(organisation=organisation, pk=_pk_or_none(pk)).first()
        if _pk_or_none(pk) is not None
        else None
    )
    if client is None:
        raise _refuse(actor, "client:unknown/messages", request, "no such client", STAFF_PURPOSE)
    assignees = current_assignees(client)
    kinds = [
        k
        for k in (ResourceKind.CLINICAL_MESSAGE, ResourceKind.ADMIN_MESSAGE)
        if decide(
            actor=actor,
            action=action,
            resource=thread_resource(
                client,
                ThreadKind.CARE if k == ResourceKind.CLINICAL_MESSAGE else ThreadKind.SCHEDULING,
                None,
                assignees=assignees,
            ),
            purpose=STAFF_PURPOSE,
        ).allowed
    ]
    if not kinds:
        raise _refuse(
            actor, f"client:{client.pk}/messages", request, "no message kind", STAFF_PURPOSE
        )
    return client


def get_thread_for(
    *,
    actor: Caller,
    organisation: Organisation,
    pk: Any,
    action: Action = Action.READ,
    request: HttpRequest | None = None,
) -> Thread:
    """One thread of the practice the actor may ``action``, or 404; one audited decision."""
    thread = (
        Thread.objects.filter(client__organisation=organisation, pk=_pk_or_none(pk))
        .select_related("client", "client__organisation")
        .first()
        if _pk_or_none(pk) is not None
        else None
    )
    if thread is None:
        raise _refuse(actor, "messages/thread:unknown", request, "no such thread", STAFF_PURPOSE)
    resource = thread_resource(thread.client, thread.kind, thread)
    if not can(actor, action, resource, STAFF_PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return thread


def get_attachment_for(
    *, actor: Caller, organisation: Organisation, pk: Any, request: HttpRequest | None = None
) -> tuple[Attachment, bytes]:
    """An attachment of a thread the actor may read, with its bytes, or 404; audited."""
    attachment = (
        Attachment.objects.filter(
            message__thread__client__organisation=organisation, pk=_pk_or_none(pk)
        )
        .select_related("message")
        .first()
        if _pk_or_none(pk) is not None
        else None
    )
    if attachment is None:
        raise _refuse(actor, "messages/attachment:unknown", request, "no such file", STAFF_PURPOSE)
    get_thread_for(
        actor=actor, organisation=organisation, pk=attachment.message.thread_id, request=request
    )
    return attachment, _download(actor, attachment, request)


def _download(actor: Caller, attachment: Attachment, request: HttpRequest | None) -> bytes:
    audit_record(
        actor=actor,
        event=EventType.MESSAGE_ATTACHMENT_DOWNLOADED,
        target=(
            f"client:{attachment.client_id}/messages/thread:{attachment.message.thread_id}"
            f"/attachment:{attachment.pk}"
        ),
        request=request,
    )
    content = attachment.content
    return base64.b64decode(content) if isinstance(content, str) else b""


def unread_count(*, user: Any, organisation: Organisation) -> int:
    """How many of the practice's threads the user may read wait for them (for the inbox link)."""
    threads = _unread_rows(
        Thread.objects.filter(client__organisation=organisation).select_related("client"), user
    ).filter(Q(read_at__isnull=True) | Q(last_message_at__gt=F("read_at")))
    assignees: dict[Any, frozenset[Any]] = {}
    return sum(1 for t in threads if _readable(user, t, assignees))


# ---- The client's own ---------------------------------------------------------------------


def _own_client(actor: Caller, request: HttpRequest | None) -> Client:
    try:
        membership = actor.portal_membership  # type: ignore[union-attr]
    except (ObjectDoesNotExist, AttributeError):
        membership = None
    if membership is None:
        raise _refuse(actor, "portal:messages", request, "no portal membership", CLIENT_PURPOSE)
    return membership.client


def own_threads(
    *, actor: Caller, request: HttpRequest | None = None
) -> tuple[Client, list[ThreadRow]]:
    """The client's own threads (never a consultation), latest first, or 404; audited."""
    client = _own_client(actor, request)
    resource = portal_thread_resource(client, getattr(actor, "pk", None), None)
    if not can(actor, Action.READ, resource, CLIENT_PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    threads = Thread.objects.filter(client=client, kind__in=CLIENT_KIND_VALUES).select_related(
        "client"
    )
    return client, [_row(t) for t in _unread_rows(threads, actor).order_by("-last_message_at")]


def own_client_for_writing(*, actor: Caller, request: HttpRequest | None = None) -> Client:
    """The signed-in client, for starting a thread (the service decides again), or 404."""
    client = _own_client(actor, request)
    resource = portal_thread_resource(client, getattr(actor, "pk", None), None)
    if not can(actor, Action.CREATE, resource, CLIENT_PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return client


def own_thread(
    *, actor: Caller, pk: Any, action: Action = Action.READ, request: HttpRequest | None = None
) -> Thread:
    """One of the client's own threads, or 404 (another client's and a made-up id alike)."""
    client = _own_client(actor, request)
    thread = (
        Thread.objects.filter(client=client, kind__in=CLIENT_KIND_VALUES, pk=_pk_or_none(pk))
        .select_related("client")
        .first()
        if _pk_or_none(pk) is not None
        else None
    )
    if thread is None:
        raise _refuse(
            actor, "portal:messages/thread:unknown", request, "not the client's own", CLIENT_PURPOSE
        )
    resource = portal_thread_resource(client, getattr(actor, "pk", None), thread)
    if not can(actor, action, resource, CLIENT_PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return thread


def own_attachment(
    *, actor: Caller, pk: Any, request: HttpRequest | None = None
) -> tuple[Attachment, bytes]:
    """An attachment in one of the client's own threads, with its bytes, or 404; audited."""
    client = _own_client(actor, request)
    attachment = (
        Attachment.objects.filter(
            client=client, message__thread__kind__in=CLIENT_KIND_VALUES, pk=_pk_or_none(pk)
        )
        .select_related("message")
        .first()
        if _pk_or_none(pk) is not None
        else None
    )
    if attachment is None:
        raise _refuse(
            actor,
            "portal:messages/attachment:unknown",
            request,
            "not the client's own",
            CLIENT_PURPOSE,
        )
    own_thread(actor=actor, pk=attachment.message.thread_id, request=request)
    return attachment, _download(actor, attachment, request)


def own_unread_count(client: Client, user: Any) -> int:
    """How many of the client's own threads wait to be read (for the portal home)."""
    threads = _unread_rows(Thread.objects.filter(client=client, kind__in=CLIENT_KIND_VALUES), user)
    return sum(1 for t in threads if _is_unread(t))


# ---- The record ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordThread:
    """One thread as the client's record (and its download) holds it."""

    subject: str
    kind: str
    started: dt.datetime
    messages: list[MessageShown]


def messages_for_record(client: Client) -> list[RecordThread]:
    """Every thread the client can see, decrypted, oldest first; never a consultation.

    For the record download (the caller decided): the client's messages
    are part of their record.
    """
    threads = Thread.objects.filter(client=client, kind__in=CLIENT_KIND_VALUES).order_by(
        "created_at"
    )
    return [
        RecordThread(
            subject=_text(t.subject),
            kind=ThreadKind(t.kind).label,
            started=t.created_at,
            messages=messages_of(t, viewer_id=None, for_client=True),
        )
        for t in threads
    ]


def message_counts(client: Client, thread_ids: list[Any] | None = None) -> dict[str, int]:
    """How many messages the client's threads hold, by kind label.

    With ``thread_ids``, only those threads: a page counts only the threads
    its viewer may read, so the front desk learns nothing of how many care
    or consultation messages a client has.
    """
    messages = Message.objects.filter(client=client)
    if thread_ids is not None:
        messages = messages.filter(thread_id__in=thread_ids)
    rows = messages.values("thread__kind").annotate(n=Count("id")).order_by("thread__kind")
    return {ThreadKind(r["thread__kind"]).label: r["n"] for r in rows}


MESSAGES_SECTION = "messages"


def record_sections(collecting: RecordCollecting) -> None:
    """Add the client's messages to their record: every one they can see, never a consultation.

    Connected to ``practice.record.RECORD_COLLECTING``: the portal's record
    download holds the client's messages (they are part of the record)
    without a second way of reading them. Attachments are named, not copied.
    """
    collecting.sections.append(
        RecordSection(
            key=MESSAGES_SECTION,
            title="Messages",
            columns=("Sent", "Thread", "From", "Message", "Attachments"),
            rows=[
                (
                    f"{m.sent_at.astimezone(dt.UTC):%Y-%m-%d %H:%M} UTC",
                    f"{thread.subject} ({thread.kind})",
                    m.who,
                    m.body,
                    ", ".join(a.name for a in m.attachments),
                )
                for thread in messages_for_record(collecting.client)
                for m in thread.messages
            ],
        )
    )
