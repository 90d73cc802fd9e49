"""Portal invitations: who may send them, single use, expiry, revocation, no secret at rest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.portal import services
from wellkept.portal.models import PortalInvitation, PortalMembership
from wellkept.portal.tests.conftest import PASSWORD, SETUP, token_of
from wellkept.practice import services as practice_services
from wellkept.practice.models import ClientStatus, DischargeReason
from wellkept.vault.models import DataKey

pytestmark = pytest.mark.django_db


def invite(practice, who="tess", client="ada"):
    return services.portal_invitation_create(
        actor=practice.people[who], client=practice.clients[client]
    )


def events(event):
    return list(AuditEntry.objects.filter(event=event).order_by("id"))


@pytest.mark.parametrize("who", ["tess", "fran"])
def test_it_lets_the_clients_therapist_and_the_front_desk_invite(
    practice, who, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = invite(practice, who)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada.testwell@example.invalid"]
    assert issued.url in mail.outbox[0].body
    assert "/portal/invitation/" in issued.url
    (entry,) = events(EventType.PORTAL_INVITED)
    assert entry.actor_id == str(practice.people[who].pk)
    assert (
        entry.target
        == f"client:{practice.clients['ada'].pk}/portal-invitation:{issued.invitation.pk}"
    )


def test_it_names_neither_the_practice_nor_the_therapist_in_the_mail(
    practice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invite(practice)
    body = mail.outbox[0].subject + mail.outbox[0].body
    assert "Harbour" not in body
    assert "Tess" not in body


@pytest.mark.parametrize(
    "who",
    # Another therapist, the supervisor, billing, the privacy officer, the
    # system administrator, and the front desk of another practice.
    ["theo", "sue", "bill", "priya", "amira", "olga"],
)
def test_it_refuses_everyone_else_and_audits_the_refusal(practice, who):
    with pytest.raises(PermissionDenied):
        invite(practice, who)
    assert PortalInvitation.objects.count() == 0
    denied = AuditEntry.objects.filter(
        actor_id=str(practice.people[who].pk), outcome=Outcome.DENIED
    )
    assert denied.exists()
    assert mail.outbox == []


def test_it_stores_the_link_only_as_a_keyed_mac(practice):
    issued = invite(practice)
    token = token_of(issued.url)
    row = PortalInvitation.objects.get()
    secret = token.split(".", 1)[1]
    assert secret not in row.token_mac
    assert row.token_prefix == token.split(".", 1)[0]


def test_it_expires_after_the_configured_hours(practice, settings):
    settings.WELLKEPT_PORTAL_INVITATION_HOURS = 72
    issued = invite(practice)
    assert issued.invitation.expires_at - issued.invitation.created_at == dt.timedelta(hours=72)


def test_sending_again_revokes_the_earlier_link(practice):
    first = invite(practice)
    second = invite(practice, "fran")
    assert second.replaced == 1
    first.invitation.refresh_from_db()
    assert first.invitation.revoked_at is not None
    with pytest.raises(services.PortalInvitationInvalid):
        services.portal_invitation_accept(token=token_of(first.url), password=PASSWORD)
    assert events(EventType.PORTAL_INVITATION_REVOKED)[0].reason == "replaced by a new invitation"
    services.portal_invitation_accept(token=token_of(second.url), password=PASSWORD)


def test_a_revoked_invitation_refuses(practice):
    issued = invite(practice)
    assert (
        services.portal_invitation_revoke(
            actor=practice.people["fran"], client=practice.clients["ada"]
        )
        == 1
    )
    assert len(events(EventType.PORTAL_INVITATION_REVOKED)) == 1
    with pytest.raises(services.PortalInvitationInvalid):
        services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)
    assert not PortalMembership.objects.exists()


def test_billing_cannot_revoke(practice):
    invite(practice)
    with pytest.raises(PermissionDenied):
        services.portal_invitation_revoke(
            actor=practice.people["bill"], client=practice.clients["ada"]
        )
    assert PortalInvitation.objects.get().revoked_at is None


def test_the_link_works_once(practice):
    issued = invite(practice)
    user = services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)
    membership = PortalMembership.objects.get(user=user)
    assert membership.client == practice.clients["ada"]
    assert user.email == "ada.testwell@example.invalid"
    assert user.check_password(PASSWORD)
    (entry,) = events(EventType.PORTAL_INVITATION_ACCEPTED)
    assert entry.actor_id == str(user.pk)
    with pytest.raises(services.PortalInvitationInvalid):
        services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)
    assert User.objects.filter(pk=user.pk).count() == 1


def test_an_expired_link_refuses(practice, monkeypatch):
    issued = invite(practice)
    later = issued.invitation.expires_at + dt.timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert services.portal_invitation_find_usable(token_of(issued.url)) is None
    with pytest.raises(services.PortalInvitationInvalid):
        services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)


@pytest.mark.parametrize("token", ["", "nonsense", "abcdefghij.wrong-secret", "x" * 300])
def test_a_made_up_link_refuses(practice, token):
    invite(practice)
    with pytest.raises(services.PortalInvitationInvalid):
        services.portal_invitation_accept(token=token, password=PASSWORD)


def test_a_tampered_secret_refuses(practice):
    issued = invite(practice)
    token = token_of(issued.url)
    with pytest.raises(services.PortalInvitationInvalid):
        services.portal_invitation_accept(token=token[:-2] + "zz", password=PASSWORD)


def test_it_holds_the_client_to_the_staffs_password_rules(practice):
    issued = invite(practice)
    with pytest.raises(ValidationError):
        services.portal_invitation_accept(token=token_of(issued.url), password="short")
    # The link survives a refused password.
    services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)


def test_it_refuses_a_client_without_an_email_address(practice):
    ada = practice.clients["ada"]
    ada.email = ""
    ada.save(update_fields=["email"])
    with pytest.raises(services.PortalInvitationError, match="no valid e-mail"):
        invite(practice)


def test_it_refuses_a_client_who_already_has_an_account(practice):
    issued = invite(practice)
    services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)
    with pytest.raises(services.PortalInvitationError, match="already has a portal account"):
        invite(practice)


def test_it_refuses_an_address_that_already_has_a_login(practice):
    User.objects.create_user("ada.testwell@example.invalid", None)
    with pytest.raises(services.PortalInvitationError, match="already exists"):
        invite(practice)


def test_it_refuses_a_discharged_client_and_their_pending_link(practice):
    issued = invite(practice)
    practice_services.client_discharge(
        actor=practice.people["tess"],
        client=practice.clients["ada"],
        reason_code=DischargeReason.COMPLETED,
    )
    assert practice.clients["ada"].__class__.objects.get(pk=practice.clients["ada"].pk).status == (
        ClientStatus.DISCHARGED
    )
    with pytest.raises(services.PortalInvitationInvalid):
        services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)


def test_erasing_a_client_erases_their_portal_login(practice):
    issued = invite(practice)
    user = services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)
    practice_services.client_erase(actor=SETUP, client=practice.clients["ada"])
    assert not User.objects.filter(pk=user.pk).exists()
    assert not PortalMembership.objects.exists()
    assert not PortalInvitation.objects.exists()
    assert User.objects.get_by_email("ada.testwell@example.invalid") is None
    key = DataKey.objects.get(subject=user.dek_subject)
    assert key.shredded_at is not None
    assert AuditEntry.objects.filter(
        event=EventType.KEY_SHREDDED, target=f"datakey:{key.pk}"
    ).exists()
