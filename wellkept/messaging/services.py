"""Writes for secure messaging: start a thread, send a message, mark read, erase.

Every write decides first (``_allow``): staff on the thread's staff kind
for care, the client's portal login on its own thread, a command on the
whole installation. Subject, body and attachment are encrypted under the
client's key by their fields. The notification mail goes after commit and
says only that a message is waiting: never its text, its subject, the
thread's kind or the writer's name, since a mailbox (or a lock screen) is
often read by someone else. A client's message outside the practice's
hours gets an automatic reply in the thread pointing to crisis lines.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.rules import AccessRole
from wellkept.accounts.models import User, readable_email
from wellkept.actors import Actor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.messaging import hours
from wellkept.messaging.models import (
    CLIENT_KINDS,
    Attachment,
    Message,
    ReadMark,
    Thread,
    ThreadKind,
)
from wellkept.messaging.scopes import (
    current_therapists,
    portal_thread_resource,
    thread_resource,
)
from wellkept.practice.hooks import ClientErasing
from wellkept.practice.models import Client, ClientAssignment, ClientStatus

SUBJECT_MAX = 200
BODY_MAX = 10_000
NAME_MAX = 200
# Content types a message may carry, told by their first bytes.
ALLOWED_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "text/plain": "plain text",
}
AUTO_REPLIER = SystemActor("messaging-auto-reply")


@dataclass(frozen=True)
class Upload:
    """A file a person chose to send: its name as given and its bytes."""

    name: str
    data: bytes


def sniff_type(data: bytes) -> str | None:
    """The allowed content type the bytes are, or None: by content, never by the name."""
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Text with control characters (other than line breaks and tabs) is a
    # binary file in disguise, not a note someone typed.
    if any(ord(c) < 32 and c not in "\t\r\n\f" for c in text):
        return None
    return "text/plain"


def check_attachment(upload: Upload) -> str:
    """The upload's sniffed content type; ValidationError (on ``attachment``) if refused."""
    limit = settings.WELLKEPT_MESSAGE_ATTACHMENT_MAX_BYTES
    if not upload.data:
        raise ValidationError({"attachment": "The file is empty. Choose another file."})
    if len(upload.data) > limit:
        raise ValidationError(
            {
                "attachment": f"The file is larger than {limit // 1024} KB. "
                "Send a smaller file, or bring it to the practice."
            }
        )
    content_type = sniff_type(upload.data)
    if content_type is None:
        raise ValidationError(
            {"attachment": "Only PDF, PNG, JPEG and plain text files can be sent."}
        )
    return content_type


def _clean_name(name: str) -> str:
    # Only the last part of a path, without control characters: it becomes a
    # download's file name later.
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in base if c.isprintable() and c not in '"')
    return kept.strip()[:NAME_MAX] or "attachment"


def _clean_text(value: str, *, field: str, limit: int, what: str) -> str:
    text = value.strip()
    if not text:
        raise ValidationError({field: f"Write {what}."})
    if len(text) > limit:
        raise ValidationError({field: f"Keep {what} under {limit} characters."})
    return text


def portal_user_id_of(client: Client) -> Any:
    """The client's portal login's id, or None (through the ORM's reverse relation)."""
    try:
        return client.portal_membership.user_id
    except ObjectDoesNotExist:
        return None


def is_client_login(actor: Actor, client: Client) -> bool:
    """Whether the actor is this client's own portal login."""
    user_id = portal_user_id_of(client)
    return user_id is not None and str(user_id) == str(getattr(actor, "pk", None))


def _allow(
    actor: Actor,
    client: Client,
    kind: str,
    thread: Thread | None,
    request: HttpRequest | None,
) -> bool:
    """Decide (and audit) a write; return whether the client is the writer."""
    if isinstance(actor, SystemActor):
        allowed = can(
            actor,
            Action.CREATE,
            thread_resource(client, kind, thread),
            Purpose.SERVICE_ADMINISTRATION,
            request=request,
        )
        from_client = False
    elif is_client_login(actor, client):
        resource = portal_thread_resource(client, actor.pk, thread)
        allowed = ThreadKind(kind) in CLIENT_KINDS and can(
            actor, Action.CREATE, resource, Purpose.SELF_SERVICE, request=request
        )
        from_client = True
    else:
        # Written by the client's own therapists (and the front desk and
        # billing on their threads), never by a supervisor as such.
        allowed = can(
            actor,
            Action.CREATE,
            thread_resource(client, kind, thread, assignees=current_therapists(client)),
            Purpose.CLINICAL_CARE,
            request=request,
        )
        from_client = False
    if not allowed:
        raise PermissionDenied("You may not write in this client's messages.")
    return from_client


