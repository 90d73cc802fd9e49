"""audit_record: what one event holds, and how it chains."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import RequestFactory

from wellkept.accounts.models import User
from wellkept.actors import PseudonymousActor, SystemActor
from wellkept.audit import chain, heads, services
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.audit.services import audit_record
from wellkept.audit.tests.trail import LINKING_FIELDS

pytestmark = pytest.mark.django_db

JOB = SystemActor("nightly")


def test_it_records_a_system_actor_without_a_request() -> None:
    entry = audit_record(actor=JOB, event=EventType.KEY_ROTATED, target="kek:kek-1")
    entry.refresh_from_db()
    assert entry.actor_label == "system:nightly"
    assert entry.actor_id == ""
    assert entry.outcome == Outcome.ALLOWED
    assert entry.ip == ""
    assert entry.user_agent == ""
    assert entry.request_id == services.PROCESS_RUN_ID
    assert entry.created_at.tzinfo is not None


def test_it_records_the_user_role_purpose_and_request() -> None:
    user = User.objects.create_user(email="owner@example.org", password="x" * 20)
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="U" * 500)
    request.wellkept_request_id = "abc-123"  # type: ignore[attr-defined]
    entry = audit_record(
        actor=user,
        event=EventType.RECORD_READ,
        target="participant:tok",
        outcome=Outcome.DENIED,
        reason="no relationship",
        purpose="clinical_care",
        role="specialist",
        request=request,
    )
    entry.refresh_from_db()
    assert entry.actor_id == str(user.pk)
    assert entry.actor_label == "user"
    assert (entry.role, entry.purpose, entry.outcome) == ("specialist", "clinical_care", "denied")
    assert entry.ip == "192.0.2.7"
    assert entry.user_agent == "U" * 300
    assert entry.request_id == "abc-123"


def test_it_chains_each_entry_to_the_previous_mac() -> None:
    first = audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    second = audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
    assert first.prev_mac == ""
    assert second.id == first.id + 1
    assert second.prev_mac == first.mac
    values = AuditEntry.objects.values_list(*chain.FIELDS).get(pk=second.pk)
    assert chain.compute_mac(values) == second.mac


def test_it_rolls_back_with_the_callers_transaction() -> None:
    def failing_action() -> None:
        with transaction.atomic():
            audit_record(actor=JOB, event=EventType.CONFIG_CHANGED)
            raise RuntimeError("the action failed")

    with pytest.raises(RuntimeError, match="the action failed"):
        failing_action()
    assert not AuditEntry.objects.exists()


def test_it_records_a_participant_in_the_pseudonymous_chain_by_day_only() -> None:
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.7", HTTP_USER_AGENT="Phone")
    request.wellkept_request_id = "abc-123"  # type: ignore[attr-defined]
    entry = audit_record(
        actor=PseudonymousActor("tok-nina"),
        event=EventType.CHECKIN_SUBMITTED,
        target="participant:tok-nina/checkin:1",
        purpose="self_service",
        request=request,
    )
    assert isinstance(entry, PseudonymousEntry)
    assert not AuditEntry.objects.exists()
    stored = PseudonymousEntry.objects.values().get()
    # A day, no time; nothing from the request; no sequential id or link in clear.
    assert not set(stored) & LINKING_FIELDS
    assert stored["actor_label"] == "participant:tok-nina"
    assert "abc-123" not in str(stored)
    assert "192.0.2.7" not in str(stored)
    assert stored["id"] > 2**20


def test_it_chains_pseudonymous_entries_in_an_order_only_the_key_opens() -> None:
    actor = PseudonymousActor("tok-nina")
    entries = [audit_record(actor=actor, event=EventType.RECORD_READ) for _ in range(3)]
    opened = [chain.unseal_head(e.link, context=heads.link_context(e.id)) for e in entries]
    assert [(position, prev) for position, prev, _ in opened] == [
        (1, ""),
        (2, entries[0].mac),
        (3, entries[1].mac),
    ]
    assert heads.pseudonymous_head() == (3, entries[2].mac)
    # The same head never seals the same way twice.
    first = chain.seal_head(3, entries[2].mac, 3, context=heads.HEAD_CONTEXT)
    assert first != chain.seal_head(3, entries[2].mac, 3, context=heads.HEAD_CONTEXT)


def test_it_refuses_an_unknown_event() -> None:
    with pytest.raises(ValueError, match=r"made\.up"):
        audit_record(actor=JOB, event="made.up")  # type: ignore[arg-type]
