"""The base layout: landmarks, skip link, navigation, messages and the session dialog."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

LOGIN = reverse("account_login")


class Outline(HTMLParser):
    """Collect the tags, ids and links of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, tag: str, **attrs: str) -> list[dict[str, str | None]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    return parser


def test_it_gives_every_page_landmarks_and_a_skip_link(pat_client: Client) -> None:
    page = outline(pat_client.get("/").text)

    assert page.find("html", lang="en")
    assert page.find("header")
    assert page.find("footer")
    assert page.find("main", id="main")
    assert page.find("nav", **{"aria-label": "Main"})
    skip = page.tags[[t for t, _ in page.tags].index("body") + 1]
    assert skip == ("a", {"class": "skip-link", "href": "#main"})
    assert page.find("meta", name="viewport")


def test_it_links_only_the_self_hosted_stylesheet_and_script(pat_client: Client) -> None:
    page = outline(pat_client.get("/").text)

    stylesheets = [a["href"] for a in page.find("link", rel="stylesheet")]
    scripts = [a["src"] for a in page.find("script")]
    assert stylesheets == [
        "/static/wellkept/css/wellkept.css",
        "/static/wellkept/css/programme.css",
    ]
    assert scripts == [
        "/static/wellkept/js/scroll-regions.js",
        "/static/wellkept/js/session.js",
    ]
    for url in (*stylesheets, *scripts):
        assert url is not None
        assert finders.find(url.removeprefix("/static/")) is not None


def test_it_shows_a_participant_the_account_links_that_exist(pat_client: Client) -> None:
    page = outline(pat_client.get("/").text)

    links = [a["href"] for a in page.find("a", **{"class": "site-nav__link"})]
    assert links == [
        reverse("web:home"),
        reverse("assessments:programme"),
        reverse("lifecycle:mydata"),
        reverse("accounts:home"),
        reverse("mfa_index"),
        reverse("usersessions_list"),
        reverse("account_change_password"),
    ]
    assert page.find("a", href=reverse("web:home"), **{"aria-current": "page"})
    assert page.find("form", action=reverse("account_logout"), method="post")


def test_it_puts_the_header_links_in_a_menu_that_opens_without_script(
    pat_client: Client,
) -> None:
    html = pat_client.get("/").text
    page = outline(html)

    # A closed <details>: phones show only "Menu"; the stylesheet opens it
    # into a row on wider screens. The links are rendered once, inside it.
    menu = page.find("details", **{"class": "site-menu"})
    assert menu == [{"class": "site-menu"}]
    start = html.index('<details class="site-menu">')
    end = html.index("</details>", start)
    inside = html[start:end]
    assert '<summary class="site-menu__toggle">Menu</summary>' in inside
    assert '<nav class="site-nav" aria-label="Main">' in inside
    assert 'class="site-header__roles"' in inside
    assert len(page.find("nav")) == 1


def test_it_names_the_roles_in_the_header_but_never_the_email(
    pat_client: Client, lee_client: Client
) -> None:
    participant = pat_client.get("/").text
    leader = lee_client.get("/").text

    assert "Participant" in participant
    assert "Leader" in leader
    assert "pat.participant@example.org" not in participant
    assert "lee.leader@example.org" not in leader


def test_it_puts_the_csrf_token_and_session_dialog_on_signed_in_pages(
    pat_client: Client,
) -> None:
    page = outline(pat_client.get("/").text)

    token = page.find("meta", name="csrf-token")
    assert token
    assert len(token[0]["content"] or "") >= 32
    dialog = page.find("dialog", id="session-warning")
    assert dialog
    assert dialog[0]["role"] == "alertdialog"
    assert dialog[0]["aria-labelledby"] == "session-warning-title"
    assert page.find("button", type="button", **{"data-session-stay": None})


def test_it_leaves_the_token_dialog_and_timer_off_public_pages(client: Client) -> None:
    page = outline(client.get(LOGIN).text)

    assert not page.find("meta", name="csrf-token")
    assert not page.find("dialog")
    assert not page.find("script", src="/static/wellkept/js/session.js")
    assert not page.find("nav")


def test_it_renders_allauth_pages_inside_the_wellkept_layout(
    client: Client, pat_client: Client
) -> None:
    login = outline(client.get(LOGIN).text)
    # The MFA page: password and devices now ask to re-authenticate first.
    manage = outline(pat_client.get(reverse("mfa_index")).text)

    for page, layout in ((login, "layout-entrance"), (manage, "layout-manage")):
        assert page.find("a", **{"class": "skip-link", "href": "#main"})
        assert page.find("main", id="main")
        assert page.find("link", rel="stylesheet", href="/static/wellkept/css/wellkept.css")
        assert page.find("body")[0]["class"] == layout


def test_it_shows_messages_in_a_status_region(pat_client: Client, settings) -> None:
    settings.WELLKEPT_SESSION_IDLE_SECONDS = 900
    response = pat_client.post(reverse("account_logout"), follow=True)

    page = outline(response.text)
    assert page.find("div", role="status")
    assert page.find("ul", **{"class": "messages"})
    assert "You have signed out." in response.text.split('role="status"', 1)[1]
    assert "You have signed out." in response.text


def test_it_labels_every_input_on_the_sign_in_page(client: Client) -> None:
    page = outline(client.get(LOGIN).text)

    labelled = {a["for"] for a in page.find("label")}
    inputs = [a for a in page.find("input") if a.get("type") not in ("hidden", "submit")]
    assert inputs
    for field in inputs:
        assert field["id"] in labelled


@pytest.mark.parametrize(
    "name",
    [
        "wellkept/css/wellkept.css",
        "wellkept/css/programme.css",
        "wellkept/js/session.js",
        "wellkept/js/scroll-regions.js",
    ],
)
def test_it_loads_nothing_from_other_hosts(name: str) -> None:
    path = finders.find(name)
    assert path is not None
    text = Path(path).read_text(encoding="utf-8")
    for remote in ("http://", "https://", "@import", "@font-face"):
        assert remote not in text
