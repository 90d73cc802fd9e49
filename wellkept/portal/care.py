"""The portal's appointment care: a client's requests and cancellations, staff's answers.

The practice's policy (``WELLKEPT_PORTAL_NOTICE_HOURS``) decides whether a
client may still cancel or move an appointment online: at least that many
hours before it starts, exactly on the hour included. Inside the notice
the client is told to call. Every booking, move and cancellation goes
through the practice's schedule services, so clashes, discharged clients
and the calendar's own audit entries are the same as at the front desk.

Writes are services here; the reads the client and staff pages need are
the selectors at the end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.decorators import declared_action
from wellkept.access.policy import NOT_FOUND_MESSAGE, can, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.accounts.models import User
from wellkept.actors import Actor, Caller
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Organisation
from wellkept.portal.models import PortalAppointmentRequest, PortalMembership, RequestStatus
from wellkept.portal.scopes import (
    own_request_resource,
    staff_request_resource,
)
from wellkept.portal.selectors import own_page
from wellkept.practice.hooks import ClientErasing
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    ClientAssignment,
    MeasureResult,
    Room,
)
from wellkept.practice.services.schedule import (
    Slot,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)

NOTE_MAX = 500
REASON_MAX = 300
# A new appointment asked for in the portal lasts the usual session.
SESSION = dt.timedelta(minutes=50)
CANCEL_REASON = "client cancelled via portal"
CALL_MESSAGE = (
    "This appointment starts within {hours} hours, so it can no longer be changed online. "
    "Please call the practice."
)


def notice() -> dt.timedelta:
    return dt.timedelta(hours=settings.WELLKEPT_PORTAL_NOTICE_HOURS)


def changeable_online(start: dt.datetime, now: dt.datetime | None = None) -> bool:
    """Whether a client may still cancel or move an appointment starting at ``start`` online."""
    return start - (now or clock.now()) >= notice()


def _call_message() -> str:
    return CALL_MESSAGE.format(hours=settings.WELLKEPT_PORTAL_NOTICE_HOURS)


JOINT_MESSAGE = (
    "This is a joint session with others in your case, so it can only be changed by the "
    "practice. Please call or write to the practice."
)


def _check_changeable(appointment: Appointment) -> None:
    """Refuse an online change inside the notice, or of a joint session (one member is not all)."""
    if appointment.case_id is not None:
        raise ValidationError(JOINT_MESSAGE, code="joint")
    if not changeable_online(appointment.start):
        raise ValidationError(_call_message(), code="notice")


def _request_target(row: PortalAppointmentRequest) -> str:
    return f"client:{row.client_id}/portal-request:{row.pk}"


def _send_news_mail(client_email: Any) -> None:
    # No time, therapist or practice in the mail: someone else may read it.
    if not isinstance(client_email, str) or not client_email:
        return
    context = {"url": settings.WELLKEPT_BASE_URL.rstrip("/") + reverse("portal:requests")}
    send_mail(
        render_to_string("portal/email/news_subject.txt", context).strip(),
        render_to_string("portal/email/news_message.txt", context),
        None,
        [client_email],
    )


# ---- The client's side ------------------------------------------------------------------


def _therapist_of(membership: PortalMembership) -> User:
    assignment = (
        ClientAssignment.objects.filter(client_id=membership.client_id, until__isnull=True)
        .select_related("therapist")
        .order_by("since")
        .first()
    )
    if assignment is None:
        raise ValidationError(
            "You have no therapist at the practice yet: please call the practice.",
            code="no_therapist",
        )
    return assignment.therapist


def _check_choices(choices: list[dt.datetime]) -> list[dt.datetime]:
    now = clock.now()
    furthest = now + dt.timedelta(days=settings.WELLKEPT_PORTAL_REQUEST_DAYS)
    kept = [c for c in choices if c is not None]
    if not kept:
        raise ValidationError({"first_choice": "Give at least one time that suits you."})
    if len(kept) > 3:
        raise ValidationError({"first_choice": "Give at most three times."})
    for moment in kept:
        if moment.tzinfo is None:
            raise ValidationError({"first_choice": "Give the times with their time zone."})
        if moment - now < notice():
            raise ValidationError(
                {
                    "first_choice": "Choose times at least "
                    f"{settings.WELLKEPT_PORTAL_NOTICE_HOURS} hours from now."
                }
            )
        if moment > furthest:
            raise ValidationError(
                {
                    "first_choice": "Choose times within the next "
                    f"{settings.WELLKEPT_PORTAL_REQUEST_DAYS} days."
                }
            )
    return kept


def portal_request_make(
    *,
    actor: User,
    choices: list[dt.datetime],
    note: str = "",
    video: bool = False,
    appointment: Appointment | None = None,
    request: HttpRequest | None = None,
) -> PortalAppointmentRequest:
    """Ask the practice for a new appointment, or to move ``appointment``; audited."""
    membership = own_page(actor=actor, page="requests", request=request)
    resource = own_request_resource(membership, "portal-request")
    if not can(actor, Action.CREATE, resource, Purpose.SELF_SERVICE, request=request):
        raise PermissionDenied("You may not make this request.")
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"Keep the note under {NOTE_MAX} characters."})
    if appointment is not None:
        if appointment.client_id != membership.client_id:
            raise PermissionDenied("You may not move this appointment.")
        if appointment.status != AppointmentStatus.BOOKED:
            raise ValidationError("Only a booked appointment can be moved.", code="status")
        _check_changeable(appointment)
        therapist = User.objects.get(pk=appointment.therapist_id)
        video = appointment.telehealth
    else:
        therapist = _therapist_of(membership)
    kept = _check_choices(choices)
    with transaction.atomic():
        if (
            appointment is not None
            and PortalAppointmentRequest.objects.filter(
                appointment=appointment, status=RequestStatus.PENDING
            ).exists()
        ):
            raise ValidationError(
                "You have already asked to move this appointment; the practice will answer.",
                code="pending",
            )
        row = PortalAppointmentRequest.objects.create(
            client_id=membership.client_id,
            therapist=therapist,
            appointment=appointment,
            first_choice=kept[0],
            second_choice=kept[1] if len(kept) > 1 else None,
            third_choice=kept[2] if len(kept) > 2 else None,
            video=video,
            note=note.strip(),
        )
        audit_record(
            actor=actor,
            event=EventType.PORTAL_REQUEST_MADE,
            target=_request_target(row),
            purpose=Purpose.SELF_SERVICE.value,
            reason=f"reschedule appointment:{appointment.pk}" if appointment else "new",
            request=request,
        )
    return row


def portal_appointment_cancel(
    *, actor: User, appointment: Appointment, request: HttpRequest | None = None
) -> Appointment:
    """Cancel the client's own appointment outside the notice, through the practice's service."""
    membership = own_page(actor=actor, page="appointments", request=request, action=Action.READ)
    if appointment.client_id != membership.client_id:
        raise PermissionDenied("You may not cancel this appointment.")
    _check_changeable(appointment)
    return appointment_cancel(
        actor=actor,
        appointment=appointment,
        request=request,
        reason=CANCEL_REASON,
        own_portal=own_request_resource(membership, f"appointment:{appointment.pk}"),
    )


# ---- The practice's side ----------------------------------------------------------------


def _decide_staff(actor: Actor, row: PortalAppointmentRequest, request: HttpRequest | None) -> None:
    resource = staff_request_resource(row.client, f"portal-request:{row.pk}")
    if not can(actor, Action.UPDATE, resource, Purpose.CLINICAL_CARE, request=request):
        raise PermissionDenied("You may not answer this request.")


def _locked_pending(row: PortalAppointmentRequest) -> PortalAppointmentRequest:
    locked = lock_rows(PortalAppointmentRequest.objects.select_related("client")).get(pk=row.pk)
    if locked.status != RequestStatus.PENDING:
        raise ValidationError(
            f"This request is already {locked.get_status_display().lower()}.", code="status"
        )
    return locked


def portal_request_accept(
    *,
    actor: User,
    appointment_request: PortalAppointmentRequest,
    choice: int,
    room: Room | None = None,
    request: HttpRequest | None = None,
) -> Appointment:
    """Book (or move to) one of the client's preferred times; tell the client neutrally."""
    _decide_staff(actor, appointment_request, request)
    with transaction.atomic():
        row = _locked_pending(appointment_request)
        choices = row.choices
        if not 0 <= choice < len(choices):
            raise ValidationError({"choice": "Choose one of the client's times."})
        start = choices[choice]
        if row.appointment_id is not None:
            moving = Appointment.objects.get(pk=row.appointment_id)
            slot = Slot(
                start=start,
                end=start + (moving.end - moving.start),
                room=moving.room,
                telehealth=moving.telehealth,
            )
            booked = appointment_reschedule(
                actor=actor, appointment=moving, slot=slot, request=request
            )
        else:
            if not row.video and room is None:
                raise ValidationError({"room": "Choose a room (the client did not ask for video)."})
            slot = Slot(
                start=start,
                end=start + SESSION,
                room=None if row.video else room,
                telehealth=row.video,
            )
            booked = appointment_book(
                actor=actor,
                client=row.client,
                therapist=User.objects.get(pk=row.therapist_id),
                slot=slot,
                request=request,
            )
        row.status = RequestStatus.ACCEPTED
        row.booked = booked
        row.decided_by = actor
        row.decided_at = clock.now()
        row.save(update_fields=["status", "booked", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            event=EventType.PORTAL_REQUEST_ACCEPTED,
            target=_request_target(row),
            purpose=Purpose.CLINICAL_CARE.value,
            reason=f"appointment:{booked.pk}",
            request=request,
        )
        email = row.client.email
        transaction.on_commit(lambda: _send_news_mail(email))
    return booked


def portal_request_decline(
    *,
    actor: User,
    appointment_request: PortalAppointmentRequest,
    reason: str,
    request: HttpRequest | None = None,
) -> PortalAppointmentRequest:
    """Decline the request with a reason the client reads; tell the client neutrally."""
    _decide_staff(actor, appointment_request, request)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why, for the client."})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    with transaction.atomic():
        row = _locked_pending(appointment_request)
        row.status = RequestStatus.DECLINED
        row.decline_reason = reason
        row.decided_by = actor
        row.decided_at = clock.now()
        row.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
        audit_record(
            actor=actor,
            event=EventType.PORTAL_REQUEST_DECLINED,
            target=_request_target(row),
            purpose=Purpose.CLINICAL_CARE.value,
            request=request,
        )
        email = row.client.email
        transaction.on_commit(lambda: _send_news_mail(email))
    return row


def on_client_erasing(event: ClientErasing) -> None:
    """Delete the erased client's portal requests and the results their portal login recorded.

    Runs before the login is deleted: a result protects the login that
    recorded it. Their content is under the client's shredded key anyway.
    """
    PortalAppointmentRequest.objects.filter(client=event.client).delete()
    login = PortalMembership.objects.filter(client=event.client).values_list("user_id", flat=True)
    MeasureResult.objects.filter(client=event.client, recorded_by_id__in=list(login)).delete()


# ---- Reads ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OwnAppointment:
    """One of the client's upcoming appointments and what they may do with it online."""

    appointment: Appointment
    changeable: bool
    pending_move: bool


def own_state(appointment: Appointment) -> OwnAppointment:
    """What the client may do with one of their appointments online (the caller decided)."""
    upcoming = appointment.status == AppointmentStatus.BOOKED and appointment.start > clock.now()
    return OwnAppointment(
        appointment,
        upcoming and appointment.case_id is None and changeable_online(appointment.start),
        PortalAppointmentRequest.objects.filter(
            appointment=appointment, status=RequestStatus.PENDING
        ).exists(),
    )


def own_appointment(*, actor: Caller, pk: Any, request: HttpRequest | None = None) -> Appointment:
    """One of the actor's own booked appointments, or an audited 404."""
    membership = own_page(actor=actor, page="appointments", request=request)
    try:
        appointment = (
            Appointment.objects.select_related("therapist", "room")
            .filter(client_id=membership.client_id, pk=pk)
            .first()
        )
    except (ValidationError, ValueError, TypeError):
        appointment = None
    if appointment is None:
        # Another client's appointment and a made-up id answer alike.
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target="portal:appointment:unknown",
            outcome=Outcome.DENIED,
            reason="not the client's own appointment",
            purpose=Purpose.SELF_SERVICE.value,
            request=request,
        )
        raise Http404(NOT_FOUND_MESSAGE)
    return appointment


