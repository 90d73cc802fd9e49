"""The client's own record in the portal: what the download holds, the downloads, disclosures.

The record page and the accounting of disclosures are reads of the
client's own portal; each download is an export of it, decided and audited
(``record.export``) by the policy before a byte is built. Psychotherapy
notes are in neither download (``portal.record``).
"""

from __future__ import annotations

import datetime as dt
import json

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import signed_in
from wellkept.actors import AuthenticatedRequest
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.portal import record, selectors
from wellkept.portal.models import PortalMembership
from wellkept.portal.views.client import OWN

RECORD_PAGE = "record"
DISCLOSURES_PAGE = "disclosures"
# The sections release of information adds (disclosures.selectors), by key:
# the portal sits beside that app and names them without importing it.
ACCOUNTING = "disclosures"
AUTHORISATIONS = "authorisations"
# Downloads per client per hour: enough for a person, too few for a script
# draining a stolen session of the whole record again and again.
DOWNLOADS_PER_HOUR = 10


def _too_many(membership: PortalMembership) -> bool:
    since = clock.now() - dt.timedelta(hours=1)
    recent = AuditEntry.objects.filter(
        event=EventType.RECORD_EXPORT,
        target=f"client:{membership.client_id}/portal/{RECORD_PAGE}",
        created_at__gte=since,
    ).count()
    # This download's own decision is already among them.
    return recent > DOWNLOADS_PER_HOUR


def _attachment(request: AuthenticatedRequest, body: bytes, kind: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def record_page(request: AuthenticatedRequest) -> HttpResponse:
    """What the client's record download holds and what it leaves out, and the two downloads."""
    selectors.own_page(actor=request.user, page=RECORD_PAGE, request=request)
    return render(request, "portal/client/record.html", {"per_hour": DOWNLOADS_PER_HOUR})


def _export(request: AuthenticatedRequest) -> PortalMembership | HttpResponse:
    membership = selectors.own_page(
        actor=request.user, page=RECORD_PAGE, request=request, action=Action.EXPORT
    )
    if _too_many(membership):
        return render(
            request,
            "portal/client/record.html",
            {"per_hour": DOWNLOADS_PER_HOUR, "too_many": True},
            status=429,
        )
    return membership


@policy(action=Action.EXPORT, **OWN)
@signed_in
@never_cache
@require_GET
def record_json(request: AuthenticatedRequest) -> HttpResponse:
    """Download the client's record as JSON (an audited export)."""
    found = _export(request)
    if isinstance(found, HttpResponse):
        return found
    document = record.record_as_json(found.client, own_user_id=request.user.pk)
    body = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
    return _attachment(request, body, "application/json", f"record-{found.client.code}.json")


@policy(action=Action.EXPORT, **OWN)
@signed_in
@never_cache
@require_GET
def record_fhir(request: AuthenticatedRequest) -> HttpResponse:
    """Download the client's clinical record as a FHIR R5 document Bundle (an audited export)."""
    found = _export(request)
    if isinstance(found, HttpResponse):
        return found
    body = json.dumps(record.record_as_fhir(found.client), indent=2).encode("utf-8")
    return _attachment(
        request, body, "application/fhir+json", f"record-{found.client.code}-fhir-r5.json"
    )


@policy(action=Action.READ, **OWN)
@signed_in
@never_cache
@require_GET
def disclosures(request: AuthenticatedRequest) -> HttpResponse:
    """The client's accounting of disclosures and the authorisations they signed; no content."""
    membership = selectors.own_page(actor=request.user, page=DISCLOSURES_PAGE, request=request)
    sections = record.sections_for(membership.client, (ACCOUNTING, AUTHORISATIONS))
    return render(request, "portal/client/disclosures.html", {"sections": sections})
