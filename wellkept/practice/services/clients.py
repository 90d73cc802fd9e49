"""Writes of the practice: intake, changes, guardians, therapists, supervision, discharge, erasure.

Each service asks the policy first (one audited decision), validates, writes
under a lock where rows are changed, and records its own audit event in the
same transaction. Audit entries name the client by row id, never by name or
anything the client said.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can, roles_in
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.access.rules import AccessRole
from wellkept.accounts.models import User
from wellkept.actors import Actor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Organisation
from wellkept.practice import names
from wellkept.practice.holds import ClientHeld, client_held
from wellkept.practice.hooks import CLIENT_ERASING, ClientErasing
from wellkept.practice.models import (
    Appointment,
    AppointmentStatus,
    CancelReason,
    Client,
    ClientAssignment,
    ClientNameToken,
    ClientStatus,
    ContactChannel,
    DischargeReason,
    Guardian,
    Supervision,
)
from wellkept.practice.scopes import client_admin_resource, client_record_resource
from wellkept.practice.services.deciding import allow, purpose_of
from wellkept.practice.services.deciding import today as _today
from wellkept.practice.services.families import (
    HANDED_OVER_DISCHARGED,
    case_work_end_with_member,
    joint_appointments_hand_over,
)
from wellkept.practice.tombstones import client_tombstone_write
from wellkept.vault.models import DataKey
from wellkept.vault.services import datakey_shred

NAME_MAX = 200
TEXT_MAX = 200
CODE_ATTEMPTS = 8
OLDEST_AGE = 130


@dataclass(frozen=True)
class Intake:
    """What the front desk records about a client; every field is stored encrypted."""

    legal_name: str
    date_of_birth: dt.date
    preferred_name: str = ""
    pronouns: str = ""
    email: str = ""
    phone: str = ""
    contact_channels: tuple[str, ...] = field(default_factory=tuple)
    voicemail_ok: bool = False
    emergency_name: str = ""
    emergency_relation: str = ""
    emergency_phone: str = ""
    referral_source: str = ""
    insurance_payer: str = ""
    insurance_member_id: str = ""


@dataclass(frozen=True)
class Discharge:
    """A discharged client, and how many of their future appointments went with the care."""

    client: Client
    appointments_cancelled: int


@dataclass(frozen=True)
class GuardianDetails:
    name: str
    relation: str
    phone: str = ""
    email: str = ""


# Intake fields stored as they are given (after trimming).
_TEXT_FIELDS = (
    "legal_name",
    "preferred_name",
    "pronouns",
    "email",
    "phone",
    "emergency_name",
    "emergency_relation",
    "emergency_phone",
    "referral_source",
    "insurance_payer",
    "insurance_member_id",
)
INTAKE_FIELDS = (*_TEXT_FIELDS, "date_of_birth", "contact_channels", "voicemail_ok")


def _check_intake(intake: Intake) -> None:
    errors: dict[str, str] = {}
    if not intake.legal_name.strip():
        errors["legal_name"] = "Enter the client's legal name."
    for name in _TEXT_FIELDS:
        if len(getattr(intake, name)) > TEXT_MAX:
            errors[name] = f"Keep this under {TEXT_MAX} characters."
    today = _today()
    if intake.date_of_birth > today:
        errors["date_of_birth"] = "The date of birth cannot be in the future."
    elif names.age_on(intake.date_of_birth, today) > OLDEST_AGE:
        errors["date_of_birth"] = "Check the date of birth: it is more than 130 years ago."
    unknown = set(intake.contact_channels) - set(ContactChannel.values)
    if unknown:
        errors["contact_channels"] = "Choose contact channels from the list."
    if ContactChannel.EMAIL in intake.contact_channels and not intake.email.strip():
        errors["email"] = "Contact by e-mail was chosen: enter the e-mail address."
    needs_phone = {ContactChannel.PHONE, ContactChannel.TEXT} & set(intake.contact_channels)
    if needs_phone and not intake.phone.strip():
        errors["phone"] = "Contact by phone or text was chosen: enter the phone number."
    if intake.voicemail_ok and not intake.phone.strip():
        errors["voicemail_ok"] = "A voicemail needs a phone number."
    if errors:
        raise ValidationError(errors)


def _check_guardian(guardian: GuardianDetails) -> None:
    errors: dict[str, str] = {}
    if not guardian.name.strip():
        errors["guardian_name"] = "Enter the guardian's name."
    if not guardian.relation.strip():
        errors["guardian_relation"] = "Say how the guardian is related to the client."
    if not (guardian.phone.strip() or guardian.email.strip()):
        errors["guardian_phone"] = "Enter a phone number or an e-mail address for the guardian."
    for name in ("name", "relation", "phone", "email"):
        if len(getattr(guardian, name)) > TEXT_MAX:
            errors[f"guardian_{name}"] = f"Keep this under {TEXT_MAX} characters."
    if errors:
        raise ValidationError(errors)


def _fill(client: Client, intake: Intake) -> None:
    for name in _TEXT_FIELDS:
        setattr(client, name, getattr(intake, name).strip())
    client.date_of_birth = intake.date_of_birth.isoformat()
    client.contact_channels = ",".join(
        c for c in ContactChannel.values if c in intake.contact_channels
    )
    client.voicemail_ok = "yes" if intake.voicemail_ok else "no"


def _index_names(client: Client, intake: Intake) -> None:
    """Replace the client's name tokens with those of the legal and preferred names."""
    tokens = set(names.name_tokens(client.organisation_id, intake.legal_name))
    tokens |= set(names.name_tokens(client.organisation_id, intake.preferred_name))
    ClientNameToken.objects.filter(client=client).delete()
    ClientNameToken.objects.bulk_create(
        [ClientNameToken(client=client, token=t) for t in sorted(tokens)]
    )