def own_requests(membership: PortalMembership) -> list[PortalAppointmentRequest]:
    """The client's requests, newest first (the caller decided)."""
    return list(
        PortalAppointmentRequest.objects.filter(client_id=membership.client_id)
        .select_related("appointment")
        .order_by("-created_at")
    )


def pending_for_staff(
    *, actor: Caller, organisation: Organisation, request: HttpRequest | None = None
) -> QuerySet[PortalAppointmentRequest]:
    """The practice's pending portal requests the actor may answer; one audited listing."""
    rows = PortalAppointmentRequest.objects.filter(
        client__organisation=organisation, status=RequestStatus.PENDING
    )
    return (
        visible(actor, Action.READ, rows, Purpose.CLINICAL_CARE, request=request)
        .select_related("client", "therapist", "appointment")
        .order_by("first_choice")
    )


def request_for_staff(
    *, actor: Caller, organisation: Organisation, pk: Any, request: HttpRequest | None = None
) -> PortalAppointmentRequest:
    """One of the practice's portal requests the actor may answer, or an audited 404."""
    try:
        row = (
            PortalAppointmentRequest.objects.select_related("client", "appointment", "therapist")
            .filter(client__organisation=organisation, pk=pk)
            .first()
        )
    except (ValidationError, ValueError, TypeError):
        row = None
    if row is None:
        audit_record(
            actor=actor,
            event=EventType.ACCESS_DENIED,
            target="portal_request:unknown",
            outcome=Outcome.DENIED,
            reason="no such portal request here",
            purpose=Purpose.CLINICAL_CARE.value,
            request=request,
        )
        raise Http404(NOT_FOUND_MESSAGE)
    resource = staff_request_resource(row.client, f"portal-request:{row.pk}")
    action = declared_action(ResourceKind.PORTAL_REQUEST, Action.UPDATE)
    if not can(actor, action, resource, Purpose.CLINICAL_CARE, request=request):
        raise Http404(NOT_FOUND_MESSAGE)
    return row


def pending_for_client(
    *, actor: Caller, client: Any, request: HttpRequest | None = None
) -> list[PortalAppointmentRequest]:
    """A client's pending portal requests, for their page at the practice (the actor may answer)."""
    resource = staff_request_resource(client, "portal-request")
    if not can(actor, Action.READ, resource, Purpose.CLINICAL_CARE, request=request):
        return []
    return list(
        PortalAppointmentRequest.objects.filter(client=client, status=RequestStatus.PENDING)
        .select_related("appointment")
        .order_by("first_choice")
    )
