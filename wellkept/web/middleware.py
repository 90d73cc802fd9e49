"""Cross-cutting HTTP behaviour: security headers and session time limits."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Handler = Callable[[HttpRequest], HttpResponse]


def security_headers(get_response: Handler) -> Handler:
    """Add the headers Django does not set itself."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.WELLKEPT_PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        if request.user.is_authenticated if hasattr(request, "user") else False:
            # Pages for a signed-in person may show personal values: keep them
            # out of shared caches and the back-forward cache.
            response.headers["Cache-Control"] = "no-store"
        return response

    return middleware


def session_timeouts(get_response: Handler) -> Handler:
    """Placeholder replaced by the idle/absolute timeout middleware."""

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    return middleware