def _guardian_create(client: Client, guardian: GuardianDetails) -> Guardian:
    row = Guardian(client=client)
    row.name = guardian.name.strip()
    row.relation = guardian.relation.strip()
    row.phone = guardian.phone.strip()
    row.email = guardian.email.strip()
    row.save()
    return row


def client_create(
    *,
    actor: Actor,
    organisation: Organisation,
    intake: Intake,
    guardian: GuardianDetails | None = None,
    request: HttpRequest | None = None,
) -> Client:
    """Take a new client in: a fresh code, the intake encrypted, the name indexed, audited."""
    client = Client(organisation=organisation)
    resource = Resource(
        kind=ResourceKind.PRACTICE_ADMIN,
        reference=f"client:{client.pk}",
        organisation_id=organisation.pk,
    )
    allow(actor, Action.CREATE, resource, request, "take clients in at this practice")
    _check_intake(intake)
    minor = names.is_minor(intake.date_of_birth, _today())
    if minor and guardian is None:
        raise ValidationError(
            {"guardian_name": "The client is under 18: enter a parent or guardian."}
        )
    if guardian is not None:
        _check_guardian(guardian)
    _fill(client, intake)
    for _attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                client.save(force_insert=True)
                _index_names(client, intake)
                if guardian is not None:
                    _guardian_create(client, guardian)
                # No reason: even "with a guardian" would tell the trail's
                # readers that the client is a minor.
                audit_record(
                    actor=actor,
                    event=EventType.PRACTICE_CLIENT_CREATED,
                    target=f"client:{client.pk}",
                    purpose=purpose_of(actor).value,
                    request=request,
                )
            return client
        except IntegrityError:
            # A code already taken at this practice (about one in millions):
            # draw another. Anything else fails the same way every time.
            if not Client.objects.filter(organisation=organisation, code=client.code).exists():
                raise
            client.code = Client._meta.get_field("code").get_default()
    raise ValidationError("Could not find a free client code; try again.", code="code")


