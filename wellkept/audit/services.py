"""Writing to the audit trail: the one function every service calls, and the lock order.

Lock order (docs/security.md, "One lock order"): an audited transaction takes
the audit lock before any row lock, and row locks only on the rows it
changes (``lock_rows``). The audit lock is held to the end of the
transaction, so once every audited transaction takes it first, none of them
can hold a row another is waiting for while waiting for the lock itself: no
deadlock between audited writes, whatever rows they touch. SQLite behaves
the same way by construction (``BEGIN IMMEDIATE`` takes its one write lock
first).
"""

from __future__ import annotations

import secrets
import uuid
from typing import TypeVar

from django.db import IntegrityError, connection, models, transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.actors import Caller, PseudonymousActor, SystemActor
from wellkept.audit import chain, checkpointer
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.heads import HEAD_CONTEXT, link_context, pseudonymous_head
from wellkept.audit.models import AuditEntry, PseudonymousEntry, PseudonymousHead

# One id per process for work without a request (a command run, a job), so
# every entry a run writes can be found together.
PROCESS_RUN_ID = uuid.uuid4().hex

# pg_advisory_xact_lock key: the bytes "wk-audit" read as a signed bigint.
ADVISORY_LOCK_KEY = int.from_bytes(b"wk-audit", "big")

USER_AGENT_MAX = 300

ID_SPACE = 2**62

M = TypeVar("M", bound=models.Model)


def _actor_fields(actor: Caller) -> tuple[str, str]:
    if isinstance(actor, SystemActor):
        return "", f"system:{actor.name}"[:128]
    if isinstance(actor, PseudonymousActor):
        # The token, never the user id: see PseudonymousActor.
        return "", f"participant:{actor.token}"[:128]
    if getattr(actor, "is_authenticated", False) and getattr(actor, "pk", None) is not None:
        return str(actor.pk), "user"
    # A caller nobody has identified yet (a failed sign-in): never the typed
    # address, which would be content.
    return "", "anonymous"


def _request_fields(request: HttpRequest | None) -> tuple[str, str, str]:
    if request is None:
        return "", "", PROCESS_RUN_ID
    from allauth.account.adapter import get_adapter

    try:
        # allauth's adapter applies the trusted-proxy settings, so the address
        # is the client's, not the reverse proxy's.
        ip = get_adapter(request).get_client_ip(request) or ""
    except Exception:  # a malformed header must not block the audited action
        ip = ""
    user_agent = request.headers.get("User-Agent", "")[:USER_AGENT_MAX]
    rid = getattr(request, "wellkept_request_id", "") or PROCESS_RUN_ID
    return str(ip)[:64], user_agent, rid


def audit_lock() -> None:
    """Serialise audited transactions until the caller's transaction ends.

    Take it before any row lock (``lock_rows`` does): see the module
    docstring. PostgreSQL: a transaction-scoped advisory lock, so two
    transactions never read the same chain head. SQLite: transactions
    already BEGIN IMMEDIATE (see settings), which holds the single write
    lock from the start. Idempotent within a transaction.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def lock_rows(queryset: models.QuerySet[M]) -> models.QuerySet[M]:
    """Lock the rows an audited write changes, after the audit lock, and nothing else.

    ``of=("self",)``: a ``select_related`` join reads the related rows
    without locking them, so two check-ins of one programme do not queue
    on the programme's row.
    """
    audit_lock()
    return queryset.select_for_update(of=("self",))


def audit_record(
    *,
    actor: Caller,
    event: EventType,
    target: str = "",
    outcome: Outcome = Outcome.ALLOWED,
    reason: str = "",
    purpose: str = "",
    role: str = "",
    request: HttpRequest | None = None,
) -> AuditEntry | PseudonymousEntry:
    """Append one event to its chain, inside the caller's transaction.

    Call it in the same ``transaction.atomic()`` block as the action it
    records: the two then commit or roll back together. Standalone it opens
    its own transaction. A participant acting under their token
    (``PseudonymousActor``) goes to the pseudonymous chain, without the
    request's details; everyone else to the identified chain.
    """
    event = EventType(event)
    outcome = Outcome(outcome)
    if isinstance(actor, PseudonymousActor):
        return _record_pseudonymous(
            actor=actor,
            event=event,
            target=target,
            outcome=outcome,
            reason=reason,
            purpose=purpose,
            role=role,
        )
    actor_id, actor_label = _actor_fields(actor)
    ip, user_agent, request_id = _request_fields(request)
    # No savepoint: the entry and the caller's action commit or roll back
    # as one, so a failed append must fail the caller's transaction, not be
    # caught and stepped over; and a savepoint is two more round trips on
    # every audited action.
    with transaction.atomic(savepoint=False):
        audit_lock()
        head = AuditEntry.objects.order_by("-id").values_list("id", "mac").first()
        prev_id, prev_mac = head if head is not None else (0, "")
        entry = AuditEntry(
            id=prev_id + 1,
            created_at=clock.now(),
            event=event.value,
            outcome=outcome.value,
            actor_id=actor_id,
            actor_label=actor_label,
            role=role[:32],
            purpose=purpose[:64],
            target=target[:200],
            reason=reason[:300],
            ip=ip,
            user_agent=user_agent,
            request_id=request_id[:64],
            prev_mac=prev_mac,
        )
        entry.mac = chain.compute_mac([getattr(entry, name) for name in chain.FIELDS])
        # force_insert: never an UPDATE, even if a row with this id appeared.
        entry.save(force_insert=True)
        # After commit only: a rolled-back entry must never be vouched for.
        # Only the identified chain asks: a checkpoint written because a
        # participant acted would time their action (see checkpointer).
        transaction.on_commit(checkpointer.commit_seen)
    return entry


def _record_pseudonymous(
    *,
    actor: PseudonymousActor,
    event: EventType,
    target: str,
    outcome: Outcome,
    reason: str,
    purpose: str,
    role: str,
) -> PseudonymousEntry:
    _, actor_label = _actor_fields(actor)
    # No savepoint around the whole (see audit_record); the one inside
    # guards only the draw of a random id, which may be retried.
    with transaction.atomic(savepoint=False):
        audit_lock()
        position, prev_mac = pseudonymous_head()
        position += 1
        for attempt in range(4):
            entry = PseudonymousEntry(
                id=secrets.randbelow(ID_SPACE) + 1,
                # The day only: a time would join this entry to a sign-in.
                day=clock.now().date(),
                event=event.value,
                outcome=outcome.value,
                actor_label=actor_label,
                role=role[:32],
                purpose=purpose[:64],
                target=target[:200],
                reason=reason[:300],
            )
            entry.link = chain.seal_head(position, prev_mac, 0, context=link_context(entry.id))
            entry.mac = chain.pseudonymous_mac(
                [getattr(entry, name) for name in chain.PSEUDONYMOUS_FIELDS],
                position=position,
                prev_mac=prev_mac,
            )
            try:
                with transaction.atomic():
                    entry.save(force_insert=True)
            except IntegrityError:
                # A random id already taken (one in 2**62 per entry): draw again.
                if attempt == 3:
                    raise
                continue
            break
        sealed = chain.seal_head(position, entry.mac, position, context=HEAD_CONTEXT)
        updated = PseudonymousHead.objects.filter(pk=1).update(sealed=sealed)
        if not updated:
            PseudonymousHead.objects.create(pk=1, sealed=sealed)
        # Starts the heartbeat only; no checkpoint follows this commit (see checkpointer).
        transaction.on_commit(checkpointer.ensure_running)
    return entry
