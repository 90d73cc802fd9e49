"""How a message thread relates to an actor, for the access policy.

A thread is decided on one of two staff kinds by what it is about: care
and consultation threads are clinical (``CLINICAL_MESSAGE``), scheduling
and billing threads are administration (``ADMIN_MESSAGE``), both with the
client's organisation and the client's current therapists and their
supervisors as assignees. Seen from the portal, a client's own thread is
``PORTAL_MESSAGE``, owned by the client's portal login and no
organisation, as the portal's pages are. A consultation thread never has a
portal resource: no client login owns one.
"""

from __future__ import annotations

from typing import Any

from wellkept.access.resources import Resource, ResourceKind
from wellkept.messaging.models import CLIENT_KINDS, CLINICAL_KINDS, Thread, ThreadKind
from wellkept.practice.scopes import current_assignees


def staff_kind(kind: str) -> ResourceKind:
    """The resource kind staff are decided on for a thread of ``kind``."""
    return (
        ResourceKind.CLINICAL_MESSAGE
        if ThreadKind(kind) in CLINICAL_KINDS
        else ResourceKind.ADMIN_MESSAGE
    )


def thread_resource(
    client: Any, kind: str, thread: Thread | None = None, assignees: frozenset[Any] | None = None
) -> Resource:
    """A thread of ``kind`` about the client (one that exists, or one to start), for staff."""
    suffix = f"thread:{thread.pk}" if thread is not None else f"threads/{ThreadKind(kind).value}"
    return Resource(
        kind=staff_kind(kind),
        reference=f"client:{client.pk}/messages/{suffix}",
        organisation_id=client.organisation_id,
        assignee_user_ids=current_assignees(client) if assignees is None else assignees,
    )


def current_therapists(client: Any) -> frozenset[Any]:
    """The client's current therapists, by user id: the staff who write in clinical threads.

    Not their supervisors, who read a supervisee's client's threads and never
    write in them, even when they are a therapist in the practice too.
    """
    from wellkept.practice.models import ClientAssignment

    return frozenset(
        ClientAssignment.objects.filter(client_id=client.pk, until__isnull=True).values_list(
            "therapist_id", flat=True
        )
    )


def portal_thread_resource(client: Any, portal_user_id: Any, thread: Thread | None) -> Resource:
    """The client's own threads (or one of them) as their portal login reaches them."""
    if thread is not None and ThreadKind(thread.kind) not in CLIENT_KINDS:
        # Defence in depth: the selectors never offer one, and no owner means no OWN.
        owner = None
    else:
        owner = portal_user_id
    suffix = f"/thread:{thread.pk}" if thread is not None else ""
    return Resource(
        kind=ResourceKind.PORTAL_MESSAGE,
        reference=f"client:{client.pk}/portal/messages{suffix}",
        owner_user_id=owner,
    )
