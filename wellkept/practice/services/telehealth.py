"""Writes of telehealth (issue 19): video rooms, telehealth consent, the emergency protocol, links.

A video appointment gets its random room with the appointment (the booking
is audited; the room name is not personal). Everything else here is about
one client and asks the policy first: the client's clinical record (kind
``CLIENT_RECORD``), and for a session only the therapist who holds the
appointment (``video_resource``: never a supervisor, never the front desk).
Each write records its audit event in the same transaction; audit entries
name rows, never a place, a number or a name.

Links are derived, never stored: a join link is issued only when the
client has a current telehealth consent, the therapist has confirmed the
client's location and local emergency contact for this session, and the
practice's Jitsi server is configured. Each issue is audited.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.throttle import client_ip
from wellkept.actors import Actor, person
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.practice import telehealth_tokens
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    Client,
    ClientAssignment,
    TelehealthConsent,
    VideoRoom,
)
from wellkept.practice.scopes import client_record_resource
from wellkept.practice.services.documents import signed_current_telehealth

PURPOSE = Purpose.CLINICAL_CARE
PLACE_MAX = 500
CONTACT_MAX = 300
NAME_MAX = 200

# The practice's telehealth consent text. The version is recorded with each
# signature, with the SHA-256 of exactly this text: change the text, change
# the version, and every client signs again before their next video session.
CONSENT_VERSION = "1.0"
CONSENT_TEXT = """\
Consent to therapy by video (telehealth)

1. Sessions by video take place on the practice's own video server. Each
   session has its own private room and link; nobody can join without a
   link the practice issued for that session. Sessions are not recorded.
2. At the start of every video session your therapist asks where you are
   and whom to call near you in an emergency (a local emergency number or
   a person nearby). If you are in crisis during a session, your therapist
   may contact them or the emergency services for that place.
3. Please take the session somewhere private, where you cannot be
   overheard, on a device and network you trust.
4. If the connection fails, your therapist will call you on the phone
   number in your record. If video is not suitable for your care, your
   therapist will offer an appointment in person.
5. You may withdraw this consent at any time; your sessions then take
   place in person.
"""


def consent_digest(text: str = CONSENT_TEXT) -> str:
    """The SHA-256 of the consent text, as recorded with each signature."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def video_resource(appointment: Appointment) -> Resource:
    """One appointment's video session: its therapist's, while they work with the client."""
    holder = ClientAssignment.objects.filter(
        client_id=appointment.client_id, therapist_id=appointment.therapist_id, until__isnull=True
    ).exists()
    return Resource(
        kind=ResourceKind.CLIENT_RECORD,
        reference=f"appointment:{appointment.pk}/video",
        organisation_id=appointment.organisation_id,
        # Only the therapist holding the appointment: not a co-therapist, not
        # a supervisor, who may read the record but not sit in the session.
        assignee_user_ids=frozenset({appointment.therapist_id}) if holder else frozenset(),
    )


def video_room_ensure(appointment: Appointment) -> VideoRoom | None:
    """Give a video appointment its random room (once); an appointment in a room gets none."""
    if not appointment.telehealth:
        return None
    room, _ = VideoRoom.objects.get_or_create(appointment=appointment)
    return room


def _works_with(actor: Actor, client: Client) -> None:
    if not ClientAssignment.objects.filter(
        client=client, therapist=person(actor), until__isnull=True
    ).exists():
        raise PermissionDenied("Only a therapist working with this client records their consent.")


def _normalised(name: str) -> str:
    return " ".join(name.split()).casefold()


def has_telehealth_consent(client: Client) -> bool:
    """Whether the client may have video sessions: a signed telehealth document, or the old form.

    The consent documents (issue 19) are now the way to sign; signatures on
    the earlier telehealth-only form stay valid while they are unwithdrawn.
    """
    return current_telehealth_consent(client) is not None or signed_current_telehealth(client)


def current_telehealth_consent(client: Client) -> TelehealthConsent | None:
    """The client's signature of the current consent text, if they have one and kept it."""
    return (
        TelehealthConsent.objects.filter(
            client=client,
            version=CONSENT_VERSION,
            digest=consent_digest(),
            withdrawn_at__isnull=True,
        )
        .order_by("-signed_at")
        .first()
    )


