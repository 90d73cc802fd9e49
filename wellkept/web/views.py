from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from wellkept.access.decorators import public, self_service
from wellkept.accounts.selectors import user_has_mfa
from wellkept.orgs.models import Role
from wellkept.orgs.selectors import user_roles
from wellkept.portal.selectors import is_guardian_login, is_portal_login
from wellkept.web import session_limits
from wellkept.web.decorators import session_passive
from wellkept.web.guides import GUIDES


@self_service
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Tell the signed-in person what they can do here today."""
    if is_portal_login(request.user):
        # A client of the practice: their portal is their home.
        return redirect("portal:home")
    if is_guardian_login(request.user):
        # A minor's guardian: their guardian's portal is their home.
        return redirect("portal:guardian_home")
    held = user_roles(request.user)
    roles = [(role, GUIDES[role]) for role in Role if role in held]
    context = {
        "role_guides": roles,
        "has_mfa": user_has_mfa(request.user),
        # Every role held is still to come: there is nothing to point at.
        "nothing_yet": bool(roles) and all(guide.not_yet for _role, guide in roles),
    }
    return render(request, "web/home.html", context)


def _session_json(request: HttpRequest) -> JsonResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    now = session_limits.now_seconds()
    if not session_limits.is_stamped(request.session):
        # First request of a fresh session: the clocks start now.
        session_limits.stamp_start(request.session, now=now)
    left = session_limits.remaining(
        request.session, now=now, limits=session_limits.Limits.current()
    )
    return JsonResponse(
        {
            "signed_in": True,
            "seconds_left": left.seconds,
            "idle_seconds_left": left.idle_seconds,
            "absolute_seconds_left": left.absolute_seconds,
            "renewable": left.renewable,
        }
    )


# Both answer anonymous callers with 401 JSON instead of the sign-in redirect,
# so the page script can tell "signed out" from a network error.
@public
@login_not_required
@session_passive
@require_GET
def session_status(request: HttpRequest) -> JsonResponse:
    """Report the seconds left before sign-out without counting as activity."""
    return _session_json(request)


@public
@login_not_required
@session_passive
@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """Restart the idle clock and report the time left."""
    # Recorded here rather than by the middleware, so that only an accepted
    # POST (right method, valid CSRF token) keeps a session alive.
    if request.user.is_authenticated and session_limits.is_stamped(request.session):
        session_limits.record_activity(request.session, now=session_limits.now_seconds())
    return _session_json(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Explain a rejected form without repeating Django's technical reason."""
    return render(request, "403_csrf.html", status=403)
