"""Reads for the client portal: a client's own pages, and the staff's view of portal status.

Every read of a client's own page goes through ``own_page``: the signed-in
login's one membership, decided by the policy for that page and audited
(allowed or refused), so a portal page read is recorded as the practice's
reads are. A login without a membership (staff, a participant) and an id
that is not the client's own both end in the same audited 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import NOT_FOUND_MESSAGE, can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.accounts.models import User
from wellkept.actors import Caller
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.portal.models import (
    GuardianSharing,
    PortalGuardianMembership,
    PortalInvitation,
    PortalMembership,
)
from wellkept.portal.scopes import (
    guardian_page_resource,
    guardian_sharing_resource,
    invitation_resource,
    portal_page_resource,
)
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    Charge,
    Client,
    ClientStatus,
    ConsentDocumentSignature,
    Guardian,
    Invoice,
)
from wellkept.practice.names import is_minor
from wellkept.practice.selectors import Balance, balance_of, signature_of, staff_label

PURPOSE = Purpose.SELF_SERVICE


def _refuse(actor: Caller, reference: str, request: HttpRequest | None, why: str) -> Http404:
    audit_record(
        actor=actor,
        event=EventType.ACCESS_DENIED,
        target=reference,
        outcome=Outcome.DENIED,
        reason=why,
        purpose=PURPOSE.value,
        request=request,
    )
    return Http404(NOT_FOUND_MESSAGE)


def own_page(
    *, actor: Caller, page: str, request: HttpRequest | None = None, action: Action = Action.READ
) -> PortalMembership:
    """The actor's own portal membership for ``page``, or 404 (audited either way)."""
    user_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    membership = (
        PortalMembership.objects.select_related("client", "client__organisation")
        .filter(user_id=user_id)
        .first()
        if user_id is not None
        else None
    )
    if membership is None:
        raise _refuse(actor, f"portal:{page}", request, "no portal membership")
    resource = portal_page_resource(membership, page)
    if not can(actor, action, resource, PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return membership


# ---- Appointments ----------------------------------------------------------------------


@dataclass(frozen=True)
class PortalAppointment:
    """What a client sees of one appointment: when, with whom, where; never a note."""

    id: Any
    start: dt.datetime
    end: dt.datetime
    therapist: str
    place: str
    status: str


def _shown(appointment: Appointment) -> PortalAppointment:
    if appointment.telehealth:
        place = "Video session"
    elif appointment.room is not None:
        place = appointment.room.name
    else:
        place = "The practice"
    return PortalAppointment(
        id=appointment.pk,
        start=appointment.start,
        end=appointment.end,
        therapist=staff_label(appointment.therapist),
        place=place,
        status=AppointmentStatus(appointment.status).label,
    )


def _appointments(client: Client) -> Any:
    return Appointment.objects.filter(client=client).select_related("therapist", "room")


def upcoming_appointments(client: Client, limit: int | None = None) -> list[PortalAppointment]:
    """The client's booked appointments still to come, soonest first (the caller decided)."""
    rows = (
        _appointments(client)
        .filter(end__gte=clock.now(), status=AppointmentStatus.BOOKED)
        .order_by("start")
    )
    return [_shown(a) for a in (rows[:limit] if limit else rows)]


def past_appointments(client: Client) -> list[PortalAppointment]:
    """The client's appointments that are over or were not kept, latest first."""
    now = clock.now()
    rows = _appointments(client).exclude(end__gte=now, status=AppointmentStatus.BOOKED)
    return [_shown(a) for a in rows.order_by("-start")]


# ---- Invoices ---------------------------------------------------------------------------


def invoices(client: Client) -> tuple[list[Invoice], Balance]:
    """The client's invoices, latest first, and their balance (the caller decided)."""
    return list(Invoice.objects.filter(client=client).order_by("-issued_at")), balance_of(client)


def own_invoice(
    *, actor: Caller, pk: Any, request: HttpRequest | None = None
) -> tuple[Invoice, list[Charge]]:
    """One of the actor's own invoices and its lines for download, or 404; audited."""
    membership = own_page(actor=actor, page="invoices", request=request, action=Action.EXPORT)
    try:
        invoice = Invoice.objects.filter(client_id=membership.client_id, pk=pk).first()
    except (ValueError, TypeError):
        invoice = None
    if invoice is None:
        # Another client's invoice and a made-up id answer alike.
        raise _refuse(actor, "portal:invoice:unknown", request, "not the client's own invoice")
    return invoice, list(Charge.objects.filter(invoice=invoice))


# ---- Who accessed my record --------------------------------------------------------------


@dataclass(frozen=True)
class AccessShown:
    """One entry about the client, as the client may see it: who, when, what kind; no content."""

    when: dt.datetime
    who: str
    role: str
    what: str
    outcome: str


ROLE_LABELS = {r.value: r.label for r in AccessRole}
# Oldest entries beyond this are in the trail, not on the page.
ACCESS_LOG_LENGTH = 200


def access_log(client: Client, *, own_user_id: Any) -> list[AccessShown]:
    """The audit trail's entries about the client's record, newest first (the caller decided).

    Targets about a client all start ``client:<uuid>``; the client's own
    portal reads are left out (they know they looked). Staff are named by
    their display name and role; a command or job by what it is.
    """
    rows = list(
        AuditEntry.objects.filter(target__startswith=f"client:{client.pk}")
        .exclude(actor_id=str(own_user_id))
        .order_by("-id")[:ACCESS_LOG_LENGTH]
    )
    staff_ids = {r.actor_id for r in rows if r.actor_id}
    staff = {str(u.pk): staff_label(u) for u in User.objects.filter(pk__in=staff_ids)}
    shown = []
    for row in rows:
        if row.actor_id:
            who = staff.get(row.actor_id, "A former member of staff")
        elif row.actor_label.startswith("system:"):
            who = "The system (an automatic task)"
        else:
            who = "Someone not signed in"
        roles = [ROLE_LABELS.get(r, r) for r in row.role.split(",") if r and r != "none"]
        shown.append(
            AccessShown(
                when=row.created_at,
                who=who,
                role=", ".join(roles),
                what=EventType(row.event).label if row.event in EventType.values else row.event,
                outcome="refused" if row.outcome == Outcome.DENIED else "",
            )
        )
    return shown


# ---- The staff's side ---------------------------------------------------------------------


class PortalState(StrEnum):
    NOT_INVITED = "not_invited"
    INVITED = "invited"
    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"


@dataclass(frozen=True)
class PortalStatus:
    state: PortalState
    invitation: PortalInvitation | None = None


def portal_status(client: Client) -> PortalStatus:
    """Whether the client has a portal login, a pending link, or neither (the caller decided)."""
    if PortalMembership.objects.filter(client=client).exists():
        return PortalStatus(PortalState.ACTIVE)
    latest = (
        PortalInvitation.objects.filter(client=client, guardian__isnull=True)
        .order_by("-created_at")
        .first()
    )
    if latest is None:
        return PortalStatus(PortalState.NOT_INVITED)
    if latest.revoked_at is not None:
        return PortalStatus(PortalState.REVOKED, latest)
    if latest.expires_at <= clock.now():
        return PortalStatus(PortalState.EXPIRED, latest)
    return PortalStatus(PortalState.INVITED, latest)


def client_for_portal(
    *, actor: Caller, organisation: Any, pk: Any, request: HttpRequest | None = None
) -> Client:
    """The practice's client whose portal access the actor may manage, or 404; audited."""
    action = declared_action(ResourceKind.PORTAL_INVITATION, Action.READ)
    try:
        client = (
            Client.objects.select_related("organisation")
            .filter(organisation=organisation, pk=pk)
            .first()
        )
    except (ValidationError, ValueError, TypeError):
        client = None
    # A made-up id is decided (and refused, as nothing relates to it) like
    # a forbidden one: the same 404, and an entry in the trail.
    resource = (
        invitation_resource(client)
        if client is not None
        else Resource(kind=ResourceKind.PORTAL_INVITATION, reference="portal_invitation:unknown")
    )
    if not can(actor, action, resource, Purpose.CLINICAL_CARE, request=request) or client is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return client


def is_portal_login(user: Any) -> bool:
    """Whether the login is a client's portal login (for the shell's header and home page)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        PortalMembership.objects.filter(user_id=user.pk).exists()
    )


# ---- Forms to sign (issue 19) ------------------------------------------------------------


def own_document(
    *, actor: Caller, pk: Any, request: HttpRequest | None = None, action: Action = Action.READ
) -> tuple[PortalMembership, ConsentDocumentSignature]:
    """One of the client's own consent documents, or 404 (another client's alike); audited."""
    membership = own_page(actor=actor, page="forms", request=request, action=action)
    signature = signature_of(membership.client, pk)
    if signature is None:
        raise _refuse(actor, "portal:form:unknown", request, "not the client's own form")
    return membership, signature


# ---- Guardians of a minor -------------------------------------------------------------------

# The guardian's pages and the section each shows; the home page lists
# what is shared and shows nothing of the minor's record itself.
GUARDIAN_HOME = "home"


def shared_sections(client: Client) -> frozenset[str]:
    """What the minor's therapist shares with the minor's guardians (nothing by default)."""
    sharing = GuardianSharing.objects.filter(client=client).first()
    return sharing.section_set() if sharing is not None else frozenset()


def still_a_minor(client: Client) -> bool:
    """Whether the client's record says they are a minor today (unreadable: no)."""
    born = client.date_of_birth
    if not isinstance(born, str):
        return False
    try:
        day = dt.date.fromisoformat(born)
    except ValueError:
        return False
    return is_minor(day, clock.now().astimezone(dt.UTC).date())