def telehealth_consent_record(
    *,
    actor: Actor,
    client: Client,
    typed_name: str,
    request: HttpRequest | None = None,
) -> TelehealthConsent:
    """Record the client's signature of the telehealth consent, typed in the office; audited."""
    if not can(actor, Action.UPDATE, client_record_resource(client), PURPOSE, request=request):
        raise PermissionDenied("You may not record this client's consent.")
    _works_with(actor, client)
    typed = " ".join(typed_name.split())
    legal = client.legal_name
    # The legal name only: a signature is the name the client is known by in law.
    if not typed or not isinstance(legal, str) or _normalised(typed) != _normalised(legal):
        raise ValidationError(
            {"typed_name": "The client types their full legal name, as it is in their record."}
        )
    with transaction.atomic():
        lock_rows(Client.objects.filter(pk=client.pk)).exists()
        consent = TelehealthConsent.objects.create(
            client=client,
            version=CONSENT_VERSION,
            digest=consent_digest(),
            signed_at=clock.now(),
            recorded_by=person(actor),
            typed_name=typed,
            ip_address=client_ip(request) if request is not None else "",
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_TELEHEALTH_CONSENT_RECORDED,
            target=f"client:{client.pk}/telehealth_consent:{consent.pk}",
            purpose=PURPOSE.value,
            reason=f"version {CONSENT_VERSION}, in the office",
            request=request,
        )
    return consent


def telehealth_consent_withdraw(
    *,
    actor: Actor,
    client: Client,
    request: HttpRequest | None = None,
) -> int:
    """Record that the client withdrew their telehealth consent: no link until they sign again."""
    if not can(actor, Action.UPDATE, client_record_resource(client), PURPOSE, request=request):
        raise PermissionDenied("You may not record this client's consent.")
    _works_with(actor, client)
    with transaction.atomic():
        lock_rows(Client.objects.filter(pk=client.pk)).exists()
        withdrawn = TelehealthConsent.objects.filter(
            client=client, withdrawn_at__isnull=True
        ).update(withdrawn_at=clock.now())
        if not withdrawn:
            raise ValidationError("The client has no telehealth consent to withdraw.")
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_TELEHEALTH_CONSENT_WITHDRAWN,
            target=f"client:{client.pk}/telehealth_consent",
            purpose=PURPOSE.value,
            request=request,
        )
    return withdrawn


def _allow_session(actor: Actor, appointment: Appointment, request: HttpRequest | None) -> None:
    if not can(actor, Action.UPDATE, video_resource(appointment), PURPOSE, request=request):
        raise PermissionDenied("Only the therapist of this appointment starts its video session.")


def video_session_confirm(
    *,
    actor: Actor,
    room: VideoRoom,
    client_location: str,
    emergency_contact: str,
    request: HttpRequest | None = None,
) -> VideoRoom:
    """Record where the client is for this session and whom to call there; audited."""
    appointment = room.appointment
    _allow_session(actor, appointment, request)
    location = client_location.strip()
    contact = emergency_contact.strip()
    errors = {}
    if not location:
        errors["client_location"] = "Ask the client where they are now, and write it down."
    elif len(location) > PLACE_MAX:
        errors["client_location"] = f"Keep the location under {PLACE_MAX} characters."
    if not contact:
        errors["emergency_contact"] = (
            "Write a local emergency number or contact for where the client is now."
        )
    elif len(contact) > CONTACT_MAX:
        errors["emergency_contact"] = f"Keep the contact under {CONTACT_MAX} characters."
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = lock_rows(VideoRoom.objects.select_related("appointment")).get(pk=room.pk)
        if locked.appointment.status != AppointmentStatus.BOOKED:
            raise ValidationError(
                "Only a booked appointment has a video session; this one is "
                f"{locked.appointment.get_status_display().lower()}."
            )
        locked.client_location = location
        locked.emergency_contact = contact
        locked.confirmed_by = person(actor)
        locked.confirmed_at = clock.now()
        locked.save(
            update_fields=["client_location", "emergency_contact", "confirmed_by", "confirmed_at"]
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_VIDEO_SESSION_CONFIRMED,
            target=f"appointment:{appointment.pk}/video",
            purpose=PURPOSE.value,
            reason=f"client:{appointment.client_id}",
            request=request,
        )
    return locked


