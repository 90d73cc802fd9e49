"""Every page sits under its audience's prefix; only the home page and accounts stay outside."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, include, path

from wellkept import urls
from wellkept.web import moved

PREFIXES = ("me/", "team/", "privacy/", "manage/", "practice/", "api/v1/", "portal/")
# The home page and its session pings; accounts and allauth (DESIGN.md).
OUTSIDE = ("", "session/status", "session/keepalive")


def routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, route)
        else:
            yield route, entry


def outside_audiences(patterns: list[Any]) -> list[str]:
    """Routes of pages under no audience: not a redirect, not home, not accounts."""
    return [
        route
        for route, entry in routes(patterns)
        if entry.callback is not moved.moved
        and route not in OUTSIDE
        and not route.startswith(("accounts/", *PREFIXES))
    ]


def test_it_puts_every_page_under_an_audience():
    assert outside_audiences(get_resolver().url_patterns) == []


def test_it_finds_a_page_mounted_outside_the_audiences():
    stray = [path("reports/", include([path("x/", lambda r: HttpResponse())]))]
    assert outside_audiences([*get_resolver().url_patterns, *stray]) == ["reports/x/"]


def test_it_names_each_audience_once():
    assert tuple(urls.AUDIENCES) == PREFIXES


def test_it_only_redirects_addresses_that_moved():
    # An old address that is still a page's address would redirect to itself.
    new = {route for route, entry in routes(get_resolver().url_patterns) if entry.name}
    assert {old for old, _ in moved.MOVED}.isdisjoint(new)