def guardian_page(
    *, actor: Caller, page: str, request: HttpRequest | None = None, action: Action = Action.READ
) -> PortalGuardianMembership:
    """The actor's own guardian membership for ``page``, or 404 (audited either way).

    A page is open only while its section is shared, the client is still
    a minor and active: the therapist's revocation, the minor's coming of
    age and a discharge each end it at once, with no job to run.
    """
    user_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    membership = (
        PortalGuardianMembership.objects.select_related("guardian", "guardian__client")
        .filter(user_id=user_id)
        .first()
        if user_id is not None
        else None
    )
    if membership is None:
        raise _refuse(actor, f"guardian-portal:{page}", request, "no guardian membership")
    resource = guardian_page_resource(membership, page)
    if not can(actor, action, resource, PURPOSE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    client = membership.guardian.client
    if client.status != ClientStatus.ACTIVE or not still_a_minor(client):
        raise _refuse(actor, resource.reference, request, "the client is no longer a minor")
    if page != GUARDIAN_HOME and page not in shared_sections(client):
        raise _refuse(actor, resource.reference, request, "section not shared with guardians")
    return membership


@dataclass(frozen=True)
class GuardianShown:
    """A minor's guardian as the therapist's page lists them, with their portal state."""

    guardian: Guardian
    state: PortalState
    invitation: PortalInvitation | None = None


def guardians_of(client: Client) -> list[GuardianShown]:
    """The minor's guardians and whether each has a portal login (the caller decided)."""
    shown = []
    for guardian in Guardian.objects.filter(client=client).order_by("created_at"):
        if PortalGuardianMembership.objects.filter(guardian=guardian).exists():
            shown.append(GuardianShown(guardian, PortalState.ACTIVE))
            continue
        latest = PortalInvitation.objects.filter(guardian=guardian).order_by("-created_at").first()
        if latest is None:
            state = PortalState.NOT_INVITED
        elif latest.revoked_at is not None or latest.accepted_at is not None:
            state = PortalState.REVOKED
        elif latest.expires_at <= clock.now():
            state = PortalState.EXPIRED
        else:
            state = PortalState.INVITED
        shown.append(GuardianShown(guardian, state, latest))
    return shown


def client_for_sharing(
    *,
    actor: Caller,
    organisation: Any,
    pk: Any,
    request: HttpRequest | None = None,
    action: Action = Action.READ,
) -> Client:
    """The practice's client whose guardians' sharing the actor may ``action``, or 404; audited."""
    try:
        client = (
            Client.objects.select_related("organisation")
            .filter(organisation=organisation, pk=pk)
            .first()
        )
    except (ValidationError, ValueError, TypeError):
        client = None
    resource = (
        guardian_sharing_resource(client)
        if client is not None
        else Resource(kind=ResourceKind.GUARDIAN_SHARING, reference="guardian_sharing:unknown")
    )
    if not can(actor, action, resource, Purpose.CLINICAL_CARE, request=request) or client is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return client


def guardian_of(
    client: Client, pk: Any, *, actor: Caller, request: HttpRequest | None = None
) -> Guardian:
    """One of the client's guardians (for a client already decided), or an audited 404."""
    try:
        found = Guardian.objects.filter(client=client, pk=pk).first()
    except (ValidationError, ValueError, TypeError):
        found = None
    if found is None:
        raise _refuse(actor, f"client:{client.pk}/guardian:{pk}", request, "no such guardian")
    return found


def is_guardian_login(user: Any) -> bool:
    """Whether the login is a minor's guardian's portal login (for the header and home page)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        PortalGuardianMembership.objects.filter(user_id=user.pk).exists()
    )