@dataclass(frozen=True)
class VideoLinks:
    therapist: str
    client: str


def _ready(room: VideoRoom) -> None:
    """Refuse, with what to do, a session that may not start yet."""
    appointment = room.appointment
    if appointment.status != AppointmentStatus.BOOKED or not appointment.telehealth:
        raise ValidationError("Only a booked video appointment has a video session.")
    if not has_telehealth_consent(appointment.client):
        raise ValidationError(
            f"Client {appointment.client.code} has not signed the current telehealth consent. "
            "Record it from the client's page (Telehealth consent) before the session."
        )
    if room.confirmed_at is None:
        raise ValidationError(
            "Confirm where the client is and their local emergency contact first."
        )
    if not telehealth_tokens.configured():
        raise ValidationError(
            "The practice's video server is not set up yet: ask the administrator to configure "
            "Jitsi (see the administrator guide, Telehealth)."
        )
    now = clock.now()
    _, closes = telehealth_tokens.window(appointment.start, appointment.end)
    if now >= closes:
        raise ValidationError("This appointment's time is over: its links no longer open.")


def _therapist_name(actor: Actor) -> str:
    # The display name, never the login e-mail: the Jitsi server shows and logs it.
    name = person(actor).display_name
    return name if isinstance(name, str) and name.strip() else "Therapist"


def _links(room: VideoRoom, therapist_name: str) -> VideoLinks:
    appointment = room.appointment
    tokens = {
        moderator: telehealth_tokens.room_token(
            room=room.name,
            start=appointment.start,
            end=appointment.end,
            # The client's code, never their name: the Jitsi server logs display names.
            display_name=therapist_name if moderator else appointment.client.code,
            moderator=moderator,
        )
        for moderator in (True, False)
    }
    return VideoLinks(
        therapist=telehealth_tokens.join_url(room.name, tokens[True]),
        client=telehealth_tokens.join_url(room.name, tokens[False]),
    )


def video_links_issue(
    *, actor: Actor, room: VideoRoom, request: HttpRequest | None = None
) -> VideoLinks:
    """Issue the therapist's and the client's join links for this session; audited."""
    _allow_session(actor, room.appointment, request)
    _ready(room)
    name = _therapist_name(actor)
    with transaction.atomic():
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_VIDEO_LINKS_ISSUED,
            target=f"appointment:{room.appointment_id}/video",
            purpose=PURPOSE.value,
            request=request,
        )
    return _links(room, name)


EMAIL_SUBJECT = "Your video appointment link from {practice}"
EMAIL_BODY = """\
Hello,

Here is the link to join your video appointment on {when}:

{link}

The link opens from 15 minutes before the appointment. Please join from a
private place. Do not forward this e-mail.

{practice}
"""


def video_link_email(*, actor: Actor, room: VideoRoom, request: HttpRequest | None = None) -> None:
    """E-mail the client's join link to the address on record: the link, nothing clinical."""
    _allow_session(actor, room.appointment, request)
    _ready(room)
    appointment = room.appointment
    to = appointment.client.email
    if not isinstance(to, str) or not to.strip():
        raise ValidationError(
            f"Client {appointment.client.code} has no e-mail address on record: copy the link "
            "and send it another way the client agreed to."
        )
    links = _links(room, _therapist_name(actor))
    practice = appointment.organisation.name
    local = appointment.start.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE))
    message = EmailMessage(
        subject=EMAIL_SUBJECT.format(practice=practice),
        body=EMAIL_BODY.format(
            when=f"{local:%A %d %B %Y at %H:%M}", link=links.client, practice=practice
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to.strip()],
        headers={"Auto-Submitted": "auto-generated"},
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_VIDEO_LINK_EMAILED,
            target=f"appointment:{appointment.pk}/video",
            purpose=PURPOSE.value,
            request=request,
        )
        # Sent once the audit entry is committed: never a link out without its record.
        transaction.on_commit(lambda: message.send(fail_silently=False))
