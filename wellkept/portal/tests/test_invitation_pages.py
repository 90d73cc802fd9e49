"""Accepting a portal invitation through its link: once, before it expires, never when revoked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as Browser
from django.urls import reverse

from wellkept import clock
from wellkept.portal import services
from wellkept.portal.models import PortalMembership
from wellkept.portal.tests.conftest import PASSWORD, SETUP, token_of

pytestmark = pytest.mark.django_db

ACCEPT = reverse("portal:invitation_accept")


def invite(practice):
    return services.portal_invitation_create(actor=SETUP, client=practice.clients["ada"])


def open_link(browser, issued):
    return browser.get(reverse("portal:invitation_open", args=[token_of(issued.url)]))


def test_the_link_leads_to_a_password_and_then_the_portal(practice):
    issued = invite(practice)
    browser = Browser()
    response = open_link(browser, issued)
    # The token leaves the address bar at once.
    assert response.status_code == 302
    assert response["Location"] == ACCEPT
    page = browser.get(ACCEPT).content.decode()
    assert "ada.testwell@example.invalid" in page
    done = browser.post(ACCEPT, {"password1": PASSWORD, "password2": PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == reverse("portal:home") + "?welcome=1"
    home = browser.get(done["Location"]).content.decode()
    assert "Your portal account is ready." in home
    assert PortalMembership.objects.get().client == practice.clients["ada"]


def test_the_link_works_once(practice):
    issued = invite(practice)
    first = Browser()
    open_link(first, issued)
    first.post(ACCEPT, {"password1": PASSWORD, "password2": PASSWORD})
    again = open_link(Browser(), issued)
    assert again.status_code == 404
    assert "no longer valid" in again.content.decode()


def test_an_expired_link_is_refused(practice, monkeypatch):
    issued = invite(practice)
    later = issued.invitation.expires_at + dt.timedelta(minutes=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert open_link(Browser(), issued).status_code == 404


def test_a_link_revoked_after_opening_is_refused_at_the_password(practice):
    issued = invite(practice)
    browser = Browser()
    open_link(browser, issued)
    services.portal_invitation_revoke(actor=SETUP, client=practice.clients["ada"])
    response = browser.post(ACCEPT, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 404
    assert not PortalMembership.objects.exists()


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        ("short", "short", "at least 15 characters"),
        (PASSWORD, PASSWORD + "x", "The two passwords are not the same."),
    ],
)
def test_a_bad_password_is_explained(practice, first, second, message):
    issued = invite(practice)
    browser = Browser()
    open_link(browser, issued)
    response = browser.post(ACCEPT, {"password1": first, "password2": second})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PortalMembership.objects.exists()


def test_the_accept_page_without_a_link_is_refused(practice):
    assert Browser().get(ACCEPT).status_code == 404