def _target(thread: Thread) -> str:
    return f"client:{thread.client_id}/messages/thread:{thread.pk}"


def thread_start(
    *,
    actor: Actor,
    client: Client,
    kind: str,
    subject: str,
    body: str,
    attachment: Upload | None = None,
    request: HttpRequest | None = None,
) -> Thread:
    """Start a thread of ``kind`` about the client with its first message."""
    if kind not in ThreadKind.values:
        raise ValidationError({"kind": "Choose what the conversation is about."})
    from_client = _allow(actor, client, kind, None, request)
    if client.status != ClientStatus.ACTIVE:
        raise ValidationError("A discharged client's messages are closed.")
    subject = _clean_text(subject, field="subject", limit=SUBJECT_MAX, what="a subject")
    body = _clean_text(body, field="body", limit=BODY_MAX, what="a message")
    content_type = check_attachment(attachment) if attachment is not None else None
    now = clock.now()
    with transaction.atomic():
        thread = Thread(
            client=client,
            kind=kind,
            subject=subject,
            started_by=actor if isinstance(actor, User) else None,
            created_at=now,
            last_message_at=now,
        )
        thread.save()
        audit_record(
            actor=actor,
            event=EventType.MESSAGE_THREAD_STARTED,
            target=_target(thread),
            request=request,
        )
        _post(actor, thread, body, attachment, content_type, from_client, now, request)
    return thread


def message_send(
    *,
    actor: Actor,
    thread: Thread,
    body: str,
    attachment: Upload | None = None,
    request: HttpRequest | None = None,
) -> Message:
    """Reply in a thread (the accessor found it; decided again here)."""
    client = thread.client
    from_client = _allow(actor, client, thread.kind, thread, request)
    if client.status != ClientStatus.ACTIVE:
        raise ValidationError("A discharged client's messages are closed.")
    body = _clean_text(body, field="body", limit=BODY_MAX, what="a message")
    content_type = check_attachment(attachment) if attachment is not None else None
    with transaction.atomic():
        return _post(
            actor, thread, body, attachment, content_type, from_client, clock.now(), request
        )


def _post(
    actor: Actor,
    thread: Thread,
    body: str,
    attachment: Upload | None,
    content_type: str | None,
    from_client: bool,
    now: dt.datetime,
    request: HttpRequest | None,
) -> Message:
    author = actor if isinstance(actor, User) else None
    message = Message(
        thread=thread,
        client_id=thread.client_id,
        author=author,
        from_client=from_client,
        body=body,
        sent_at=now,
    )
    message.save()
    if attachment is not None and content_type is not None:
        Attachment(
            message=message,
            client_id=thread.client_id,
            name=_clean_name(attachment.name),
            content_type=content_type,
            size=len(attachment.data),
            content=base64.b64encode(attachment.data).decode("ascii"),
        ).save()
    thread.last_message_at = now
    thread.save(update_fields=["last_message_at"])
    audit_record(
        actor=actor,
        event=EventType.MESSAGE_SENT,
        target=f"{_target(thread)}/message:{message.pk}",
        reason="with attachment" if attachment is not None else "",
        request=request,
    )
    if author is not None:
        _mark(thread, author, now)
    if from_client and not hours.is_open(now):
        _auto_reply(thread, now)
    thread_id, author_id = thread.pk, getattr(author, "pk", None)
    transaction.on_commit(lambda: notify(thread_id=thread_id, author_id=author_id))
    return message


def auto_reply_text(now: dt.datetime) -> str:
    """The out-of-hours reply: when the practice will answer, and where to get help now."""
    opening = hours.next_opening(now)
    when = (
        opening.strftime("%A %d %B at %H:%M") if opening is not None else "its next opening hours"
    )
    return render_to_string(
        "messaging/auto_reply.txt",
        {
            "hours": settings.WELLKEPT_PRACTICE_HOURS,
            "when": when,
            "crisis_line": settings.WELLKEPT_TELEHEALTH_CRISIS_LINE,
        },
    ).strip()


