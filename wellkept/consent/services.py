"""Writes: publishing a notice, and recording a participant's consent decisions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.actors import Actor, PseudonymousActor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.consent import inventory, notices
from wellkept.consent.hooks import (
    CONSENT_WITHDRAWN,
    TAKING_PART_CHANGED,
    ConsentWithdrawn,
    TakingPartChanged,
)
from wellkept.consent.models import ConsentEvent, ConsentRecord, Notice, decision_day
from wellkept.consent.selectors import current_notice, latest_consent
from wellkept.orgs.models import Organisation, Participant

CONTACT_MAX = 500


def _config_resource(organisation: Organisation) -> Resource:
    return Resource(
        kind=ResourceKind.CONSENT_CONFIG,
        reference=f"notices:{organisation.pk}",
        organisation_id=organisation.pk,
    )


def consent_resource(participant: Participant, reference: str = "consent") -> Resource:
    """Describe a participant's consent records for the policy, filed under their token."""
    return Resource(
        kind=ResourceKind.CONSENT_RECORD,
        reference=f"participant:{participant.token}/{reference}",
        organisation_id=participant.organisation_id,
        participant_id=participant.pk,
    )


def notice_publish(
    *,
    actor: Actor,
    organisation: Organisation,
    privacy_contact: str,
    request: HttpRequest | None = None,
) -> Notice:
    """Publish the next version of the organisation's notice, generated from the inventory."""
    purpose = (
        Purpose.SERVICE_ADMINISTRATION
        if isinstance(actor, SystemActor)
        else Purpose.LEGAL_OBLIGATION
    )
    contact = " ".join(privacy_contact.split())
    if not contact:
        raise ValidationError(
            "Give the privacy contact: how participants reach the privacy officer "
            "(for example an e-mail address and a phone number).",
            code="contact_missing",
        )
    if len(contact) > CONTACT_MAX:
        raise ValidationError(
            f"The privacy contact is too long; keep it under {CONTACT_MAX} characters.",
            code="contact_too_long",
        )
    # Decided in its own transaction, so that a refusal is audited even
    # though nothing else is written.
    if not can(actor, Action.CREATE, _config_resource(organisation), purpose, request=request):
        raise PermissionDenied("You cannot publish notices for this organisation.")
    with transaction.atomic():
        # Lock the organisation row so two publishers cannot both take version n+1.
        lock_rows(Organisation.objects.all()).filter(pk=organisation.pk).first()
        previous = current_notice(organisation)
        notice = Notice.objects.create(
            organisation=organisation,
            version=(previous.version + 1) if previous else 1,
            inventory_digest=inventory.digest(),
            content=notices.build_content(organisation=organisation, privacy_contact=contact),
            published_at=clock.now(),
        )
        audit_record(
            actor=actor,
            event=EventType.NOTICE_PUBLISHED,
            target=f"notice:{notice.pk}",
            purpose=purpose.value,
            reason=f"version {notice.version}",
            request=request,
        )
    return notice


def _event_for(previous: ConsentRecord | None, *, notice: Notice, take_part: bool) -> ConsentEvent:
    if not take_part:
        return ConsentEvent.WITHDRAWN
    if previous is None or not previous.take_part:
        return ConsentEvent.GIVEN
    if previous.notice_id != notice.pk:
        return ConsentEvent.RENEWED
    return ConsentEvent.CHANGED


AUDIT_EVENTS = {
    ConsentEvent.GIVEN: EventType.CONSENT_GIVEN,
    ConsentEvent.RENEWED: EventType.CONSENT_GIVEN,
    ConsentEvent.CHANGED: EventType.CONSENT_CHANGED,
    ConsentEvent.WITHDRAWN: EventType.CONSENT_WITHDRAWN,
}


def consent_record(
    *,
    actor: Actor,
    participant: Participant,
    notice: Notice,
    take_part: bool,
    follow_up_contact: bool,
    safety_alert: bool,
    method: str = "web form, signed in",
    request: HttpRequest | None = None,
) -> ConsentRecord:
    """Record a consent decision against ``notice``; the choices as they stand after it.

    Only the current notice can be agreed to: a form read before a new
    version was published is refused, so nobody agrees to text they did not see.
    """
    if notice.organisation_id != participant.organisation_id:
        raise ValidationError("This notice belongs to another organisation.", code="foreign")
    if not take_part:
        # Leaving ends the optional choices too: they only make sense while taking part.
        follow_up_contact = safety_alert = False
    purpose = (
        Purpose.SERVICE_ADMINISTRATION if isinstance(actor, SystemActor) else Purpose.SELF_SERVICE
    )
    # Decided in its own transaction, so that a refusal is audited.
    if not can(actor, Action.CREATE, consent_resource(participant), purpose, request=request):
        raise PermissionDenied("Only the participant can record their own consent.")
    with transaction.atomic():
        current = current_notice(participant.organisation_id)
        if current is None or current.pk != notice.pk:
            raise ValidationError(
                "The notice has changed since this page was opened. Please read the new "
                "version and choose again.",
                code="stale_notice",
            )
        # The participant's row lock makes two decisions at once queue, so
        # each gets its own sequence number.
        lock_rows(Participant.objects.all()).filter(pk=participant.pk).first()
        previous = latest_consent(participant)
        event = _event_for(previous, notice=notice, take_part=take_part)
        if previous is not None and (
            previous.notice_id == notice.pk
            and previous.take_part == take_part
            and previous.follow_up_contact == follow_up_contact
            and previous.safety_alert == safety_alert
        ):
            # Nothing changed (a double submission, or "save" without edits).
            return previous
        if previous is None and not take_part:
            raise ValidationError("There is no consent to withdraw.", code="nothing_to_withdraw")
        stopped: list[str] = []
        if event == ConsentEvent.WITHDRAWN:
            # Collection in progress (unfinished check-ins) stops with the
            # consent, in the same transaction; the apps that collect connect.
            withdrawn = ConsentWithdrawn(participant=participant)
            CONSENT_WITHDRAWN.emit(withdrawn)
            stopped = withdrawn.done
        record = ConsentRecord.objects.create(
            participant=participant,
            notice=notice,
            event=event,
            take_part=take_part,
            follow_up_contact=follow_up_contact,
            safety_alert=safety_alert,
            sequence=(previous.sequence + 1) if previous else 1,
            recorded_at=decision_day(),
            method=method[:64],
        )
        was_taking_part = previous is not None and previous.take_part
        if was_taking_part != take_part:
            # Participation rates count who takes part now (insights connects).
            TAKING_PART_CHANGED.emit(
                TakingPartChanged(
                    participant=participant, was_taking_part=was_taking_part, takes_part=take_part
                )
            )
        choices = ",".join(
            name
            for name, on in (
                ("take_part", take_part),
                ("follow_up_contact", follow_up_contact),
                ("safety_alert", safety_alert),
            )
            if on
        )
        audit_record(
            actor=actor if isinstance(actor, SystemActor) else PseudonymousActor(participant.token),
            event=AUDIT_EVENTS[event],
            target=f"participant:{participant.token}/consent:{record.pk}",
            purpose=purpose.value,
            reason=(
                f"notice v{notice.version}; {event.value}; choices: {choices or 'none'}"
                + "".join(f"; {line}" for line in stopped)
            ),
        )
    return record