def client_update(
    *,
    actor: Actor,
    client: Client,
    intake: Intake,
    guardian: GuardianDetails | None = None,
    request: HttpRequest | None = None,
) -> Client:
    """Change a client's intake details (and add a guardian), re-index the name, audited."""
    allow(
        actor, Action.UPDATE, client_admin_resource(client), request, "change this client's details"
    )
    _check_intake(intake)
    if guardian is not None:
        _check_guardian(guardian)
    with transaction.atomic():
        locked = lock_rows(Client.objects.all()).get(pk=client.pk)
        has_guardian = Guardian.objects.filter(client=locked).exists()
        if names.is_minor(intake.date_of_birth, _today()) and not has_guardian and guardian is None:
            raise ValidationError(
                {"guardian_name": "The client is under 18: enter a parent or guardian."}
            )
        _fill(locked, intake)
        locked.save(update_fields=list(INTAKE_FIELDS))
        _index_names(locked, intake)
        if guardian is not None:
            _guardian_create(locked, guardian)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CLIENT_UPDATED,
            target=f"client:{locked.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return locked


def _require_role(user: User, organisation_id: object, role: AccessRole, message: str) -> None:
    if role not in roles_in(user, organisation_id):
        raise ValidationError(message, code="role")


def client_assign(
    *, actor: Actor, client: Client, therapist: User, request: HttpRequest | None = None
) -> ClientAssignment:
    """Give the client a therapist of the practice from now on."""
    allow(actor, Action.UPDATE, client_admin_resource(client), request, "assign this client")
    _require_role(
        therapist,
        client.organisation_id,
        AccessRole.SPECIALIST,
        "Clients can only be assigned to a therapist of this practice.",
    )
    with transaction.atomic():
        locked = lock_rows(Client.objects.all()).get(pk=client.pk)
        if ClientAssignment.objects.filter(
            client=locked, therapist=therapist, until__isnull=True
        ).exists():
            raise ValidationError(
                "This therapist already works with this client.", code="already_assigned"
            )
        assignment = ClientAssignment.objects.create(client=locked, therapist=therapist)
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CLIENT_ASSIGNED,
            target=f"client:{locked.pk}",
            purpose=purpose_of(actor).value,
            reason=f"therapist user:{therapist.pk}",
            request=request,
        )
    return assignment


def client_unassign(
    *, actor: Actor, client: Client, therapist: User, request: HttpRequest | None = None
) -> ClientAssignment:
    """End a therapist's current assignment to the client; the history stays."""
    allow(
        actor,
        Action.UPDATE,
        client_admin_resource(client),
        request,
        "change this client's therapists",
    )
    with transaction.atomic():
        current = (
            lock_rows(ClientAssignment.objects.all())
            .filter(client_id=client.pk, therapist_id=therapist.pk, until__isnull=True)
            .first()
        )
        if current is None:
            raise ValidationError(
                "This therapist is not working with this client.", code="not_assigned"
            )
        current.until = clock.now()
        current.save(update_fields=["until"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CLIENT_UNASSIGNED,
            target=f"client:{client.pk}",
            purpose=purpose_of(actor).value,
            reason=f"therapist user:{therapist.pk}",
            request=request,
        )
        case_work_end_with_member(actor=actor, client=client, therapist=therapist, request=request)
    return current


def supervision_start(
    *, actor: Actor, organisation: Organisation, supervisor: User, supervisee: User
) -> Supervision:
    """Record that ``supervisor`` clinically supervises the therapist ``supervisee``."""
    resource = Resource(
        kind=ResourceKind.ORG_CONFIG,
        reference=f"supervision:{organisation.pk}",
        organisation_id=organisation.pk,
    )
    if not can(actor, Action.CREATE, resource, Purpose.SERVICE_ADMINISTRATION):
        raise PermissionDenied("You may not set up supervision at this practice.")
    if supervisor.pk == supervisee.pk:
        raise ValidationError("Nobody supervises themselves.", code="self")
    _require_role(
        supervisor,
        organisation.pk,
        AccessRole.CLINICAL_SUPERVISOR,
        "The supervisor needs the clinical supervisor role at this practice.",
    )
    _require_role(
        supervisee,
        organisation.pk,
        AccessRole.SPECIALIST,
        "Only a therapist of this practice can be supervised.",
    )
    with transaction.atomic():
        if Supervision.objects.filter(
            organisation=organisation,
            supervisor=supervisor,
            supervisee=supervisee,
            until__isnull=True,
        ).exists():
            raise ValidationError("This supervision is already recorded.", code="duplicate")
        supervision = Supervision.objects.create(
            organisation=organisation, supervisor=supervisor, supervisee=supervisee
        )
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_SUPERVISION_STARTED,
            target=f"supervision:{supervision.pk}",
            purpose=Purpose.SERVICE_ADMINISTRATION.value,
            reason=f"supervisor user:{supervisor.pk}, therapist user:{supervisee.pk}",
        )
    return supervision