def _auto_reply(thread: Thread, now: dt.datetime) -> None:
    reply = Message(
        thread=thread,
        client_id=thread.client_id,
        author=None,
        automatic=True,
        body=auto_reply_text(now),
        sent_at=now,
    )
    reply.save()
    audit_record(
        actor=AUTO_REPLIER,
        event=EventType.MESSAGE_AUTO_REPLIED,
        target=f"{_target(thread)}/message:{reply.pk}",
    )


def _mark(thread: Thread, user: User, when: dt.datetime) -> None:
    ReadMark.objects.update_or_create(thread=thread, user=user, defaults={"read_at": when})


def thread_mark_read(*, actor: User, thread: Thread) -> None:
    """Record that the actor has read the thread up to now (the accessor decided the read)."""
    with transaction.atomic():
        _mark(thread, actor, max(clock.now(), thread.last_message_at))


# ---- Notification ----------------------------------------------------------------------

# Who hears of a client's message, by the thread's kind (besides staff who
# wrote in the thread): never billing of a care thread, never anyone of a
# consultation but the client's clinicians.
_DESK_ROLES = {
    ThreadKind.SCHEDULING: {AccessRole.FRONT_DESK},
    ThreadKind.BILLING: {AccessRole.BILLING, AccessRole.FRONT_DESK},
}


def _staff_recipients(thread: Thread) -> set[Any]:
    client = thread.client
    therapists = set(
        ClientAssignment.objects.filter(client=client, until__isnull=True).values_list(
            "therapist_id", flat=True
        )
    )
    writers = set(
        Message.objects.filter(thread=thread, from_client=False, author__isnull=False).values_list(
            "author_id", flat=True
        )
    )
    desk = set(
        User.objects.filter(
            memberships__organisation_id=client.organisation_id,
            memberships__role__in=_DESK_ROLES.get(ThreadKind(thread.kind), set()),
        ).values_list("pk", flat=True)
    )
    return therapists | writers | desk


def notify(*, thread_id: Any, author_id: Any) -> int:
    """Tell everyone else on the thread that a message waits; return how many mails went.

    After commit: a rolled-back message mails nobody. The mail says only that
    a secure message is waiting and where to sign in.
    """
    thread = Thread.objects.select_related("client").filter(pk=thread_id).first()
    if thread is None:
        return 0
    recipients = _staff_recipients(thread)
    portal_user = portal_user_id_of(thread.client)
    if portal_user is not None and ThreadKind(thread.kind) in CLIENT_KINDS:
        recipients.add(portal_user)
    recipients.discard(author_id)
    base = settings.WELLKEPT_BASE_URL.rstrip("/")
    sent = 0
    for user in User.objects.filter(pk__in=recipients, is_active=True):
        address = readable_email(user)
        if not address:
            continue
        to_client = str(user.pk) == str(portal_user)
        url = base + reverse("messaging_portal:inbox" if to_client else "messaging:inbox")
        context = {"url": url}
        subject = render_to_string("messaging/email/waiting_subject.txt", context).strip()
        body = render_to_string("messaging/email/waiting_message.txt", context)
        # One mail per person: no recipient learns who else is on the thread.
        send_mail(
            settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
            body,
            settings.DEFAULT_FROM_EMAIL,
            [address],
        )
        sent += 1
    return sent


# ---- Erasure -----------------------------------------------------------------------------


def on_client_erasing(event: ClientErasing) -> None:
    """Delete the erased client's threads, messages, attachments and read marks.

    Runs inside ``practice.client_erase``'s transaction, after the client's
    key was shredded: the ciphertexts were unreadable already; deleting them
    leaves no row that even says how much they wrote.
    """
    client = event.client
    threads = Thread.objects.filter(client=client)
    count = threads.count()
    if not count:
        return
    Attachment.objects.filter(client=client).delete()
    Message.objects.filter(client=client).delete()
    ReadMark.objects.filter(thread__client=client).delete()
    threads.delete()
    audit_record(
        actor=SystemActor("client-erasure"),
        event=EventType.MESSAGES_ERASED,
        target=f"client:{client.pk}/messages",
        reason=f"{count} threads",
    )
