from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from wellkept.assessments.selectors import programme_offered
from wellkept.orgs.models import Role
from wellkept.orgs.selectors import user_roles
from wellkept.portal.selectors import is_guardian_login, is_portal_login
from wellkept.web import navigation, session_limits


def wellkept(request: HttpRequest) -> dict[str, Any]:
    """Give every page the session limits, the person's roles and the header links."""
    context: dict[str, Any] = {
        "session_idle_seconds": settings.WELLKEPT_SESSION_IDLE_SECONDS,
        "session_warning_seconds": settings.WELLKEPT_SESSION_WARNING_SECONDS,
    }
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context

    def roles() -> list[Role]:
        held = user_roles(user)
        return [role for role in Role if role in held]

    # Lazy: error pages and JSON views never pay for the query.
    wellkept_roles = SimpleLazyObject(roles)
    context["wellkept_roles"] = wellkept_roles

    def links() -> list[navigation.NavLink]:
        if is_portal_login(user):
            return navigation.portal_links(request)
        if is_guardian_login(user):
            return navigation.guardian_links(request)
        held = set(wellkept_roles)
        return navigation.links_for(request, held, programme=programme_offered(user, held))

    context["nav_links"] = SimpleLazyObject(links)
    # Only the privacy pages show it; lazy, so the others never build it.
    context["privacy_nav"] = SimpleLazyObject(lambda: navigation.privacy_links(request))
    session = request.session
    if session_limits.is_stamped(session):
        left = session_limits.remaining(
            session, now=session_limits.now_seconds(), limits=session_limits.Limits.current()
        )
        context["session_seconds_left"] = left.seconds
        context["session_renewable"] = left.renewable
    else:
        # Stamped when this response goes out (see SessionTimeoutMiddleware).
        context["session_seconds_left"] = min(
            settings.WELLKEPT_SESSION_IDLE_SECONDS, settings.WELLKEPT_SESSION_ABSOLUTE_SECONDS
        )
        context["session_renewable"] = True
    return context
