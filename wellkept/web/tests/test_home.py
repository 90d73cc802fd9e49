"""The home page tells each person what Wellkept does for their role today."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from wellkept.accounts.models import User
from wellkept.orgs.models import Clinician, Organisation, Role
from wellkept.web.guides import GUIDES


def test_it_sends_anonymous_visitors_to_sign_in(client: Client) -> None:
    response = client.get(reverse("web:home"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_explains_the_programme_and_its_promises_to_a_participant(pat_client: Client) -> None:
    html = pat_client.get(reverse("web:home")).text

    assert "Welcome to Wellkept" in html
    assert "Our privacy promises" in html
    assert "never under your name" in html
    assert "never used for discipline" in html
    assert "erased" in html
    assert "<dt>You see</dt>" not in html


def test_it_tells_a_leader_what_the_role_sees_and_never_sees(lee_client: Client) -> None:
    html = lee_client.get(reverse("web:home")).text

    assert "signed in as\n      <strong>Leader</strong>" in html
    assert escape(GUIDES[Role.LEADER].never_sees) in html
    assert "Our privacy promises" not in html
    assert escape(GUIDES[Role.PRIVACY_OFFICER].sees) not in html


def test_it_suggests_two_factor_authentication_to_a_participant_without_it(
    pat_client: Client,
) -> None:
    html = pat_client.get(reverse("web:home")).text

    assert "Add two-factor authentication</a> (recommended)" in html
    assert "Two-factor authentication is on" not in html


def test_it_tells_a_leader_with_two_factor_authentication_that_it_is_on(
    lee_client: Client,
) -> None:
    html = lee_client.get(reverse("web:home")).text

    assert "Two-factor authentication is on." in html
    assert f'href="{reverse("mfa_index")}">Manage sign-in security</a>' in html
    assert "Set up two-factor authentication" not in html
    assert "Add two-factor authentication" not in html


def test_it_shows_neither_persona_their_email_address(
    pat_client: Client, lee_client: Client
) -> None:
    assert "pat.participant@example.org" not in pat_client.get("/").text
    assert "lee.leader@example.org" not in lee_client.get("/").text


def test_it_links_only_to_pages_that_exist(pat_client: Client, lee_client: Client) -> None:
    for browser in (pat_client, lee_client):
        html = browser.get("/").text
        for name in ("mfa_index", "usersessions_list", "account_change_password"):
            assert f'href="{reverse(name)}"' in html
            # Lee has no password yet, so the change page sends him to the set page.
            assert browser.get(reverse(name)).status_code in (200, 302)


def test_every_role_has_a_guide() -> None:
    assert set(GUIDES) == set(Role)
    for guide in GUIDES.values():
        assert guide.purpose
        assert guide.sees
        assert guide.never_sees


def test_it_sends_the_front_desk_to_the_practice_pages(client: Client, kim: User) -> None:
    client.force_login(kim)
    html = client.get(reverse("web:home")).text

    assert "Not available yet." not in html
    assert escape(GUIDES[Role.FRONT_DESK].sees) in html
    assert "There is nothing for your role to open yet." not in html
    assert f'href="{reverse("practice:client_list")}"' in html


def test_it_offers_the_front_desk_nothing_it_cannot_use(client: Client, kim: User) -> None:
    client.force_login(kim)
    html = client.get(reverse("web:home")).text

    for page in ("assessments:programme", "lifecycle:mydata", "assessments:join"):
        assert f'href="{reverse(page)}"' not in html
    programme = client.get(reverse("assessments:programme"))
    assert "The wellbeing programme is for clinicians" in programme.text
    assert "I want to take part" not in programme.text
    join = client.get(reverse("assessments:join"))
    assert "I want to take part" not in join.text


def test_a_front_desk_member_invited_as_a_clinician_too_is_offered_the_programme(
    client: Client, kim: User
) -> None:
    Clinician.objects.create(user=kim, organisation=Organisation.objects.get())
    client.force_login(kim)
    html = client.get(reverse("web:home")).text

    assert f'href="{reverse("assessments:programme")}"' in html


def test_other_staff_roles_keep_the_programme_links(lee_client: Client) -> None:
    html = lee_client.get(reverse("web:home")).text

    assert f'href="{reverse("assessments:programme")}"' in html
    assert "Not available yet." not in html
