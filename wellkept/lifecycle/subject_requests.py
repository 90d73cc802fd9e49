"""Data-subject requests received outside the app, approved by a second privacy officer.

A person writes to the privacy office ("send me everything you hold", "erase
me"). One privacy officer records the request with the address the person
wrote from (``subject_request_record``); the address is resolved at once,
through the keyed login link, to this organisation's participant or to
nobody, and only that foreign key is kept. Another privacy officer approves
or refuses (``subject_request_decide``): never the one who recorded it (the
policy, this module and a database constraint each refuse), and approving
needs a fresh second factor. Until then nobody learns whether the address
reaches anyone: a pending request looks the same either way.

``get_subject_request_for`` is the accessor for answering: the requester's
own approved, unexpired request, or 404 for one that is missing, malformed,
pending, refused, expired, another officer's, of another organisation, of
another kind (an access request never erases), or for someone without the
privacy role, all alike. Every step is audited by
reference (``subject_request:<uuid>``), never the address: a refusal as
``access.denied``, an answer page as ``record.read``, an export as
``record.export`` and an erasure as ``record.delete`` (then
``subject.erased``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.http import Http404, HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.guards import fresh
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.access.twoperson import (
    Approving,
    request_approve,
    request_authorise,
    request_open,
    request_refuse,
)
from wellkept.access.twoperson import (
    # Re-exported: the decision page catches subject_requests.ReauthenticationNeeded.
    ReauthenticationNeeded as ReauthenticationNeeded,
)
from wellkept.accounts.models import User, email_index_for
from wellkept.actors import Actor
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.lifecycle.models import (
    SUBJECT_REQUEST_HOURS,
    SubjectRequest,
    SubjectRequestKind,
    SubjectRequestStatus,
)
from wellkept.orgs.models import Organisation, Participant
from wellkept.orgs.pseudonyms import login_link_for
from wellkept.reasons import reason_text

PURPOSE = Purpose.LEGAL_OBLIGATION
REASON_MIN = 10
REASON_MAX = 1000
EMAIL_MAX = 254
# Which answers each kind of request allows.
EXPORT_KINDS = (SubjectRequestKind.ACCESS.value, SubjectRequestKind.PORTABILITY.value)
ERASE_KINDS = (SubjectRequestKind.ERASURE.value,)


def parse_reference(value: Any) -> uuid.UUID | None:
    """Return the reference written as a UUID, or None for anything else."""
    try:
        return uuid.UUID(str(value).strip())
    except (ValueError, AttributeError):
        return None


def clean_reason(value: str) -> str:
    """Return the reason on one line, or raise with what to write."""
    return reason_text(
        value,
        minimum=REASON_MIN,
        maximum=REASON_MAX,
        what="the reason",
        too_short=(
            f"Write the reason in a sentence or two (at least {REASON_MIN} characters): "
            "what the person asked for and how their letter reached you."
        ),
    )


def clean_email(value: str) -> str:
    """Return the address trimmed, or raise with what a valid one looks like."""
    text = (value or "").strip()
    message = "Give the e-mail address as written in the person's letter, e.g. name@example.org."
    if not text or len(text) > EMAIL_MAX:
        raise ValidationError(message, code="email")
    try:
        validate_email(text)
    except ValidationError:
        raise ValidationError(message, code="email") from None
    return text


def organisation_resource(organisation: Organisation, what: str) -> Resource:
    """Describe the organisation's data-subject requests as a whole (list, recording)."""
    return Resource(
        kind=ResourceKind.SUBJECT_REQUEST,
        reference=f"subject_request:{what}:{organisation.pk}",
        organisation_id=organisation.pk,
    )


def decision_resource(subject_request: SubjectRequest) -> Resource:
    """Describe approving or refusing one request; its requester stands to it as owner.

    Owner is not a relationship the privacy role is granted on requests, so
    the policy itself refuses (and records) an officer deciding their own.
    """
    return Resource(
        kind=ResourceKind.SUBJECT_REQUEST,
        reference=f"{subject_request.reference}/decision",
        organisation_id=subject_request.organisation_id,
        owner_user_id=subject_request.requested_by_id,
    )


