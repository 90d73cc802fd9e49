"""The staff's portal pages on a client: status, invite, re-send, revoke; for whom, nobody else."""

from __future__ import annotations

import uuid

import pytest
from django.core import mail
from django.urls import reverse

from wellkept.audit.events import Outcome
from wellkept.audit.models import AuditEntry
from wellkept.portal.models import PortalInvitation
from wellkept.portal.tests.conftest import portal_user, signed_in

pytestmark = pytest.mark.django_db

HARBOUR = {"org": "harbour"}
OTHER = {"org": "other"}
# Everyone who may not manage Ada's portal access: another therapist, her
# therapist's supervisor, billing, the privacy officer, the system
# administrator, and another practice's front desk and therapist.
REFUSED = [
    ("theo", HARBOUR),
    ("sue", HARBOUR),
    ("bill", HARBOUR),
    ("priya", HARBOUR),
    ("amira", HARBOUR),
    ("olga", OTHER),
    ("oren", OTHER),
]


def status_url(client):
    return reverse("portal:staff_status", args=[client.pk])


def invite_url(client):
    return reverse("portal:staff_invite", args=[client.pk])


def revoke_url(client):
    return reverse("portal:staff_revoke", args=[client.pk])


@pytest.mark.parametrize("who", ["tess", "fran"])
def test_it_shows_the_status_and_the_actions(practice, who):
    page = signed_in(practice.people[who]).get(status_url(practice.clients["ada"]), HARBOUR)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Not invited." in body
    assert "Invite to the portal" in body


def test_the_clients_page_links_to_it_for_those_who_may_invite(practice):
    ada = practice.clients["ada"]
    for who, shown in (("tess", True), ("fran", True), ("bill", False), ("sue", False)):
        page = signed_in(practice.people[who]).get(
            reverse("practice:client", args=[ada.pk]), HARBOUR
        )
        assert (status_url(ada) in page.content.decode()) is shown, who


def test_inviting_sends_the_link_and_shows_until_when(practice, django_capture_on_commit_callbacks):
    fran = signed_in(practice.people["fran"])
    ada = practice.clients["ada"]
    with django_capture_on_commit_callbacks(execute=True):
        response = fran.post(invite_url(ada) + "?org=harbour", follow=True)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Invitation sent" in body
    assert "Invited until" in body
    assert "Revoke the invitation" in body
    assert len(mail.outbox) == 1


def test_sending_again_says_the_earlier_link_stopped(practice):
    fran = signed_in(practice.people["fran"])
    ada = practice.clients["ada"]
    fran.post(invite_url(ada) + "?org=harbour")
    body = fran.post(invite_url(ada) + "?org=harbour", follow=True).content.decode()
    assert "the earlier link no longer works" in body
    assert PortalInvitation.objects.filter(client=ada, revoked_at__isnull=True).count() == 1


def test_revoking_stops_the_link(practice):
    tess = signed_in(practice.people["tess"])
    ada = practice.clients["ada"]
    tess.post(invite_url(ada) + "?org=harbour")
    body = tess.post(revoke_url(ada) + "?org=harbour", follow=True).content.decode()
    assert "Invitation revoked" in body
    assert "The invitation was revoked" in body
    assert PortalInvitation.objects.get(client=ada).revoked_at is not None


def test_revoking_with_nothing_pending_says_so(practice):
    body = (
        signed_in(practice.people["tess"])
        .post(revoke_url(practice.clients["ada"]) + "?org=harbour", follow=True)
        .content.decode()
    )
    assert "There was no pending invitation to revoke." in body


def test_a_client_without_an_address_is_explained_not_crashed(practice):
    ada = practice.clients["ada"]
    ada.email = ""
    ada.save(update_fields=["email"])
    fran = signed_in(practice.people["fran"])
    page = fran.get(status_url(ada), HARBOUR).content.decode()
    assert "has no e-mail address" in page
    body = fran.post(invite_url(ada) + "?org=harbour", follow=True).content.decode()
    assert "no valid e-mail address" in body


def test_it_shows_an_active_portal(practice):
    ada = practice.clients["ada"]
    portal_user(ada)
    page = signed_in(practice.people["tess"]).get(status_url(ada), HARBOUR).content.decode()
    assert "Active" in page
    assert "Invite to the portal" not in page


@pytest.mark.parametrize(("who", "org"), REFUSED)
@pytest.mark.parametrize("page", ["status", "invite", "revoke"])
def test_everyone_else_gets_404_and_an_audited_refusal(practice, who, org, page):
    ada = practice.clients["ada"]
    url = {"status": status_url, "invite": invite_url, "revoke": revoke_url}[page](ada)
    browser = signed_in(practice.people[who])
    response = (
        browser.get(url, org) if page == "status" else browser.post(url + f"?org={org['org']}")
    )
    assert response.status_code == 404
    assert AuditEntry.objects.filter(
        actor_id=str(practice.people[who].pk), outcome=Outcome.DENIED
    ).exists()
    assert not PortalInvitation.objects.exists()


def test_tess_cannot_invite_theos_client(practice):
    ben = practice.clients["ben"]
    response = signed_in(practice.people["tess"]).post(invite_url(ben) + "?org=harbour")
    assert response.status_code == 404
    assert not PortalInvitation.objects.exists()


def test_a_made_up_client_is_404_for_everyone(practice):
    missing = uuid.uuid4()
    for who in ("tess", "fran"):
        response = signed_in(practice.people[who]).get(
            reverse("portal:staff_status", args=[missing]), HARBOUR
        )
        assert response.status_code == 404
    assert AuditEntry.objects.filter(target="portal_invitation:unknown").count() == 2


def test_the_invitation_pages_need_a_post(practice):
    ada = practice.clients["ada"]
    response = signed_in(practice.people["fran"]).get(invite_url(ada), HARBOUR)
    assert response.status_code == 405


def test_a_portal_login_cannot_invite(practice):
    ben = portal_user(practice.clients["ben"])
    response = signed_in(ben).post(invite_url(practice.clients["ada"]) + "?org=harbour")
    assert response.status_code == 404
    assert not PortalInvitation.objects.filter(client=practice.clients["ada"]).exists()
    assert AuditEntry.objects.filter(
        actor_id=str(ben.pk), reason="a portal login outside the portal"
    ).exists()
