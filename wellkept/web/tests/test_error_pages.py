"""Error pages are friendly and reveal nothing: no path, exception or request data."""

from __future__ import annotations

import pytest
from django.template import loader
from django.test import Client, override_settings

CANARY = "canary-7f3a"

pytestmark = pytest.mark.usefixtures("_production_like")


@pytest.fixture
def _production_like(settings) -> None:
    settings.DEBUG = False


@pytest.fixture
def failing_client(db: None) -> Client:
    # The default test client re-raises view exceptions; a browser gets the page.
    return Client(raise_request_exception=False)


def assert_reveals_nothing(text: str) -> None:
    assert CANARY not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    assert "PermissionDenied" not in text
    assert "SuspiciousOperation" not in text


def test_it_shows_a_friendly_404_without_the_address(client: Client) -> None:
    response = client.get(f"/{CANARY}/jane-roe?email=jane@example.org")

    assert response.status_code == 404
    assert "We could not find that page" in response.text
    assert_reveals_nothing(response.text)
    assert "jane" not in response.text.lower()


def test_it_shows_the_404_inside_the_layout_for_a_signed_in_person(pat_client: Client) -> None:
    response = pat_client.get(f"/{CANARY}/")

    assert response.status_code == 404
    assert 'aria-label="Main"' in response.text
    assert_reveals_nothing(response.text)


@override_settings(ROOT_URLCONF="wellkept.web.tests.error_urls")
def test_it_shows_a_friendly_500_without_the_exception(failing_client: Client) -> None:
    response = failing_client.get("/explode/?note=" + CANARY)

    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert_reveals_nothing(response.text)
    assert "wellkept.css" in response.text


@override_settings(ROOT_URLCONF="wellkept.web.tests.error_urls")
def test_it_shows_a_friendly_403_without_the_reason(failing_client: Client) -> None:
    response = failing_client.get("/forbidden/")

    assert response.status_code == 403
    assert "This page is not available to you" in response.text
    assert_reveals_nothing(response.text)


@override_settings(ROOT_URLCONF="wellkept.web.tests.error_urls")
def test_it_shows_a_friendly_400_without_the_reason(failing_client: Client) -> None:
    response = failing_client.get("/suspicious/")

    assert response.status_code == 400
    assert "We could not understand that request" in response.text
    assert_reveals_nothing(response.text)


@override_settings(ROOT_URLCONF="wellkept.web.tests.error_urls")
def test_it_sends_the_security_headers_with_error_pages(failing_client: Client) -> None:
    for url in ("/explode/", "/forbidden/", "/suspicious/", "/missing/"):
        response = failing_client.get(url)
        assert "Content-Security-Policy" in response, url
        assert response["X-Frame-Options"] == "DENY", url
        assert response["Cache-Control"] == "no-store", url


def test_it_explains_a_rejected_form_without_the_technical_reason(pat) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(pat)

    response = client.post("/session/keepalive", {"note": CANARY})

    assert response.status_code == 403
    assert "This form has expired" in response.text
    assert "CSRF" not in response.text
    assert_reveals_nothing(response.text)


def test_it_renders_the_500_page_with_no_request_context_or_database() -> None:
    # No `db` fixture: any query here fails the test. When the database is the
    # thing that broke, the 500 page must still render.
    html = loader.get_template("500.html").render()

    assert "Something went wrong on our side" in html
    assert "/static/wellkept/css/wellkept.css" in html


def test_it_renders_the_400_page_with_no_request_context_or_database() -> None:
    html = loader.get_template("400.html").render()

    assert "We could not understand that request" in html
