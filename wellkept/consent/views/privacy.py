"""Privacy officer pages (processing record, consent register, notices) and the notice page.

Every privacy page belongs to one organisation: the one the signed-in
person is privacy officer of (``?org=<slug>`` picks another they also hold
the role in). Anyone else, including a privacy officer of a different
organisation, gets the same 404 as for a page that does not exist, and the
refusal is audited. On the allowed path each page makes exactly one audited
decision (``can`` or ``visible``) for what it shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.guards import organisation_resource, privacy_officer_only, reauth_required
from wellkept.access.policy import can, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.actors import AuthenticatedRequest
from wellkept.consent import inventory, notices
from wellkept.consent.forms import NoticePublishForm
from wellkept.consent.models import ConsentRecord, Notice
from wellkept.consent.selectors import current_notice, notice_is_out_of_date
from wellkept.consent.services import notice_publish
from wellkept.orgs.models import Organisation, Role
from wellkept.orgs.selectors import organisations_where

View = TypeVar("View", bound=Callable[..., HttpResponse])

PAGE_SIZE = 50
TOKEN_SHOWN = 8
CONTACT_PLACEHOLDER = "(the privacy contact you give when publishing)"

CONFIG = ResourceKind.CONSENT_CONFIG
RECORDS = ResourceKind.CONSENT_RECORD


# ---- The privacy officer's organisations (the guard is access.guards') ---------------


def _privacy_organisations(user: Any) -> QuerySet[Organisation]:
    """Organisations in which the user is privacy officer."""
    return organisations_where(user, Role.PRIVACY_OFFICER)


def _with_org(name: str, organisation: Organisation) -> str:
    return f"{reverse(name)}?{urlencode({'org': organisation.slug})}"


def _page(
    request: AuthenticatedRequest, organisation: Organisation, **context: Any
) -> dict[str, Any]:
    return {
        "organisation": organisation,
        "organisations": list(_privacy_organisations(request.user)),
        "links": {
            "processing": _with_org("privacy:processing", organisation),
            "processing_json": _with_org("privacy:processing_json", organisation),
            "consents": _with_org("privacy:consents", organisation),
            "notices": _with_org("privacy:notices", organisation),
            "publish": _with_org("privacy:notice_publish", organisation),
        },
        **context,
    }


# ---- Record of processing ------------------------------------------------------------

SECURITY_MEASURES: tuple[str, ...] = (
    "Encryption at rest per person: answers, scores, unfinished check-ins and sign-in "
    "addresses are stored only as AES-256-GCM ciphertext under a data key of the person "
    "they are about; data keys are stored wrapped by a key-encryption key kept outside "
    "the database.",
    "Pseudonyms: programme data is filed under a random code number (token), never a name. "
    "Finding a login's token needs a secret kept outside the database; no standing role "
    "can turn a token back into a name.",
    "Erasure by crypto-shredding: erasing a participant destroys their data key in the "
    "same transaction as deleting their rows, so copies in backups become unreadable.",
    "Access control: deny by default, decided by role, relationship, declared purpose and "
    "the person's consent. Discipline, performance review, credentialing and employment "
    "decisions are refused as purposes. Staff must use two-factor authentication and "
    "prove it again before sensitive actions; idle sessions end.",
    "Audit trail: every access attempt, allowed or refused, is recorded in the same "
    "transaction in an append-only, hash-chained trail with a keyed MAC. Entries hold "
    "references, never content.",
    "Disclosure control: leaders and the wellbeing officer see answers only as totals of "
    "groups of at least 5 people; smaller groups are hidden.",
)

DATA_SUBJECTS = (
    "Clinicians of the organisation who join the wellbeing programme (participants), "
    "known to the programme by code number only.",
    "Clinicians invited to the programme who hold an account but have not joined: only "
    "their sign-in details are kept, and nothing says whether they declined.",
)

PROHIBITED_USES = (
    "Never used for discipline, performance reviews, credentialing or employment "
    "decisions: the software refuses those purposes."
)


def _unique(values: list[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value not in seen:
            seen.append(value)
    return seen


def processing_record(organisation: Organisation) -> dict[str, Any]:
    """Return the record of processing (GDPR art. 30) generated from the data inventory."""
    notice = current_notice(organisation)
    contact = str(notice.content.get("privacy_contact", "")) if notice is not None else ""
    items = []
    for item in inventory.INVENTORY:
        entry = inventory.item_as_dict(item)
        entry["stored_in"] = list(item.fields)
        items.append(entry)
    return {
        "title": "Record of processing activities (GDPR art. 30)",
        "activity": "Wellbeing programme: clinicians' self-assessments of wellbeing",
        "generated_at": clock.now().astimezone(dt.UTC).isoformat(),
        "inventory_digest": inventory.digest(),
        "controller": {"name": organisation.name, "privacy_contact": contact or None},
        "purposes": [*_unique([item.purpose for item in inventory.INVENTORY]), PROHIBITED_USES],
        "data_subjects": list(DATA_SUBJECTS),
        "data_categories": _unique([item.category for item in inventory.INVENTORY]),
        "recipients": _unique(
            [str(v.label) for item in inventory.INVENTORY for v in item.visibility]
        ),
        "transfers": "None: the organisation runs Wellkept itself and no data leaves it.",
        "security_measures": list(SECURITY_MEASURES),
        "items": items,
    }


@policy(action=Action.READ, resource=CONFIG, purpose=Purpose.AUDIT_OVERSIGHT)
@privacy_officer_only(what="processing")
@never_cache
@require_GET
def processing(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show the record of processing for the organisation."""
    resource = organisation_resource(CONFIG, organisation, "processing")
    if not can(request.user, Action.READ, resource, Purpose.AUDIT_OVERSIGHT, request=request):
        raise Http404
    return render(
        request,
        "consent/privacy/processing.html",
        _page(request, organisation, record=processing_record(organisation)),
    )


