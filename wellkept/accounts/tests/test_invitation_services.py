"""Invitation services: single use, expiry, revocation, no secrets at rest."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from wellkept.accounts.models import Invitation, User
from wellkept.accounts.services import (
    InvitationError,
    InvitationInvalid,
    InvitationNotAllowed,
    invitation_accept,
    invitation_create,
    invitation_revoke,
)
from wellkept.accounts.tests.conftest import give_role, make_user
from wellkept.actors import SystemActor
from wellkept.audit.models import AuditEntry
from wellkept.orgs.models import Clinician, InviteeRole, Role, StaffMembership

pytestmark = pytest.mark.django_db(transaction=True)

SETUP = SystemActor("tests")
NEW_PASSWORD = "tq9#Lm2vXp"


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def invite(st_annes, email="priya.privacy@stannes.example", role=Role.PRIVACY_OFFICER):
    return invitation_create(actor=SETUP, organisation=st_annes, email=email, role=role)


def test_it_emails_the_link_after_commit(st_annes):
    issued = invite(st_annes)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["priya.privacy@stannes.example"]
    assert issued.url in mail.outbox[0].body
    assert issued.url.startswith("http://127.0.0.1:8000/accounts/invite/")


def test_it_sends_nothing_when_the_transaction_rolls_back(st_annes):
    from django.db import transaction

    def invite_then_fail() -> None:
        with transaction.atomic():
            invite(st_annes)
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        invite_then_fail()
    assert mail.outbox == []
    assert Invitation.objects.count() == 0


def test_it_stores_neither_the_address_nor_the_token_in_clear(st_annes):
    issued = invite(st_annes)
    token = token_of(issued.url)
    secret_part = token.split(".", 1)[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_invitation")
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert "priya" not in raw
    assert secret_part not in raw
    assert issued.invitation.token_prefix in raw


def test_it_expires_after_the_configured_number_of_days(st_annes, settings):
    settings.WELLKEPT_INVITATION_DAYS = 3
    issued = invite(st_annes)
    lifetime = issued.invitation.expires_at - issued.invitation.created_at
    assert lifetime.days == 3


def test_it_refuses_a_bad_address_or_role(st_annes):
    with pytest.raises(InvitationError, match="not a valid e-mail address"):
        invite(st_annes, email="not-an-address")
    with pytest.raises(InvitationError, match="not a role one can invite to"):
        invite(st_annes, role="hr_manager")


def test_it_refuses_to_invite_an_existing_account(st_annes):
    make_user("nina.nurse@stannes.example")
    with pytest.raises(InvitationError, match="already exists"):
        invite(st_annes, email="Nina.Nurse@stannes.example")


def test_it_creates_the_account_and_membership_on_acceptance(st_annes):
    issued = invite(st_annes)
    user = invitation_accept(token=token_of(issued.url), password=NEW_PASSWORD)
    assert user.email == "priya.privacy@stannes.example"
    assert user.check_password(NEW_PASSWORD)
    assert StaffMembership.objects.filter(
        user=user, organisation=st_annes, role=Role.PRIVACY_OFFICER
    ).exists()
    # Eight characters are enough because MFA enrolment follows at once, but
    # the account records that the password could not stand alone.
    assert user.password_meets_single_factor is False


def test_it_makes_a_clinician_with_no_staff_role_on_acceptance(st_annes):
    issued = invite(st_annes, email="nina.nurse@stannes.example", role=InviteeRole.CLINICIAN)
    assert "Clinician" in mail.outbox[-1].body
    long_enough = "a quiet harbour at dawn"
    user = invitation_accept(token=token_of(issued.url), password=long_enough)
    assert Clinician.objects.filter(user=user, organisation=st_annes).exists()
    assert not StaffMembership.objects.filter(user=user).exists()


def test_it_asks_a_clinician_for_a_password_that_stands_alone(st_annes):
    issued = invite(st_annes, email="nina.nurse@stannes.example", role=InviteeRole.CLINICIAN)
    # No second factor follows for a clinician, so eight characters are not enough.
    with pytest.raises(ValidationError, match="15"):
        invitation_accept(token=token_of(issued.url), password="Tr4vel!ng")
    assert not User.objects.filter(email_index=Invitation.objects.get().email_index).exists()


def test_it_works_only_once(st_annes):
    token = token_of(invite(st_annes).url)
    invitation_accept(token=token, password=NEW_PASSWORD)
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token, password=NEW_PASSWORD)
    assert User.objects.count() == 1


def test_it_refuses_an_expired_link(st_annes, frozen_clock, settings):
    token = token_of(invite(st_annes).url)
    frozen_clock(settings.WELLKEPT_INVITATION_DAYS * 86400 + 1)
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token, password=NEW_PASSWORD)
    assert User.objects.count() == 0


def test_it_refuses_a_revoked_link(st_annes):
    issued = invite(st_annes)
    invitation_revoke(actor=SETUP, invitation=issued.invitation)
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token_of(issued.url), password=NEW_PASSWORD)


def test_it_does_not_revoke_an_accepted_invitation(st_annes):
    issued = invite(st_annes)
    invitation_accept(token=token_of(issued.url), password=NEW_PASSWORD)
    revoked = invitation_revoke(actor=SETUP, invitation=issued.invitation)
    assert revoked.revoked_at is None
    assert revoked.status() == "accepted"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # right prefix, wrong secret
        lambda t: "0123456789." + t.split(".", 1)[1],  # unknown prefix
        lambda t: "garbage",
        lambda t: "",
    ],
)
def test_it_refuses_forged_links(st_annes, tamper):
    token = token_of(invite(st_annes).url)
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=tamper(token), password=NEW_PASSWORD)


def test_it_applies_the_password_rules_and_leaves_the_link_usable(st_annes):
    token = token_of(invite(st_annes).url)
    with pytest.raises(ValidationError):
        invitation_accept(token=token, password="short")
    assert User.objects.count() == 0
    invitation_accept(token=token, password=NEW_PASSWORD)


def test_it_lets_a_system_administrator_of_the_organisation_invite(st_annes, amira):
    issued = invitation_create(
        actor=amira, organisation=st_annes, email="sam@stannes.example", role=Role.SPECIALIST
    )
    assert issued.invitation.invited_by == amira


@pytest.mark.parametrize("persona", ["lena", "nina", "oscar"])
def test_it_refuses_anyone_but_the_organisations_system_administrators(st_annes, persona, request):
    actor = request.getfixturevalue(persona)
    with pytest.raises(InvitationNotAllowed):
        invitation_create(
            actor=actor, organisation=st_annes, email="sam@stannes.example", role=Role.LEADER
        )
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_it_refuses_a_deactivated_system_administrator(st_annes, amira):
    amira.is_active = False
    amira.save(update_fields=["is_active"])
    with pytest.raises(InvitationNotAllowed):
        invitation_create(
            actor=amira, organisation=st_annes, email="sam@stannes.example", role=Role.LEADER
        )


def test_it_refuses_an_administrator_inviting_their_own_address(st_annes, amira, elsewhere):
    give_role(amira, elsewhere, Role.SYSTEM_ADMIN)
    for organisation in (st_annes, elsewhere):
        with pytest.raises(InvitationError, match="your own e-mail address"):
            invitation_create(
                actor=amira,
                organisation=organisation,
                email=" Amira.Admin@StAnnes.example",
                role=Role.SPECIALIST,
            )
    assert Invitation.objects.count() == 0


def test_inviting_an_address_again_replaces_the_earlier_link(st_annes):
    first = invite(st_annes)
    second = invite(st_annes, role=Role.LEADER)
    assert second.replaced == 1
    first.invitation.refresh_from_db()
    assert first.invitation.status() == "revoked"
    live = Invitation.objects.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    assert list(live) == [second.invitation]
    with pytest.raises(InvitationInvalid):
        invitation_accept(token=token_of(first.url), password=NEW_PASSWORD)
    user = invitation_accept(token=token_of(second.url), password=NEW_PASSWORD)
    assert StaffMembership.objects.get(user=user).role == Role.LEADER
    assert AuditEntry.objects.filter(
        event="account.invitation_revoked",
        target=f"invitation:{first.invitation.pk}",
        reason="replaced by a new invitation",
    ).exists()


def test_inviting_again_replaces_an_expired_link_too(st_annes, frozen_clock, settings):
    first = invite(st_annes)
    frozen_clock(settings.WELLKEPT_INVITATION_DAYS * 86400 + 1)
    assert first.invitation.status() == "expired"
    assert invite(st_annes).replaced == 1


def test_it_leaves_other_addresses_and_organisations_alone(st_annes, elsewhere):
    mine = invite(st_annes)
    invite(st_annes, email="someone.else@stannes.example")
    theirs = invitation_create(
        actor=SETUP, organisation=elsewhere, email="priya.privacy@stannes.example", role="leader"
    )
    assert theirs.replaced == 0
    mine.invitation.refresh_from_db()
    assert mine.invitation.status() == "pending"


def test_the_database_refuses_a_second_open_invitation_to_one_address(st_annes):
    issued = invite(st_annes)
    duplicate = Invitation(
        organisation=st_annes,
        role=Role.LEADER,
        email_index=issued.invitation.email_index,
        token_prefix="dup0000000",
        token_mac="0" * 64,
        expires_at=issued.invitation.expires_at,
    )
    duplicate.email = "priya.privacy@stannes.example"
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_race_to_invite_one_address_gets_a_clear_message(st_annes, monkeypatch):
    invite(st_annes)
    # The other administrator's invitation lands between our look-up and insert.
    monkeypatch.setattr("wellkept.accounts.services._replace_open_invitations", lambda *a, **k: 0)
    with pytest.raises(InvitationError, match="Someone else invited this address a moment ago"):
        invite(st_annes)