def answer_resource(subject_request: SubjectRequest, what: str) -> Resource:
    """Describe one answering action; filed under the participant's token when there is one."""
    participant = subject_request.participant
    if participant is None:
        return Resource(
            kind=ResourceKind.SUBJECT_REQUEST,
            reference=f"{subject_request.reference}/{what}",
            organisation_id=subject_request.organisation_id,
        )
    return Resource(
        kind=ResourceKind.SUBJECT_REQUEST,
        reference=f"participant:{participant.token}/subject-request:{subject_request.pk}/{what}",
        organisation_id=participant.organisation_id,
        participant_id=participant.pk,
    )


def _denied(
    *,
    actor: Actor,
    target: str,
    reason: str,
    request: HttpRequest | None,
    purpose: Purpose = PURPOSE,
) -> None:
    audit_record(
        actor=actor,
        event=EventType.ACCESS_DENIED,
        target=target,
        outcome=Outcome.DENIED,
        reason=reason,
        purpose=purpose.value,
        request=request,
    )


# Stands in for the login when the address has none, so that the same keyed
# link is computed and the same query runs: no login row has this id.
_NO_LOGIN = uuid.uuid4()


def _participant_behind(address: str, organisation: Organisation) -> Any:
    """Return the id of the organisation's participant behind ``address``, or None.

    The same work either way (one index lookup, one keyed link, one
    participant lookup), so that the time the answer takes does not tell
    whoever records the request whether the address has an account: the
    request looks the same until a second officer approves it.
    """
    login_pk = (
        User.objects.filter(email_index=email_index_for(address))
        .values_list("pk", flat=True)
        .first()
    )
    link = login_link_for(
        user_pk=login_pk if login_pk is not None else _NO_LOGIN, organisation_pk=organisation.pk
    )
    found = (
        Participant.objects.filter(organisation=organisation, login_link=link)
        .values_list("pk", flat=True)
        .first()
    )
    return found if login_pk is not None else None


def subject_request_record(
    *,
    actor: Actor,
    organisation: Organisation,
    email: str,
    kind: SubjectRequestKind | str,
    reason: str,
    request: HttpRequest | None = None,
) -> SubjectRequest:
    """Record a request received outside the app; a second privacy officer decides."""
    address = clean_email(email)
    if kind not in SubjectRequestKind.values:
        raise ValidationError(
            "Choose the kind of request: access, portability or erasure.", code="kind"
        )
    text = clean_reason(reason)
    if not can(
        actor, Action.CREATE, organisation_resource(organisation, "new"), PURPOSE, request=request
    ):
        raise PermissionDenied("Only this organisation's privacy officer records a request.")
    # Resolved now and kept as a foreign key only: the address itself is
    # never stored, and a later change of address cannot redirect the request.
    participant_id = _participant_behind(address, organisation)
    subject_request = SubjectRequest(
        organisation=organisation,
        kind=SubjectRequestKind(kind).value,
        participant_id=participant_id,
    )
    subject_request.reason = text
    # The same entry whether the address reached anyone: the trail is read
    # by more people than the two officers.
    return request_open(
        actor=actor,
        row=subject_request,
        event=EventType.SUBJECT_REQUEST_RECORDED,
        target=subject_request.reference,
        purpose=PURPOSE,
        reason=subject_request.kind,
        request=request,
    )