def pnote_keys_shred(*, actor: Actor, client: Client) -> int:
    """Shred every author's psychotherapy-note key for one client (part of its erasure)."""
    subjects = list(
        DataKey.objects.filter(
            subject__startswith="pnote:", subject__endswith=f":{client.pk}"
        ).values_list("subject", flat=True)
    )
    for subject in subjects:
        datakey_shred(actor=actor, subject=subject)
    return len(subjects)


def _discharge_resource(actor: Actor, client: Client) -> Resource:
    """The front desk discharges as practice administration; a therapist as the clinical record.

    A therapist may end their own client's care, which is a clinical
    decision on the record (READ/UPDATE for ASSIGNED), without gaining the
    front desk's right to change demographics. Billing and supervisors hold
    neither, so the policy refuses them.
    """
    if isinstance(actor, SystemActor):
        return client_admin_resource(client, "discharge")
    if AccessRole.FRONT_DESK in roles_in(actor, client.organisation_id):
        return client_admin_resource(client, "discharge")
    return client_record_resource(client)


def client_discharge(
    *,
    actor: Actor,
    client: Client,
    reason_code: str,
    request: HttpRequest | None = None,
) -> Discharge:
    """Discharge a client: care ends today, with the assignments and future appointments; audited.

    Future appointments are cancelled, not left booked: nobody is reminded of
    a session that will not happen, and the therapists' time is free again.
    Re-admission does not bring them back; the front desk books anew.
    """
    allow(
        actor,
        Action.UPDATE,
        _discharge_resource(actor, client),
        request,
        "discharge this client",
    )
    if reason_code not in DischargeReason.values:
        raise ValidationError(
            {"reason_code": "Choose why the client is discharged from the list."},
            code="reason",
        )
    with transaction.atomic():
        locked = lock_rows(Client.objects.all()).get(pk=client.pk)
        if locked.status == ClientStatus.DISCHARGED:
            raise ValidationError(
                f"Client {locked.code} was discharged already, on {locked.discharged_on}.",
                code="discharged",
            )
        now = clock.now()
        locked.status = ClientStatus.DISCHARGED
        locked.discharged_on = _today()
        locked.discharge_reason = reason_code
        locked.save(update_fields=["status", "discharged_on", "discharge_reason"])
        # Nobody keeps working with a discharged client: reading the record
        # afterwards needs a fresh assignment (a re-admission) or break-glass.
        ended = ClientAssignment.objects.filter(client=locked, until__isnull=True).update(until=now)
        # The reason stays in the encrypted column: a trail reader learns
        # only that the care ended, and how many assignments went with it.
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CLIENT_DISCHARGED,
            target=f"client:{locked.pk}",
            purpose=purpose_of(actor).value,
            reason=f"assignments ended {ended}",
            request=request,
        )
        # A joint session to come goes on with the case's other members;
        # only what is the discharged client's alone is cancelled.
        joint_appointments_hand_over(
            actor=actor,
            client=locked,
            erasing=False,
            request=request,
            reason=HANDED_OVER_DISCHARGED,
        )
        cancelled = _cancel_future_appointments(actor, locked, now, request)
    return Discharge(client=locked, appointments_cancelled=cancelled)


