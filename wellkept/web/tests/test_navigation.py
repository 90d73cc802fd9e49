"""Header links: role entries join the common ones; missing pages are skipped."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from wellkept.orgs.models import Role
from wellkept.web import navigation
from wellkept.web.navigation import NavItem


@pytest.fixture
def request_for_home() -> object:
    return RequestFactory().get("/")


def labels(links: list[navigation.NavLink]) -> list[str]:
    return [link.label for link in links]


def test_it_gives_everyone_home_and_account_links(request_for_home) -> None:
    links = navigation.links_for(request_for_home, set())

    assert labels(links) == [
        "Home",
        "Check-ins",
        "My data",
        "Your account",
        "Sign-in security",
        "Devices",
        "Password",
    ]
    assert [link.current for link in links] == [True] + [False] * 6


def test_it_adds_a_roles_links_after_home(request_for_home, monkeypatch) -> None:
    monkeypatch.setitem(
        navigation.BY_ROLE, Role.PRIVACY_OFFICER, (NavItem("Devices again", "usersessions_list"),)
    )

    holder = navigation.links_for(request_for_home, {Role.PRIVACY_OFFICER})
    other = navigation.links_for(request_for_home, {Role.LEADER})

    assert labels(holder)[:4] == ["Home", "Check-ins", "My data", "Devices again"]
    assert "Devices again" not in labels(other)


def test_it_skips_a_link_whose_page_is_not_installed(request_for_home, monkeypatch) -> None:
    monkeypatch.setitem(
        navigation.BY_ROLE, Role.LEADER, (NavItem("Trends", "insights:not-built-yet"),)
    )

    links = navigation.links_for(request_for_home, {Role.LEADER})

    assert "Trends" not in labels(links)
    assert labels(links)[0] == "Home"


def test_it_leaves_the_programme_out_for_roles_it_is_not_offered_to(request_for_home) -> None:
    links = navigation.links_for(request_for_home, {Role.FRONT_DESK}, programme=False)

    assert "Check-ins" not in labels(links)
    assert "My data" not in labels(links)
    assert labels(links)[:6] == [
        "Home",
        "Clients",
        "Schedule",
        "Messages",
        "Billing",
        "Your account",
    ]


def test_it_gives_every_practice_role_the_clients_page(request_for_home) -> None:
    for role in (Role.SPECIALIST, Role.CLINICAL_SUPERVISOR, Role.FRONT_DESK, Role.BILLING):
        links = navigation.links_for(request_for_home, {role}, programme=False)

        assert [link.url for link in links if link.label == "Clients"] == ["/practice/clients/"]
        assert [link.url for link in links if link.label == "Schedule"] == ["/practice/schedule/"]


def test_it_gives_the_co_signature_queue_to_clinical_supervisors_only(request_for_home) -> None:
    for role in Role:
        links = navigation.links_for(request_for_home, {role}, programme=False)
        queue = [link.url for link in links if link.label == "Notes to co-sign"]

        assert queue == (["/practice/notes/cosign/"] if role == Role.CLINICAL_SUPERVISOR else [])


def test_it_gives_billing_to_the_front_desk_and_billing_only(request_for_home) -> None:
    for role in (Role.FRONT_DESK, Role.BILLING):
        links = navigation.links_for(request_for_home, {role}, programme=False)
        assert [link.url for link in links if link.label == "Billing"] == ["/practice/billing/"]
    for role in (Role.SPECIALIST, Role.CLINICAL_SUPERVISOR, Role.PRIVACY_OFFICER):
        links = navigation.links_for(request_for_home, {role}, programme=False)
        assert "Billing" not in labels(links)


def test_it_gives_the_privacy_officer_one_header_entry(request_for_home) -> None:
    links = navigation.links_for(request_for_home, {Role.PRIVACY_OFFICER})

    privacy = [link for link in links if link.url.startswith("/privacy/")]
    assert [link.label for link in privacy] == ["Privacy"]


def test_it_gathers_the_privacy_pages_of_six_apps_under_privacy() -> None:
    links = navigation.privacy_links(RequestFactory().get("/"))

    assert len(links) == len(navigation.PRIVACY)
    assert all(link.url.startswith("/privacy/") for link in links)
    apps = {item.url_name.split(":")[0] for item in navigation.PRIVACY}
    assert apps == {"privacy", "followup", "insights", "lifecycle", "practice", "disclosures"}


def test_it_marks_the_current_privacy_page_only() -> None:
    links = navigation.privacy_links(RequestFactory().get("/privacy/retention/"))

    assert [link.label for link in links if link.current] == ["Retention and holds"]


class Org:
    slug = "st-annes"
    pk = 1
    name = "St Anne's"


def test_it_keeps_the_organisation_in_the_privacy_menu() -> None:
    links = navigation.privacy_links(RequestFactory().get("/"))

    html = render_to_string("web/nav/privacy.html", {"privacy_nav": links, "organisation": Org()})

    assert 'href="/privacy/re-identification/?org=st-annes"' in html
    assert 'href="/privacy/disclosure/?org=st-annes"' in html


def test_it_adds_no_organisation_to_the_menu_without_one() -> None:
    links = navigation.privacy_links(RequestFactory().get("/"))

    html = render_to_string("web/nav/privacy.html", {"privacy_nav": links})

    assert "?org=" not in html
    assert 'href="/privacy/retention/"' in html
