"""Every page Wellkept renders carries the strict security headers."""

from __future__ import annotations

import importlib.util

import pytest
from django.test import Client
from django.urls import reverse

PUBLIC = reverse("account_login")
PRIVATE = reverse("web:home")


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.fixture(params=["public", "authenticated"])
def page(request: pytest.FixtureRequest, client: Client, pat) -> object:
    if request.param == "authenticated":
        client.force_login(pat)
        response = client.get(PRIVATE)
    else:
        response = client.get(PUBLIC)
    assert response.status_code == 200
    return response


def test_it_sends_a_strict_content_security_policy(page) -> None:
    directives = csp_directives(page["Content-Security-Policy"])

    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert "'unsafe-inline'" not in page["Content-Security-Policy"]
    assert "'unsafe-eval'" not in page["Content-Security-Policy"]


def test_it_forbids_framing(page) -> None:
    assert page["X-Frame-Options"] == "DENY"


def test_it_limits_the_referrer(page) -> None:
    assert page["Referrer-Policy"] == "same-origin"


def test_it_switches_off_device_features(page) -> None:
    policy = page["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


def test_it_isolates_the_browsing_context(page) -> None:
    assert page["Cross-Origin-Opener-Policy"] == "same-origin"
    assert page["Cross-Origin-Resource-Policy"] == "same-origin"


def test_it_forbids_content_sniffing(page) -> None:
    assert page["X-Content-Type-Options"] == "nosniff"


def test_it_keeps_pages_out_of_every_cache(page) -> None:
    # Also the public sign-in page: it echoes back a typed e-mail address.
    assert page["Cache-Control"] == "no-store"


def test_it_sends_no_hsts_over_plain_http_in_development(client: Client) -> None:
    assert "Strict-Transport-Security" not in client.get(PUBLIC)


def test_it_sends_hsts_over_https_with_production_values(client: Client, settings) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_SSL_REDIRECT = False  # the test client speaks HTTPS already

    response = client.get(PUBLIC, secure=True)

    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]


def test_it_defaults_production_to_a_year_of_hsts_and_https_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Execute a private copy of the settings module as production would.
    monkeypatch.setenv("WELLKEPT_ENV", "production")
    for name in (
        "WELLKEPT_HSTS_SECONDS",
        "WELLKEPT_SECURE_SSL_REDIRECT",
        "WELLKEPT_SECURE_COOKIES",
    ):
        monkeypatch.delenv(name, raising=False)
    spec = importlib.util.find_spec("wellkept.settings")
    assert spec is not None
    assert spec.loader is not None
    production = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(production)

    assert production.SECURE_HSTS_SECONDS >= 365 * 24 * 3600
    assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert production.SECURE_SSL_REDIRECT is True
    assert production.SESSION_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_NAME.startswith("__Host-")


def test_it_sends_the_headers_on_json_endpoints_too(pat_client: Client) -> None:
    response = pat_client.get(reverse("web:session_status"), HTTP_ACCEPT="application/json")

    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response
