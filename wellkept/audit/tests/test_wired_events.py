"""The services that already exist write their events, in their transaction."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.accounts.services import invitation_accept, invitation_create, invitation_revoke
from wellkept.accounts.tests.conftest import STRONG_PASSWORD
from wellkept.actors import SystemActor
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.orgs.models import Role
from wellkept.vault import services as vault

pytestmark = pytest.mark.django_db

SETUP = SystemActor("tests")


def events() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("event", flat=True))


def test_it_audits_an_invitation_from_creation_to_acceptance(st_annes) -> None:
    issued = invitation_create(
        actor=SETUP, organisation=st_annes, email="new.person@stannes.example", role=Role.LEADER
    )
    token = issued.url.rstrip("/").rsplit("/", 1)[-1]
    user = invitation_accept(token=token, password="tq9#Lm2vXp-long-enough")
    created, accepted = AuditEntry.objects.order_by("id")
    assert created.event == EventType.ACCOUNT_INVITED
    assert created.target == f"invitation:{issued.invitation.pk}"
    assert created.actor_label == "system:tests"
    assert "stannes" not in created.reason
    assert accepted.event == EventType.ACCOUNT_INVITATION_ACCEPTED
    assert accepted.actor_id == str(user.pk)


def test_it_audits_a_revocation_once(st_annes) -> None:
    issued = invitation_create(
        actor=SETUP, organisation=st_annes, email="new.person@stannes.example", role=Role.LEADER
    )
    invitation_revoke(actor=SETUP, invitation=issued.invitation)
    invitation_revoke(actor=SETUP, invitation=issued.invitation)
    assert events() == [EventType.ACCOUNT_INVITED, EventType.ACCOUNT_INVITATION_REVOKED]


def test_it_audits_a_shred_once() -> None:
    vault.encrypt_text("x", binding=vault.Binding("t", "1", "f", "participant:abc"))
    datakey = vault.datakey_shred(actor=SETUP, subject="participant:abc")
    vault.datakey_shred(actor=SETUP, subject="participant:abc")
    assert datakey is not None
    shredded = AuditEntry.objects.get()
    assert (shredded.event, shredded.target) == (EventType.KEY_SHREDDED, f"datakey:{datakey.pk}")


def test_it_audits_a_rotation() -> None:
    result = vault.keys_rotate(actor=SETUP)
    assert AuditEntry.objects.get().target == f"kek:{result.new_kek_id}"


def test_it_audits_a_failed_sign_in_without_the_typed_address(client, nina) -> None:
    client.post(
        reverse("account_login"), {"login": "nina.nurse@stannes.example", "password": "wrong"}
    )
    entry = AuditEntry.objects.get()
    assert (entry.event, entry.outcome, entry.actor_label) == (
        EventType.AUTH_LOGIN_FAILED,
        Outcome.DENIED,
        "anonymous",
    )
    assert "nina" not in " ".join(str(v) for v in AuditEntry.objects.values_list().get())


def test_it_audits_a_sign_in_and_sign_out(client, nina) -> None:
    client.post(
        reverse("account_login"),
        {"login": "nina.nurse@stannes.example", "password": STRONG_PASSWORD},
    )
    client.post(reverse("account_logout"))
    login, logout = AuditEntry.objects.order_by("id")
    assert (login.event, login.actor_id) == (EventType.AUTH_LOGIN, str(nina.pk))
    assert login.request_id
    assert logout.event == EventType.AUTH_LOGOUT