@policy(action=Action.READ, resource=CONFIG, purpose=Purpose.AUDIT_OVERSIGHT)
@privacy_officer_only(what="processing")
@never_cache
@require_GET
def processing_json(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Download the record of processing as JSON."""
    resource = organisation_resource(CONFIG, organisation, "processing-json")
    if not can(request.user, Action.READ, resource, Purpose.AUDIT_OVERSIGHT, request=request):
        raise Http404
    response = JsonResponse(processing_record(organisation), json_dumps_params={"indent": 2})
    response["Content-Disposition"] = f'attachment; filename="processing-{organisation.slug}.json"'
    return response


# ---- Consent register ----------------------------------------------------------------


def _standing(rows: QuerySet[ConsentRecord]) -> QuerySet[ConsentRecord]:
    """Each participant's latest decision: where they stand now."""
    latest = (
        ConsentRecord.objects.filter(participant=OuterRef("participant"))
        .order_by("-sequence")
        .values("pk")[:1]
    )
    return rows.filter(pk=Subquery(latest))


def _counts(rows: QuerySet[ConsentRecord]) -> list[dict[str, Any]]:
    taking_part = Q(take_part=True)
    return list(
        _standing(rows)
        .values("notice__version")
        .annotate(
            taking_part=Count("pk", filter=taking_part),
            follow_up=Count("pk", filter=taking_part & Q(follow_up_contact=True)),
            safety=Count("pk", filter=taking_part & Q(safety_alert=True)),
            withdrawn=Count("pk", filter=Q(take_part=False)),
        )
        .order_by("-notice__version")
    )


@policy(action=Action.READ, resource=RECORDS, purpose=Purpose.AUDIT_OVERSIGHT)
@privacy_officer_only(what="consents")
@never_cache
@require_GET
def consents(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Show the organisation's consent register: counts by notice version, then every decision."""
    rows = visible(
        request.user,
        Action.READ,
        ConsentRecord.objects.filter(participant__organisation=organisation),
        Purpose.AUDIT_OVERSIGHT,
        request=request,
    )
    counts = _counts(rows)
    totals = {
        key: sum(c[key] for c in counts)
        for key in ("taking_part", "follow_up", "safety", "withdrawn")
    }
    events = Paginator(
        # Sequence numbers count per participant: the day orders across people.
        rows.select_related("participant", "notice").order_by("-recorded_at", "-sequence"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    current = current_notice(organisation)
    return render(
        request,
        "consent/privacy/consents.html",
        _page(
            request,
            organisation,
            counts=counts,
            totals=totals,
            events=events,
            current_version=current.version if current is not None else None,
            token_shown=TOKEN_SHOWN,
        ),
    )


# ---- Notices -------------------------------------------------------------------------


def _changes(current: dict[str, Any] | None, preview: dict[str, Any]) -> list[str]:
    """Describe in words what the next version would say differently from the current one."""
    if current is None:
        return ["This would be the first notice: nobody can join before it is published."]
    changes = []
    before = {i.get("key"): i for i in current.get("data", [])}
    after = {i.get("key"): i for i in preview.get("data", [])}
    for key, item in after.items():
        if key not in before:
            changes.append(f"New: {item.get('name')}.")
        elif before[key] != item:
            changes.append(f"Changed: {item.get('name')}.")
    changes.extend(
        f"No longer kept: {item.get('name')}." for key, item in before.items() if key not in after
    )
    for part, label in (
        ("promises", "The promises"),
        ("choices", "The choices"),
        ("withdrawal", "How to withdraw"),
        ("controller", "The organisation's name"),
    ):
        if current.get(part) != preview.get(part):
            changes.append(f"{label} changed.")
    return changes


def _notices_context(organisation: Organisation) -> dict[str, Any]:
    published = list(Notice.objects.filter(organisation=organisation).order_by("-version"))
    current = published[0] if published else None
    contact = str(current.content.get("privacy_contact", "")) if current is not None else ""
    preview = notices.build_content(
        organisation=organisation, privacy_contact=contact or CONTACT_PLACEHOLDER
    )
    return {
        "published": published,
        "current": current,
        "out_of_date": current is not None and notice_is_out_of_date(current),
        "next_version": (current.version + 1) if current is not None else 1,
        "preview": preview,
        "changes": _changes(current.content if current is not None else None, preview),
        "contact": contact,
    }


@policy(action=Action.READ, resource=CONFIG, purpose=Purpose.AUDIT_OVERSIGHT)
@privacy_officer_only(what="notices")
@never_cache
@require_GET
def notice_list(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """List the published notices, say whether the current one is out of date, preview the next."""
    resource = organisation_resource(CONFIG, organisation, "notices")
    if not can(request.user, Action.READ, resource, Purpose.AUDIT_OVERSIGHT, request=request):
        raise Http404
    return render(
        request,
        "consent/privacy/notices.html",
        _page(request, organisation, **_notices_context(organisation)),
    )


@policy(
    action=Action.CREATE,
    resource=CONFIG,
    purpose=Purpose.LEGAL_OBLIGATION,
    also=(Action.READ,),  # the confirmation page shows the current notice
)
@privacy_officer_only(what="notices")
@reauth_required
@never_cache
@require_http_methods(["GET", "POST"])
def notice_publish_view(request: AuthenticatedRequest, organisation: Organisation) -> HttpResponse:
    """Confirm and publish the next notice version; everyone is asked again before checking in."""
    context = _notices_context(organisation)
    form = NoticePublishForm(
        request.POST or None,
        next_version=context["next_version"],
        initial={"privacy_contact": context["contact"], "version": context["next_version"]},
    )
    if request.method == "POST" and form.is_valid():
        try:
            notice = notice_publish(
                actor=request.user,
                organisation=organisation,
                privacy_contact=form.cleaned_data["privacy_contact"],
                request=request,
            )
        except PermissionDenied:
            raise Http404 from None
        except ValidationError as exc:
            form.add_error("privacy_contact", exc)
        else:
            messages.success(
                request,
                f"Notice version {notice.version} is published. Participants are asked to "
                "read it and confirm their choices before their next check-in.",
            )
            return HttpResponseRedirect(_with_org("privacy:notices", organisation))
    # Showing the form reads the current notice: recorded like the list page.
    resource = organisation_resource(CONFIG, organisation, "notices")
    if not can(request.user, Action.READ, resource, Purpose.LEGAL_OBLIGATION, request=request):
        raise Http404
    return render(
        request,
        "consent/privacy/publish.html",
        _page(request, organisation, form=form, **context),
        status=400 if form.is_bound else 200,
    )
