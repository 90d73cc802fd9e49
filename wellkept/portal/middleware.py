"""Keep a portal login inside /portal/: every other audience answers it "not found".

The guards of the staff audiences already refuse a login without a staff
role; the participant's pages (/me/) would treat it as someone who might
join the wellbeing programme. A client of the practice is not a clinician
of the hospital, so their login is confined here, once, whatever any page
below would say, and each refusal is audited as any other.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse

from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.portal.models import PortalGuardianMembership, PortalMembership

Handler = Callable[[HttpRequest], HttpResponse]

# The audiences of other people than the client (docs/architecture.md).
CLOSED_TO_CLIENTS = ("/me/", "/team/", "/privacy/", "/manage/", "/practice/", "/api/")


def portal_confinement(get_response: Handler) -> Handler:
    """Answer 404 to a portal login asking for a page of another audience."""

    def middleware(request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and request.path.startswith(CLOSED_TO_CLIENTS)
            and (
                PortalMembership.objects.filter(user_id=user.pk).exists()
                # A guardian's login is confined the same way.
                or PortalGuardianMembership.objects.filter(user_id=user.pk).exists()
            )
        ):
            audit_record(
                actor=user,
                event=EventType.ACCESS_DENIED,
                target=f"page:{request.path[:150]}",
                outcome=Outcome.DENIED,
                reason="a portal login outside the portal",
                request=request,
            )
            raise Http404
        return get_response(request)

    return middleware
