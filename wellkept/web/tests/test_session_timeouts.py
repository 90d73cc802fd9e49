"""Idle and absolute session limits, enforced by the server.

Defaults under test: idle 900 s (15 minutes), absolute 43200 s (12 hours).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from wellkept.accounts.models import User
from wellkept.accounts.sessions import stored_key
from wellkept.web import session_limits
from wellkept.web.tests.conftest import PAT_EMAIL, PAT_PASSWORD, MovableClock

HOME = "/"
LOGIN = reverse("account_login")


@pytest.fixture(autouse=True)
def _default_limits(settings) -> None:
    settings.WELLKEPT_SESSION_IDLE_SECONDS = 900
    settings.WELLKEPT_SESSION_ABSOLUTE_SECONDS = 43200


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def start(client: Client) -> None:
    """Make the first signed-in request, which starts the session clocks."""
    assert client.get(HOME).status_code == 200
    assert session_limits.is_stamped(client.session)


def test_it_starts_both_clocks_on_the_sign_in_request(
    client: Client, pat: User, clock: MovableClock
) -> None:
    response = client.post(LOGIN, {"login": PAT_EMAIL, "password": PAT_PASSWORD})

    assert response.status_code == 302
    assert signed_in(client)
    now = int(clock.current.timestamp())
    assert client.session[session_limits.STARTED_KEY] == now
    assert client.session[session_limits.SEEN_KEY] == now


def test_it_signs_out_after_the_idle_limit(pat_client: Client, clock: MovableClock) -> None:
    start(pat_client)
    clock.advance(900)

    response = pat_client.get("/?x=1")

    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == LOGIN
    assert parse_qs(location.query)["next"] == ["/?x=1"]
    assert not signed_in(pat_client)
    followed = pat_client.get(response["Location"])
    assert "You were signed out after 15 minutes without activity" in followed.text


def test_it_keeps_the_session_one_second_before_the_idle_limit(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)
    clock.advance(899)

    assert pat_client.get(HOME).status_code == 200
    assert signed_in(pat_client)


def test_it_extends_the_idle_limit_with_each_request(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)
    for _ in range(4):  # an hour of use, never 15 minutes apart
        clock.advance(850)
        assert pat_client.get(HOME).status_code == 200

    assert signed_in(pat_client)


def test_it_signs_out_at_the_absolute_limit_despite_constant_activity(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)
    for _ in range(int(43200 / 600) - 1):
        clock.advance(600)
        assert pat_client.get(HOME).status_code == 200
    clock.advance(600)

    response = pat_client.get(HOME)

    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == LOGIN
    assert not signed_in(pat_client)
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert any("You were signed out after 12 hours" in m for m in messages)


def test_it_does_not_count_a_status_check_as_activity(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)
    clock.advance(600)

    status = pat_client.get("/session/status", HTTP_ACCEPT="application/json")

    assert status.status_code == 200
    assert status.json() == {
        "signed_in": True,
        "seconds_left": 300,
        "idle_seconds_left": 300,
        "absolute_seconds_left": 43200 - 600,
        "renewable": True,
    }
    clock.advance(300)
    assert pat_client.get(HOME).status_code == 302
    assert not signed_in(pat_client)


def test_it_counts_a_keepalive_as_activity(pat_client: Client, clock: MovableClock) -> None:
    start(pat_client)
    clock.advance(800)

    keepalive = pat_client.post("/session/keepalive", HTTP_ACCEPT="application/json")

    assert keepalive.status_code == 200
    assert keepalive.json()["idle_seconds_left"] == 900
    clock.advance(800)
    assert pat_client.get(HOME).status_code == 200


def test_it_refuses_a_keepalive_by_get(pat_client: Client, clock: MovableClock) -> None:
    start(pat_client)
    clock.advance(800)

    assert pat_client.get("/session/keepalive").status_code == 405
    clock.advance(100)
    assert pat_client.get(HOME).status_code == 302


def test_it_refuses_a_keepalive_without_a_csrf_token(pat: User, clock: MovableClock) -> None:
    # A page on another site must not be able to keep a victim's session alive.
    client = Client(enforce_csrf_checks=True)
    client.force_login(pat)
    start(client)

    response = client.post("/session/keepalive", HTTP_ACCEPT="application/json")

    assert response.status_code == 403


def test_it_accepts_a_keepalive_with_the_token_from_the_page_meta_tag(
    pat: User, clock: MovableClock
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(pat)
    page = client.get(HOME).text
    token = page.split('<meta name="csrf-token" content="', 1)[1].split('"', 1)[0]

    response = client.post(
        "/session/keepalive", HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN=token
    )

    assert response.status_code == 200
    assert response.json()["signed_in"] is True


def test_it_answers_json_when_the_script_finds_the_session_expired(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)
    clock.advance(900)

    response = pat_client.get("/session/status", HTTP_ACCEPT="application/json")

    assert response.status_code == 401
    assert response.json() == {"signed_in": False}
    assert not signed_in(pat_client)
    # The reason waits for the page the script navigates to next.
    login_page = pat_client.get(LOGIN)
    assert "without activity" in login_page.text


def test_it_reports_the_absolute_limit_when_it_comes_first(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)
    for _ in range(71):
        clock.advance(600)
        pat_client.get(HOME)
    clock.advance(100)  # 42700 s in, last activity 100 s ago

    body = pat_client.get("/session/status", HTTP_ACCEPT="application/json").json()

    assert body["seconds_left"] == 500
    assert body["absolute_seconds_left"] == 500
    assert body["idle_seconds_left"] == 800
    assert body["renewable"] is False


def test_it_leaves_anonymous_requests_alone(client: Client, clock: MovableClock) -> None:
    clock.advance(10**6)

    assert client.get(LOGIN).status_code == 200
    assert client.get(HOME).status_code == 302  # LoginRequiredMiddleware, not a timeout
    messages = [str(m) for m in get_messages(client.get(LOGIN).wsgi_request)]
    assert not any("signed out" in m for m in messages)
    status = client.get("/session/status", HTTP_ACCEPT="application/json")
    assert status.status_code == 401
    assert status.json() == {"signed_in": False}


def test_it_applies_a_shorter_idle_limit_without_a_restart(
    pat_client: Client, clock: MovableClock, settings
) -> None:
    start(pat_client)
    clock.advance(120)
    assert pat_client.get(HOME).status_code == 200

    settings.WELLKEPT_SESSION_IDLE_SECONDS = 120
    clock.advance(120)
    response = pat_client.get(HOME)

    assert response.status_code == 302
    followed = pat_client.get(response["Location"])
    assert "You were signed out after 2 minutes without activity" in followed.text


def test_it_applies_a_shorter_absolute_limit_without_a_restart(
    pat_client: Client, clock: MovableClock, settings
) -> None:
    start(pat_client)
    clock.advance(600)
    assert pat_client.get(HOME).status_code == 200

    settings.WELLKEPT_SESSION_ABSOLUTE_SECONDS = 600
    response = pat_client.get(HOME)

    assert response.status_code == 302
    assert not signed_in(pat_client)


def test_it_does_not_count_a_missing_page_as_activity(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)
    clock.advance(600)

    assert pat_client.get("/no-such-page").status_code == 404
    clock.advance(300)
    assert pat_client.get(HOME).status_code == 302


def test_it_deletes_the_server_side_session_so_an_old_cookie_is_worthless(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)
    stolen = pat_client.cookies["wellkept_session"].value
    # Stored under a hash of the cookie's key (wellkept.accounts.sessions).
    assert Session.objects.filter(session_key=stored_key(stolen)).exists()
    clock.advance(900)

    pat_client.get(HOME)

    assert not Session.objects.filter(session_key=stored_key(stolen)).exists()


def test_it_starts_the_clocks_when_the_first_request_is_a_status_check(
    pat_client: Client, clock: MovableClock
) -> None:
    response = pat_client.get("/session/status", HTTP_ACCEPT="application/json")

    assert response.json()["seconds_left"] == 900
    assert session_limits.is_stamped(pat_client.session)


def test_it_gives_the_script_the_time_left_on_every_page(
    pat_client: Client, clock: MovableClock
) -> None:
    start(pat_client)

    page = pat_client.get(HOME).text

    assert 'data-session-idle="900"' in page
    assert 'data-session-left="900"' in page
    assert 'data-session-renewable="true"' in page
    assert 'data-session-status-url="/session/status"' in page
    assert 'data-session-keepalive-url="/session/keepalive"' in page


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (900, "15 minutes"),
        (60, "1 minute"),
        (3600, "1 hour"),
        (43200, "12 hours"),
        (90, "about 2 minutes"),
        (45, "45 seconds"),
    ],
)
def test_it_describes_durations_in_plain_words(seconds: int, words: str) -> None:
    assert session_limits.describe_duration(seconds) == words
