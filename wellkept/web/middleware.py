"""Cross-cutting HTTP behaviour: security headers and session time limits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.web import session_limits

Handler = Callable[[HttpRequest], HttpResponseBase]


def security_headers(get_response: Handler) -> Handler:
    """Add the headers Django does not set itself."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        response = get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.WELLKEPT_PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Every dynamic page may carry a personal value: a signed-in person's
        # data, or the e-mail address echoed back into a failed sign-in form.
        # Keep all of them out of shared caches and the back-forward cache, so
        # the next person at a shared computer cannot press Back to see them.
        # Static files are served (and cached) by WhiteNoise before this runs.
        response.headers["Cache-Control"] = "no-store"
        return response

    return middleware


class SessionTimeoutMiddleware:
    """Sign out sessions that were idle too long or have lasted too long.

    Must come after AuthenticationMiddleware and MessageMiddleware: it reads
    ``request.user`` and leaves a message for the sign-in page.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.user.is_authenticated and session_limits.is_stamped(request.session):
            limits = session_limits.Limits.current()
            reason = session_limits.expiry(
                request.session, now=session_limits.now_seconds(), limits=limits
            )
            if reason is not None:
                return self._sign_out(request, reason, limits)
        response = self.get_response(request)
        if request.user.is_authenticated and not session_limits.is_stamped(request.session):
            # The request that signed the person in (or the first one after a
            # session was created some other way) starts both clocks.
            session_limits.stamp_start(request.session, now=session_limits.now_seconds())
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        # Counted before the view runs, so the page it renders reports the
        # restarted idle clock to the session script. Only requests that reach
        # a view count: a mistyped address (404 before any view) says nothing
        # about a person at the keyboard, and a passive view (a status poll)
        # would otherwise keep an abandoned session alive for ever.
        if (
            request.user.is_authenticated
            and session_limits.is_stamped(request.session)
            and not getattr(view_func, "session_passive", False)
        ):
            session_limits.record_activity(request.session, now=session_limits.now_seconds())

    def _sign_out(
        self, request: HttpRequest, reason: session_limits.Expiry, limits: session_limits.Limits
    ) -> HttpResponse:
        audit_record(
            actor=request.user,
            event=EventType.SESSION_TIMEOUT,
            target=f"user:{request.user.pk}",
            reason=f"{reason.name.lower()} limit",
            request=request,
        )
        # logout() flushes the session row and rotates the key, so a copied
        # cookie from the abandoned session is worthless afterwards.
        logout(request)
        messages.info(request, session_limits.signed_out_message(reason, limits=limits))
        if not request.accepts("text/html"):
            # The page's session script asked for JSON: tell it plainly, and
            # let it navigate; the message waits for the sign-in page.
            return JsonResponse({"signed_in": False}, status=401)
        return redirect_to_login(request.get_full_path())