def subject_request_decide(
    *,
    actor: Actor,
    subject_request: SubjectRequest,
    approve: bool,
    request: HttpRequest | None = None,
) -> SubjectRequest:
    """Approve (for 24 hours) or refuse another privacy officer's request."""
    # The policy refuses the officer who recorded it (owner is not the
    # privacy role's), the two-person step again, audited, and the database
    # a third time.
    decider = request_authorise(
        actor=actor,
        row=subject_request,
        approving=Approving(
            resource=decision_resource(subject_request),
            purpose=PURPOSE,
            refused=(
                "Only a privacy officer of this organisation, other than the one who recorded "
                "the request, can decide it."
            ),
            own_refused="Nobody can decide a request they recorded themselves.",
            fresh_reason="approving a data-subject request needs a second-factor check just now",
            audit_self=True,
        ),
        approve=approve,
        fresh=request is not None and fresh(request),
        request=request,
    )

    def recorded(locked: SubjectRequest) -> None:
        audit_record(
            actor=decider,
            event=(
                EventType.SUBJECT_REQUEST_APPROVED if approve else EventType.SUBJECT_REQUEST_REFUSED
            ),
            target=locked.reference,
            purpose=PURPOSE.value,
            reason=f"for {SUBJECT_REQUEST_HOURS} h" if approve else "",
            request=request,
        )

    closed = "This request was decided already; see the list of requests."
    if approve:
        return request_approve(
            actor=decider,
            row=subject_request,
            queryset=SubjectRequest.objects.all(),
            lasts=dt.timedelta(hours=SUBJECT_REQUEST_HOURS),
            closed=closed,
            audit=recorded,
        )
    return request_refuse(
        actor=decider,
        row=subject_request,
        queryset=SubjectRequest.objects.all(),
        closed=closed,
        audit=recorded,
    )


def pending_for(*, actor: Actor, organisation: Organisation) -> list[SubjectRequest]:
    """Return the organisation's requests waiting for a decision that ``actor`` did not record."""
    return list(
        SubjectRequest.objects.filter(
            organisation=organisation, status=SubjectRequestStatus.PENDING
        )
        .exclude(requested_by_id=actor.pk)
        .select_related("requested_by")
        .order_by("requested_at")
    )


def recorded_by(*, actor: Actor, organisation: Organisation) -> list[SubjectRequest]:
    """Return the requests ``actor`` recorded in the organisation, newest first."""
    return list(
        SubjectRequest.objects.filter(organisation=organisation, requested_by_id=actor.pk)
        .select_related("decided_by")
        .order_by("-requested_at")
    )


def get_pending_request_for(
    *, actor: Actor, organisation: Organisation, id: Any, request: HttpRequest | None = None
) -> SubjectRequest:
    """Return a pending request of the organisation to decide; else 404, audited."""
    parsed = parse_reference(id)
    found = (
        SubjectRequest.objects.filter(
            pk=parsed, organisation=organisation, status=SubjectRequestStatus.PENDING
        ).first()
        if parsed is not None
        else None
    )
    if found is None:
        _denied(
            actor=actor,
            target=f"subject_request:{parsed if parsed is not None else 'malformed'}/decision",
            reason="no pending data-subject request with this reference here",
            request=request,
        )
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def get_subject_request_for(
    *,
    actor: Actor,
    id: Any,
    action: Action,
    what: str,
    organisation: Organisation | None = None,
    kinds: tuple[str, ...] = tuple(SubjectRequestKind.values),
    request: HttpRequest | None = None,
) -> SubjectRequest:
    """Return the actor's own approved, unexpired request to answer; else 404, audited.

    ``kinds`` keeps each answer to what was asked and approved: an access
    request never erases, an erasure request never exports.
    """
    parsed = parse_reference(id)
    found = None
    if parsed is not None:
        query = SubjectRequest.objects.select_related(
            "participant", "organisation", "receipt"
        ).filter(
            pk=parsed,
            requested_by_id=getattr(actor, "pk", None),
            status=SubjectRequestStatus.APPROVED,
            expires_at__gt=clock.now(),
            kind__in=kinds,
        )
        if organisation is not None:
            query = query.filter(organisation=organisation)
        found = query.first()
    if found is None:
        # The reference tried is recorded, so that probing shows in the
        # trail; only a well-formed one, though: whatever else was typed (an
        # address pasted by mistake) would be content kept there for good.
        _denied(
            actor=actor,
            target=f"subject_request:{parsed if parsed is not None else 'malformed'}",
            reason="no approved, unexpired data-subject request of yours for this answer",
            request=request,
        )
        raise Http404(NOT_FOUND_MESSAGE)
    if not can(actor, action, answer_resource(found, what), PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return found
