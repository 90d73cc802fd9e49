"""A JSON endpoint for re-identification requests, for scripts and other front ends.

It calls the same service as the form, so the same rules hold: a purpose
outside the catalogue is a 400, a prohibited purpose is refused as such
(403, recorded as ``access.purpose_refused`` and listed in the privacy
officer's report), a closed case is a 409, and a case the caller may not
see is a 404 like a case that does not exist. Signed-in session only (CSRF
applies).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import signed_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.followup import reidentification
from wellkept.followup.views.team import case_for

MAX_BODY = 8_000


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"status": status, "detail": detail}, status=status)


@policy(
    action=Action.CREATE, resource=ResourceKind.IDENTITY_GRANT, purpose=Purpose.BURNOUT_FOLLOW_UP
)
@never_cache
@require_POST
@signed_in
def identity_request(request: AuthenticatedRequest, pk: Any) -> JsonResponse:
    """Create a re-identification request for one case: {"purpose": ..., "reason": ...}."""
    # The case first: a caller who may not see it learns nothing, not even
    # whether their body would have been valid.
    try:
        case = case_for(request, pk)
    except Http404:
        return _problem(404, "No such record.")
    if len(request.body) > MAX_BODY:
        return _problem(400, "The request body is too large.")
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return _problem(400, "The body must be a JSON object with purpose and reason.")
    if not isinstance(data, dict):
        return _problem(400, "The body must be a JSON object with purpose and reason.")
    purpose, reason = data.get("purpose"), data.get("reason")
    if not isinstance(purpose, str) or not isinstance(reason, str):
        return _problem(400, "Give purpose and reason, both as text.")
    try:
        grant = reidentification.reidentification_request(
            actor=request.user, case=case, purpose=purpose, reason=reason, request=request
        )
    except PermissionDenied as exc:
        return _problem(403, str(exc))
    except reidentification.CaseClosed as exc:
        # The page offers no request on a closed case; said as a conflict
        # with the case's state, not as a malformed body.
        return _problem(409, " ".join(exc.messages))
    except ValidationError as exc:
        return _problem(400, " ".join(exc.messages))
    return JsonResponse(
        {"id": str(grant.pk), "status": grant.status, "purpose": grant.purpose}, status=201
    )
