"""A minor's guardian's portal: only what the minor's therapist shares, only while a minor.

Mia (12, Theo's client) has a guardian, Gina; Theo decides what Gina sees.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as Browser
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from wellkept.accounts.models import User
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.portal import services
from wellkept.portal.models import GuardianSection, PortalGuardianMembership
from wellkept.portal.tests.conftest import PASSWORD, portal_user, token_of
from wellkept.practice.models import Guardian
from wellkept.practice.tests.conftest import signed_in, years_ago

pytestmark = pytest.mark.django_db

GINA_EMAIL = "gina.fakename@example.invalid"
SECTION_PAGES = {
    GuardianSection.APPOINTMENTS: "portal:guardian_appointments",
    GuardianSection.INVOICES: "portal:guardian_invoices",
}
# The client's own pages: a guardian reaches none of them, whatever is shared.
CLIENT_PAGES = [
    "portal:home",
    "portal:appointments",
    "portal:invoices",
    "portal:access_log",
    "portal:record",
    "portal:record_json",
    "portal:disclosures",
]


def gina(practice) -> Guardian:
    row = Guardian.objects.get(client=practice.clients["mia"])
    row.email = GINA_EMAIL
    row.save(update_fields=["email"])
    return row


def share(practice, *sections: str) -> None:
    services.guardian_sharing_set(
        actor=practice.people["theo"], client=practice.clients["mia"], sections=frozenset(sections)
    )


def gina_login(practice) -> User:
    issued = services.guardian_invitation_create(
        actor=practice.people["theo"], guardian=gina(practice)
    )
    return services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)


def test_it_lets_the_therapist_invite_a_guardian_through_a_single_use_link(practice):
    with_email = gina(practice)
    issued = services.guardian_invitation_create(actor=practice.people["theo"], guardian=with_email)
    assert issued.invitation.guardian_id == with_email.pk
    user = services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)
    assert user.email == GINA_EMAIL
    assert PortalGuardianMembership.objects.get(user=user).guardian_id == with_email.pk
    # The guardian's login is not the minor's: no client membership came of it.
    assert not hasattr(user, "portal_membership") or user.portal_membership is None
    with pytest.raises(services.PortalInvitationInvalid):
        services.portal_invitation_accept(token=token_of(issued.url), password=PASSWORD)
    assert AuditEntry.objects.filter(event=EventType.PORTAL_GUARDIAN_INVITED).exists()


def test_the_invitation_page_accepts_and_sends_the_guardian_to_their_portal(practice):
    mail.outbox.clear()
    issued = services.guardian_invitation_create(
        actor=practice.people["theo"], guardian=gina(practice)
    )
    visitor = Browser()
    visitor.get(reverse("portal:invitation_open", args=[token_of(issued.url)]))
    page = visitor.get(reverse("portal:invitation_accept"))
    assert GINA_EMAIL in page.text
    done = visitor.post(
        reverse("portal:invitation_accept"), {"password1": PASSWORD, "password2": PASSWORD}
    )
    assert done["Location"] == reverse("portal:guardian_home") + "?welcome=1"
    assert visitor.get(reverse("portal:guardian_home")).status_code == 200


@pytest.mark.parametrize("who", ["tess", "fran", "sue", "bill", "priya", "oren"])
def test_only_the_minors_own_therapist_decides_what_guardians_see(practice, who):
    with pytest.raises(PermissionDenied):
        services.guardian_sharing_set(
            actor=practice.people[who],
            client=practice.clients["mia"],
            sections=frozenset({GuardianSection.APPOINTMENTS}),
        )
    with pytest.raises(PermissionDenied):
        services.guardian_invitation_create(actor=practice.people[who], guardian=gina(practice))
    page = reverse("portal:guardians", args=[practice.clients["mia"].pk]) + "?org=harbour"
    assert signed_in(practice.people[who]).get(page).status_code == 404


def test_the_therapists_page_shows_and_saves_the_sharing(practice):
    theo = signed_in(practice.people["theo"])
    mia = practice.clients["mia"]
    page = reverse("portal:guardians", args=[mia.pk]) + "?org=harbour"
    assert "Gina Fakename" in theo.get(page).text
    saved = theo.post(
        reverse("portal:guardian_sharing", args=[mia.pk]) + "?org=harbour",
        {"sections": [GuardianSection.INVOICES]},
        follow=True,
    )
    assert "the guardians see only what is ticked" in saved.text
    entry = AuditEntry.objects.filter(event=EventType.PORTAL_GUARDIAN_SHARING_CHANGED).latest("id")
    assert entry.reason == "from [] to [invoices]"


def test_it_refuses_to_share_notes_or_anything_that_is_not_a_section(practice):
    for wrong in ("progress_notes", "psychotherapy_notes", "messages", "measures"):
        with pytest.raises(ValidationError):
            share(practice, GuardianSection.APPOINTMENTS, wrong)
    assert not AuditEntry.objects.filter(event=EventType.PORTAL_GUARDIAN_SHARING_CHANGED).exists()


@hypothesis_settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(shared=st.sets(st.sampled_from(list(GuardianSection.values))))
def test_a_guardian_reaches_a_page_exactly_when_its_section_is_shared(practice, shared):
    # One login for every example; the sharing changes between them.
    login = PortalGuardianMembership.objects.filter(
        guardian__client=practice.clients["mia"]
    ).first()
    user = login.user if login is not None else gina_login(practice)
    browser = signed_in(user)
    share(practice, *shared)
    home = browser.get(reverse("portal:guardian_home"))
    assert home.status_code == 200
    for section, name in SECTION_PAGES.items():
        response = browser.get(reverse(name))
        assert response.status_code == (200 if section in shared else 404)
        # Only the minor's own: never another client's name.
        assert "Addie" not in response.text
        assert "Benji" not in response.text
    for name in CLIENT_PAGES:
        assert browser.get(reverse(name)).status_code == 404


def test_a_client_login_reaches_no_guardian_page(practice):
    share(practice, *GuardianSection.values)
    ada = signed_in(portal_user(practice.clients["ada"]))
    for name in ["portal:guardian_home", *SECTION_PAGES.values()]:
        assert ada.get(reverse(name)).status_code == 404
    assert AuditEntry.objects.filter(target="guardian-portal:home", outcome=Outcome.DENIED).exists()


def test_access_ends_when_the_minor_comes_of_age(practice):
    share(practice, GuardianSection.APPOINTMENTS)
    browser = signed_in(gina_login(practice))
    assert browser.get(reverse("portal:guardian_appointments")).status_code == 200
    mia = practice.clients["mia"]
    mia.date_of_birth = years_ago(18).isoformat()
    mia.save(update_fields=["date_of_birth"])
    assert browser.get(reverse("portal:guardian_home")).status_code == 404
    assert browser.get(reverse("portal:guardian_appointments")).status_code == 404
    with pytest.raises(services.PortalInvitationError):
        services.guardian_invitation_create(actor=practice.people["theo"], guardian=gina(practice))


def test_ending_a_guardians_access_erases_their_login_and_is_audited(practice):
    user = gina_login(practice)
    assert services.guardian_access_end(actor=practice.people["theo"], guardian=gina(practice))
    assert not User.objects.filter(pk=user.pk).exists()
    assert AuditEntry.objects.filter(event=EventType.PORTAL_GUARDIAN_ACCESS_ENDED).exists()
    # Nothing left to end: said so, and nothing more is written.
    assert not services.guardian_access_end(actor=practice.people["theo"], guardian=gina(practice))


def test_a_clients_own_invitation_and_a_guardians_do_not_revoke_each_other(practice):
    issued = services.guardian_invitation_create(
        actor=practice.people["theo"], guardian=gina(practice)
    )
    own = services.portal_invitation_create(
        actor=practice.people["theo"], client=practice.clients["mia"]
    )
    assert own.replaced == 0
    issued.invitation.refresh_from_db()
    assert issued.invitation.revoked_at is None


def test_erasing_the_minor_erases_their_guardians_logins(practice):
    from wellkept.practice import services as practice_services
    from wellkept.practice.tests.conftest import SETUP
    from wellkept.vault.models import DataKey

    share(practice, GuardianSection.APPOINTMENTS)
    user = gina_login(practice)
    practice_services.client_erase(actor=SETUP, client=practice.clients["mia"])
    assert not User.objects.filter(pk=user.pk).exists()
    assert not PortalGuardianMembership.objects.exists()
    assert User.objects.get_by_email(GINA_EMAIL) is None
    assert DataKey.objects.get(subject=user.dek_subject).shredded_at is not None


def test_a_guardians_login_is_confined_to_the_portal_and_sent_to_its_own_home(practice):
    browser = signed_in(gina_login(practice))
    assert browser.get("/")["Location"] == reverse("portal:guardian_home")
    home = browser.get(reverse("portal:guardian_home")).text
    assert "Guardian&#x27;s portal" in home or "Guardian's portal" in home
    assert reverse("portal:record") not in home
    for path in ("/practice/clients/", "/me/data/", "/privacy/"):
        assert browser.get(path).status_code == 404