def _cancel_future_appointments(
    actor: Actor, client: Client, now: dt.datetime, request: HttpRequest | None
) -> int:
    """Cancel the client's booked appointments from ``now`` on, each audited as a cancellation."""
    future = lock_rows(
        Appointment.objects.filter(
            client=client, status=AppointmentStatus.BOOKED, start__gte=now
        ).order_by("start")
    )
    count = 0
    for appointment in future:
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancel_reason = CancelReason.DISCHARGED
        appointment.save(update_fields=["status", "cancel_reason"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_APPOINTMENT_CANCELLED,
            target=f"appointment:{appointment.pk}",
            purpose=purpose_of(actor).value,
            reason=CancelReason.DISCHARGED.value,
            request=request,
        )
        count += 1
    return count


def client_readmit(*, actor: Actor, client: Client, request: HttpRequest | None = None) -> Client:
    """Take a discharged client back into care (the front desk); therapists are assigned anew."""
    # Billing may change administration too, but whether someone is in care
    # is the front desk's call (and a job's, for the demo).
    if not isinstance(actor, SystemActor) and AccessRole.FRONT_DESK not in roles_in(
        actor, client.organisation_id
    ):
        raise PermissionDenied("Only the front desk re-admits a client.")
    allow(
        actor,
        Action.UPDATE,
        client_admin_resource(client, "discharge"),
        request,
        "re-admit this client",
    )
    with transaction.atomic():
        locked = lock_rows(Client.objects.all()).get(pk=client.pk)
        if locked.status != ClientStatus.DISCHARGED:
            raise ValidationError(
                f"Client {locked.code} is in care: there is nothing to re-admit.",
                code="active",
            )
        locked.status = ClientStatus.ACTIVE
        locked.discharged_on = None
        locked.discharge_reason = None
        locked.save(update_fields=["status", "discharged_on", "discharge_reason"])
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CLIENT_READMITTED,
            target=f"client:{locked.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
    return locked


def client_erase(*, actor: Actor, client: Client, request: HttpRequest | None = None) -> None:
    """Erase a client: shred their data key, then delete their rows; audited in one go.

    Shredding comes first and is what makes the erasure provable: every
    intake and guardian field is ciphertext under that one key, so any copy
    of those rows (a backup, a replica, a WAL) no longer opens either.
    """
    allow(actor, Action.DELETE, client_record_resource(client), request, "erase this client")
    with transaction.atomic():
        locked = lock_rows(Client.objects.all()).filter(pk=client.pk).first()
        if locked is None:
            return
        # Under the client's lock, which a hold on the client takes too: a
        # hold and an erasure never cross.
        if client_held(locked):
            raise ClientHeld(
                f"A legal hold is in force on client {locked.code}, so the record cannot be "
                "erased yet. The privacy officer lifts the hold once it is no longer needed.",
                code="held",
            )
        # Written ahead of the commit, inside the transaction: a restore of
        # any older backup erases the client again (docs/backups.md).
        client_tombstone_write(locked)
        datakey_shred(actor=actor, subject=locked.dek_subject)
        # Psychotherapy notes are under keys of their own, one per author:
        # the erasure must reach those too. Their rows go with the client.
        pnote_keys_shred(actor=actor, client=locked)
        # A joint session of a couple or family is the other members' too:
        # it moves to one of them instead of going with this client's rows.
        joint_appointments_hand_over(actor=actor, client=locked, request=request, erasing=True)
        # The name tokens would still confirm a guessed name: they go too.
        ClientNameToken.objects.filter(client=locked).delete()
        ClientAssignment.objects.filter(client=locked).delete()
        # The apps above (the portal: the client's own login, their
        # guardians' logins) erase what they keep about the client, in this
        # transaction; the guardians are still there for them to find.
        CLIENT_ERASING.emit(ClientErasing(client=locked))
        Guardian.objects.filter(client=locked).delete()
        locked.delete()
        audit_record(
            actor=actor,
            event=EventType.PRACTICE_CLIENT_ERASED,
            target=f"client:{client.pk}",
            purpose=purpose_of(actor).value,
            request=request,
        )
