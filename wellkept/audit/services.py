"""Writing to the audit trail: the one function every service calls."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.actors import Actor, PseudonymousActor, SystemActor
from wellkept.audit import chain, checkpoints
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry

# One id per process for work without a request (a command run, a job), so
# every entry a run writes can be found together.
PROCESS_RUN_ID = uuid.uuid4().hex

# pg_advisory_xact_lock key: the bytes "wk-audit" read as a signed bigint.
ADVISORY_LOCK_KEY = int.from_bytes(b"wk-audit", "big")

USER_AGENT_MAX = 300


def _actor_fields(actor: Actor | Any) -> tuple[str, str]:
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


def _lock_chain() -> None:
    """Serialise appends until the caller's transaction ends.

    PostgreSQL: a transaction-scoped advisory lock, so two transactions never
    read the same head. SQLite: transactions already BEGIN IMMEDIATE (see
    settings), which holds the single write lock from the start. The price is
    that audited transactions commit one after another; keep them short.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def audit_record(
    *,
    actor: Actor,
    event: EventType,
    target: str = "",
    outcome: Outcome = Outcome.ALLOWED,
    reason: str = "",
    purpose: str = "",
    role: str = "",
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one event to the chain, inside the caller's transaction.

    Call it in the same ``transaction.atomic()`` block as the action it
    records: the two then commit or roll back together. Standalone it opens
    its own transaction.
    """
    event = EventType(event)
    outcome = Outcome(outcome)
    actor_id, actor_label = _actor_fields(actor)
    ip, user_agent, request_id = _request_fields(request)
    with transaction.atomic():
        _lock_chain()
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
        every = settings.WELLKEPT_AUDIT_CHECKPOINT_EVERY
        if every and entry.id % every == 0:
            # After commit only: a rolled-back entry must never be vouched for.
            transaction.on_commit(
                lambda: checkpoints.checkpoint_write(entry_id=entry.id, mac=entry.mac)
            )
    return entry
