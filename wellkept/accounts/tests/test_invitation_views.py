"""Invitation pages: administrators only (404 for others); one page for every dead link."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.urls import reverse

from wellkept.accounts.models import Invitation, User
from wellkept.accounts.services import invitation_create, invitation_revoke
from wellkept.accounts.tests.conftest import STRONG_PASSWORD
from wellkept.actors import SystemActor
from wellkept.orgs.models import Role

pytestmark = pytest.mark.django_db

LIST = reverse("accounts:invitation_list")
NEW = reverse("accounts:invitation_new")
ACCEPT = reverse("accounts:invitation_accept")
SETUP = SystemActor("tests")
DEAD_LINK = "This invitation link is no longer valid"


def issue(organisation, email="sam.specialist@stannes.example"):
    issued = invitation_create(
        actor=SETUP, organisation=organisation, email=email, role=Role.SPECIALIST
    )
    return issued, "/accounts" + issued.url.split("/accounts", 1)[1]


def test_it_lets_a_system_administrator_invite_a_colleague(
    client, amira, st_annes, django_capture_on_commit_callbacks
):
    client.force_login(amira)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            NEW,
            {
                "email": "sam.specialist@stannes.example",
                "role": Role.SPECIALIST,
                "organisation": st_annes.pk,
            },
        )
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.invited_by == amira
    assert len(mail.outbox) == 1
    listing = client.get(LIST).content.decode()
    assert "sam.specialist@stannes.example" in listing
    assert "Pending until" in listing


def test_it_explains_a_bad_invitation_form(client, amira, st_annes):
    client.force_login(amira)
    response = client.post(
        NEW, {"email": "nope", "role": "hr_manager", "organisation": st_annes.pk}
    )
    assert response.status_code == 400
    assert Invitation.objects.count() == 0


def test_it_refuses_inviting_into_an_organisation_one_does_not_administer(client, amira, elsewhere):
    client.force_login(amira)
    response = client.post(
        NEW, {"email": "x.y@riverside.example", "role": Role.LEADER, "organisation": elsewhere.pk}
    )
    assert response.status_code == 400
    assert Invitation.objects.count() == 0


@pytest.mark.parametrize("persona", ["lena_with_mfa", "nina"])
def test_it_shows_not_found_to_everyone_but_administrators(client, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert client.get(LIST).status_code == 404
    assert client.post(NEW, {"email": "a.b@stannes.example"}).status_code == 404


@pytest.fixture
def lena_with_mfa(lena):
    from wellkept.accounts.tests.conftest import enrol_totp

    enrol_totp(lena)
    return lena


def test_it_lets_an_administrator_revoke_a_pending_invitation(client, amira, st_annes):
    issued, _path = issue(st_annes)
    client.force_login(amira)
    response = client.post(reverse("accounts:invitation_revoke", args=[issued.invitation.pk]))
    assert response.status_code == 302
    issued.invitation.refresh_from_db()
    assert issued.invitation.revoked_at is not None


def test_it_hides_other_organisations_invitations(client, oscar, st_annes):
    issued, _path = issue(st_annes)
    client.force_login(oscar)
    assert "sam.specialist" not in client.get(LIST).content.decode()
    response = client.post(reverse("accounts:invitation_revoke", args=[issued.invitation.pk]))
    assert response.status_code == 404
    issued.invitation.refresh_from_db()
    assert issued.invitation.revoked_at is None


def open_link(client, path: str):
    """Follow an invitation link the way a browser does; return the final page."""
    response = client.get(path)
    if response.status_code == 302:
        assert response["Location"] == ACCEPT
        return client.get(ACCEPT)
    return response


def test_it_lets_the_invitee_set_a_password_and_sends_them_to_mfa(client, st_annes):
    _issued, path = issue(st_annes)
    page = open_link(client, path)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'autocomplete="new-password"' in html
    assert "at least 8" in html
    response = client.post(ACCEPT, {"password1": "tq9#Lm2vXp", "password2": "tq9#Lm2vXp"})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    user = User.objects.get_by_email("sam.specialist@stannes.example")
    assert client.session["_auth_user_id"] == str(user.pk)
    # Straight to enrolment, without being asked for the new password again.
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    # And nowhere else until a second factor is set up.
    assert client.get(reverse("web:home"))["Location"] == reverse("mfa_activate_totp")


def test_it_explains_password_problems_on_the_invitation_page(client, st_annes):
    _issued, path = issue(st_annes)
    open_link(client, path)
    response = client.post(ACCEPT, {"password1": "short", "password2": "short"})
    assert response.status_code == 200
    assert "at least 8 characters" in response.content.decode()
    response = client.post(ACCEPT, {"password1": "tq9#Lm2vXp", "password2": "tq9#Lm2vXq"})
    assert "not the same" in response.content.decode()
    assert User.objects.count() == 0


def test_it_shows_one_page_for_used_revoked_expired_and_unknown_links(
    client, st_annes, frozen_clock, settings
):
    _used, used_path = issue(st_annes, "used@stannes.example")
    open_link(client, used_path)
    client.post(ACCEPT, {"password1": "tq9#Lm2vXp", "password2": "tq9#Lm2vXp"})
    client.logout()
    revoked, revoked_path = issue(st_annes, "revoked@stannes.example")
    invitation_revoke(actor=SETUP, invitation=revoked.invitation)
    _expired, expired_path = issue(st_annes, "expired@stannes.example")
    frozen_clock(settings.WELLKEPT_INVITATION_DAYS * 86400 + 1)
    unknown_path = reverse("accounts:invitation_open", args=["0123456789.nothing-here"])

    pages = [client.get(p) for p in (used_path, revoked_path, expired_path, unknown_path)]
    # And the form's address, reached with nothing (or nothing usable) parked.
    pages.append(client.__class__().get(ACCEPT))
    assert {p.status_code for p in pages} == {404}
    bodies = {p.content.decode().replace(p.wsgi_request.path, "") for p in pages}
    assert len(bodies) == 1
    assert DEAD_LINK in bodies.pop()


def test_it_refuses_a_second_use_even_with_the_page_still_open(client, st_annes):
    _issued, path = issue(st_annes)
    other = client.__class__()
    open_link(client, path)
    open_link(other, path)
    client.post(ACCEPT, {"password1": "tq9#Lm2vXp", "password2": "tq9#Lm2vXp"})
    response = other.post(ACCEPT, {"password1": STRONG_PASSWORD, "password2": STRONG_PASSWORD})
    assert response.status_code == 404
    assert User.objects.count() == 1


def test_it_moves_the_token_out_of_the_url_and_keeps_it_sealed_in_the_session(client, st_annes):
    _issued, path = issue(st_annes)
    token = path.rstrip("/").rsplit("/", 1)[-1]
    secret_part = token.split(".", 1)[1]
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    assert token not in response["Location"]
    page = client.get(ACCEPT)
    assert page.status_code == 200
    assert secret_part not in page.content.decode()
    for row in Session.objects.all():
        assert secret_part not in row.session_data
        assert secret_part not in str(row.get_decoded())


def test_it_refuses_a_tampered_sealed_token(client, st_annes):
    _issued, path = issue(st_annes)
    client.get(path)
    session = client.session
    session["wellkept.invitation_token"] = session["wellkept.invitation_token"][:-4] + "AAAA"
    session.save()
    response = client.post(ACCEPT, {"password1": "tq9#Lm2vXp", "password2": "tq9#Lm2vXp"})
    assert response.status_code == 404
    assert User.objects.count() == 0


def test_it_refuses_the_link_by_post(client, st_annes):
    _issued, path = issue(st_annes)
    response = client.post(path, {"password1": "tq9#Lm2vXp", "password2": "tq9#Lm2vXp"})
    assert response.status_code == 405
    assert User.objects.count() == 0


def test_it_decides_and_audits_the_listing_once(client, amira, st_annes):
    from wellkept.audit.models import AuditEntry

    issue(st_annes)
    client.force_login(amira)
    before = AuditEntry.objects.filter(actor_id=str(amira.pk), event="record.read").count()
    assert "sam.specialist" in client.get(LIST).content.decode()
    after = AuditEntry.objects.filter(actor_id=str(amira.pk), event="record.read").count()
    assert after == before + 1


def test_it_audits_a_refused_revoke_as_denied(client, oscar, st_annes):
    from wellkept.audit.models import AuditEntry

    issued, _path = issue(st_annes)
    client.force_login(oscar)
    response = client.post(reverse("accounts:invitation_revoke", args=[issued.invitation.pk]))
    assert response.status_code == 404
    entry = AuditEntry.objects.filter(actor_id=str(oscar.pk)).order_by("-id").first()
    assert entry is not None
    assert (entry.event, entry.outcome) == ("access.denied", "denied")


def test_it_audits_an_allowed_revoke(client, amira, st_annes):
    from wellkept.audit.models import AuditEntry

    issued, _path = issue(st_annes)
    client.force_login(amira)
    client.post(reverse("accounts:invitation_revoke", args=[issued.invitation.pk]))
    events = set(AuditEntry.objects.filter(actor_id=str(amira.pk)).values_list("event", "outcome"))
    assert ("record.update", "allowed") in events
    assert ("account.invitation_revoked", "allowed") in events


def test_it_records_that_an_invitation_link_was_opened(client, st_annes):
    from wellkept.audit.models import AuditEntry

    issued, path = issue(st_annes)
    open_link(client, path)
    entry = AuditEntry.objects.filter(target=f"invitation:{issued.invitation.pk}").latest("id")
    assert (entry.event, entry.actor_label, entry.reason) == (
        "record.read",
        "anonymous",
        "invitation link opened",
    )


def test_inviting_an_address_twice_says_the_earlier_link_was_replaced(client, amira, st_annes):
    client.force_login(amira)
    form = {"email": "sam.specialist@stannes.example", "role": Role.SPECIALIST}
    client.post(NEW, {**form, "organisation": st_annes.pk})
    response = client.post(NEW, {**form, "organisation": st_annes.pk}, follow=True)
    page = response.content.decode()
    assert "The earlier invitation to this address was replaced" in page
    statuses = sorted(i.status() for i in Invitation.objects.all())
    assert statuses == ["pending", "revoked"]
