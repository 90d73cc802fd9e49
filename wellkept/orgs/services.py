"""Writes for organisations, units, shift types, staff roles and participants.

Every function is keyword-only, takes the acting ``actor`` and runs in one
transaction. Until the access-policy module exists, each service checks its
own narrow rule (who may manage an organisation, who may enrol whom) and
raises PermissionDenied; bad input raises ValidationError with a message that
says what is wrong and what to do.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_slug
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from wellkept.accounts.models import User
from wellkept.actors import Actor, PseudonymousActor, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.hooks import PARTICIPANT_MOVED, ParticipantMoved
from wellkept.orgs.models import (
    Organisation,
    Participant,
    Role,
    RoleCategory,
    ShiftType,
    StaffMembership,
    Unit,
    UnitKind,
)
from wellkept.orgs.pseudonyms import login_link_for
from wellkept.orgs.selectors import user_has_role

NAME_MAX = 200
SLUG_MAX = 60


def _clean_name(value: str, *, what: str) -> str:
    name = " ".join(str(value).split())
    if not name:
        raise ValidationError(f"The {what} needs a name.", code="required")
    if len(name) > NAME_MAX:
        raise ValidationError(
            f"The {what} name is {len(name)} characters long; shorten it to {NAME_MAX} or fewer.",
            code="max_length",
        )
    return name


def _clean_slug(value: str | None, *, name: str, what: str) -> str:
    slug = slugify(name)[:SLUG_MAX].strip("-") if value is None else value.strip()
    if not slug:
        raise ValidationError(
            f"A short identifier (slug) for the {what} cannot be made from {name!r}: "
            "give the name some letters or digits, or give a slug.",
            code="invalid_slug",
        )
    try:
        validate_slug(slug)
    except ValidationError:
        raise ValidationError(
            f"{slug!r} is not a valid identifier for the {what}: use only letters, digits, "
            "hyphens and underscores.",
            code="invalid_slug",
        ) from None
    if len(slug) > SLUG_MAX:
        raise ValidationError(
            f"The identifier {slug!r} is too long; use {SLUG_MAX} characters or fewer.",
            code="max_length",
        )
    return slug


def _require_manager(actor: Actor, organisation: Organisation, action: str) -> None:
    # Commands act on the installation's authority; people need the
    # organisation's system-administrator role.
    if isinstance(actor, SystemActor):
        return
    # is_active as in accounts' invitation check: a deactivated admin is nobody.
    if getattr(actor, "is_active", False) and user_has_role(
        actor, organisation=organisation, role=Role.SYSTEM_ADMIN
    ):
        return
    raise PermissionDenied(f"Only a system administrator of {organisation} may {action}.")


def _require_active_user(user: Any) -> None:
    if not isinstance(user, User) or user.pk is None:
        raise ValidationError("This is not a saved login.", code="invalid_user")
    if not user.is_active:
        raise ValidationError(
            "This login is deactivated. Reactivate it before giving it a role or enrolling it.",
            code="inactive_user",
        )


# --- Organisations ----------------------------------------------------------


@transaction.atomic
def organisation_create(
    *, actor: Actor, name: str, slug: str | None = None, is_demo: bool = False
) -> Organisation:
    """Create an organisation (installation-level: commands only)."""
    if not isinstance(actor, SystemActor):
        # No in-app role spans organisations; creating one is an operator's
        # act on the command line.
        raise PermissionDenied("Organisations are created by an operator with a command.")
    name = _clean_name(name, what="organisation")
    slug = _clean_slug(slug, name=name, what="organisation")
    if Organisation.objects.filter(slug=slug).exists():
        raise ValidationError(
            f"An organisation with the identifier {slug!r} already exists. Choose another slug.",
            code="duplicate",
        )
    organisation = Organisation.objects.create(name=name, slug=slug, is_demo=is_demo)
    audit_record(
        actor=actor,
        event=EventType.CONFIG_CHANGED,
        target=f"organisation:{organisation.pk}",
        reason="organisation created",
    )
    return organisation


# --- Units --------------------------------------------------------------------


def _validate_nesting(*, organisation: Organisation, kind: UnitKind, parent: Unit | None) -> None:
    if parent is None:
        if kind is not UnitKind.HOSPITAL:
            raise ValidationError(
                f"A {kind.label.lower()} must sit inside a parent unit. Choose its hospital, "
                "division or department as the parent.",
                code="needs_parent",
            )
        return
    if kind is UnitKind.HOSPITAL:
        raise ValidationError(
            "A hospital is the top of a tree and cannot have a parent. Leave the parent empty.",
            code="hospital_has_parent",
        )
    if parent.organisation_id != organisation.pk:
        raise ValidationError(
            f"The parent unit {parent.name!r} belongs to another organisation. Choose a "
            f"parent from {organisation.name}.",
            code="foreign_parent",
        )
    parent_kind = UnitKind(parent.kind)
    if kind.depth <= parent_kind.depth:
        allowed = ", ".join(k.label.lower() for k in UnitKind if k.depth < kind.depth)
        raise ValidationError(
            f"A {kind.label.lower()} cannot sit inside a {parent_kind.label.lower()}: units "
            f"nest hospital → division → department → unit. Choose a parent that is a {allowed}.",
            code="bad_nesting",
        )


@transaction.atomic
def unit_create(
    *,
    actor: Actor,
    organisation: Organisation,
    name: str,
    kind: UnitKind | str,
    parent: Unit | None = None,
    slug: str | None = None,
) -> Unit:
    """Add a unit to the organisation's tree, under ``parent`` (None for a hospital)."""
    _require_manager(actor, organisation, "change its units")
    try:
        unit_kind = UnitKind(kind)
    except ValueError:
        raise ValidationError(
            f"{kind!r} is not a kind of unit. Use one of: {', '.join(UnitKind.values)}.",
            code="invalid_kind",
        ) from None
    name = _clean_name(name, what="unit")
    slug = _clean_slug(slug, name=name, what="unit")
    _validate_nesting(organisation=organisation, kind=unit_kind, parent=parent)
    path = f"{parent.path if parent else ''}{slug}/"
    if Unit.objects.filter(organisation=organisation, path=path).exists():
        where = f"inside {parent.name}" if parent else "at the top of the tree"
        raise ValidationError(
            f"There is already a unit with the identifier {slug!r} {where}. "
            "Choose another name or slug.",
            code="duplicate",
        )
    unit = Unit.objects.create(
        organisation=organisation,
        parent=parent,
        kind=unit_kind,
        name=name,
        slug=slug,
        path=path,
    )
    audit_record(
        actor=actor, event=EventType.CONFIG_CHANGED, target=f"unit:{unit.pk}", reason="unit created"
    )
    return unit


# --- Shift types ---------------------------------------------------------------


@transaction.atomic
def shift_type_create(
    *, actor: Actor, organisation: Organisation, code: str, name: str
) -> ShiftType:
    """Add a shift type (such as day, night or rotating) to the organisation."""
    _require_manager(actor, organisation, "change its shift types")
    name = _clean_name(name, what="shift type")
    code = _clean_slug(code, name=name, what="shift type")
    if len(code) > 32:
        raise ValidationError(
            f"The shift code {code!r} is too long; use 32 characters or fewer.",
            code="max_length",
        )
    if ShiftType.objects.filter(organisation=organisation, code=code).exists():
        raise ValidationError(
            f"{organisation.name} already has a shift type with the code {code!r}. "
            "Choose another code.",
            code="duplicate",
        )
    shift_type = ShiftType.objects.create(organisation=organisation, code=code, name=name)
    audit_record(
        actor=actor,
        event=EventType.CONFIG_CHANGED,
        target=f"shift_type:{shift_type.pk}",
        reason="shift type created",
    )
    return shift_type


# --- Staff roles ----------------------------------------------------------------


def _role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ValidationError(
            f"{role!r} is not a staff role. Use one of: {', '.join(Role.values)}.",
            code="invalid_role",
        ) from None


@transaction.atomic
def staff_membership_grant(
    *, actor: Actor, user: User, organisation: Organisation, role: Role | str
) -> StaffMembership:
    """Give ``user`` a staff role in the organisation."""
    _require_manager(actor, organisation, "grant staff roles")
    staff_role = _role(role)
    _require_active_user(user)
    if not isinstance(actor, SystemActor) and actor.pk == user.pk:
        # Separation of duties: an administrator who could grant themselves
        # the specialist or privacy-officer role could reach clinical data or
        # approve their own requests.
        raise PermissionDenied("Nobody may grant a role to themselves. Ask another administrator.")
    if StaffMembership.objects.filter(
        user=user, organisation=organisation, role=staff_role
    ).exists():
        raise ValidationError(
            f"This login already holds the role {staff_role.label} in {organisation.name}.",
            code="duplicate",
        )
    membership = StaffMembership.objects.create(
        user=user, organisation=organisation, role=staff_role
    )
    audit_record(
        actor=actor,
        event=EventType.GRANT_CREATED,
        target=f"user:{user.pk}",
        reason=f"role {staff_role.value} in organisation {organisation.pk}",
    )
    return membership


@transaction.atomic
def staff_membership_revoke(
    *, actor: Actor, user: User, organisation: Organisation, role: Role | str
) -> None:
    """Take a staff role in the organisation away from ``user``."""
    _require_manager(actor, organisation, "revoke staff roles")
    staff_role = _role(role)
    membership = (
        lock_rows(StaffMembership.objects.all())
        .filter(user=user, organisation=organisation, role=staff_role)
        .first()
    )
    if membership is None:
        raise ValidationError(
            f"This login does not hold the role {staff_role.label} in {organisation.name}; "
            "there is nothing to revoke.",
            code="not_held",
        )
    if staff_role is Role.SYSTEM_ADMIN:
        admins = lock_rows(StaffMembership.objects.all()).filter(
            organisation=organisation, role=Role.SYSTEM_ADMIN
        )
        # Fetch the rows: Django drops FOR UPDATE from count(), which would
        # let two administrators revoke each other at once.
        if len(admins.values_list("pk", flat=True)) == 1:
            raise ValidationError(
                f"This is the last system administrator of {organisation.name}; without one "
                "nobody could manage it. Grant the role to someone else first.",
                code="last_admin",
            )
    membership.delete()
    audit_record(
        actor=actor,
        event=EventType.GRANT_REVOKED,
        target=f"user:{user.pk}",
        reason=f"role {staff_role.value} in organisation {organisation.pk}",
    )


# --- Participants ------------------------------------------------------------------


def _role_category(value: RoleCategory | str) -> RoleCategory:
    try:
        return RoleCategory(value)
    except ValueError:
        raise ValidationError(
            f"{value!r} is not a role category. Use one of: {', '.join(RoleCategory.values)}.",
            code="invalid_role_category",
        ) from None


def _validate_placement(
    *, organisation: Organisation, unit: Unit | None, shift_type: ShiftType | None
) -> None:
    # A participant counted in another organisation's unit would leak their
    # answers into that organisation's aggregates.
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValidationError(
            f"The unit {unit.name!r} belongs to another organisation. Choose a unit of "
            f"{organisation.name}.",
            code="foreign_unit",
        )
    if shift_type is not None and shift_type.organisation_id != organisation.pk:
        raise ValidationError(
            f"The shift type {shift_type.name!r} belongs to another organisation. Choose one "
            f"of {organisation.name}'s shift types.",
            code="foreign_shift_type",
        )


@transaction.atomic
def participant_enrol(
    *,
    actor: Actor,
    user: User,
    organisation: Organisation,
    unit: Unit,
    shift_type: ShiftType,
    role_category: RoleCategory | str,
) -> Participant:
    """Enrol a login in the organisation's wellbeing programme under a new random token."""
    # Taking part is the clinician's own choice, so only they (or a command,
    # for imports and the demo) may enrol them. An administrator enrolling
    # someone would also learn which token belongs to whom.
    if not isinstance(actor, SystemActor) and actor.pk != user.pk:
        raise PermissionDenied("Clinicians enrol themselves; nobody can enrol someone else.")
    _require_active_user(user)
    category = _role_category(role_category)
    _validate_placement(organisation=organisation, unit=unit, shift_type=shift_type)
    link = login_link_for(user_pk=user.pk, organisation_pk=organisation.pk)
    already = ValidationError(
        f"This login is already enrolled in {organisation.name}. To change unit, shift or "
        "role, update the existing enrolment instead of enrolling again.",
        code="already_enrolled",
    )
    if Participant.objects.filter(login_link=link).exists():
        raise already
    try:
        with transaction.atomic():
            participant = Participant.objects.create(
                login_link=link,
                organisation=organisation,
                unit=unit,
                shift_type=shift_type,
                role_category=category,
            )
    except IntegrityError:
        # A concurrent request enrolled the same login between our check and
        # the insert; the unique link makes the second one fail here.
        raise already from None
    audit_record(
        actor=_as_participant(actor, participant),
        event=EventType.RECORD_CREATE,
        target=f"participant:{participant.token}",
        reason="enrolled",
    )
    return participant


def _as_participant(actor: Actor, participant: Participant) -> Actor:
    """Record a clinician's own action under their token, never their user id."""
    return actor if isinstance(actor, SystemActor) else PseudonymousActor(participant.token)


@transaction.atomic
def participant_move(
    *,
    actor: Actor,
    participant: Participant,
    unit: Unit | None = None,
    shift_type: ShiftType | None = None,
    role_category: RoleCategory | str | None = None,
) -> Participant:
    """Record that a participant changed unit, shift type or role category."""
    if not isinstance(actor, SystemActor):
        # Only the participant themself: their own login must produce the
        # row's link. compare_digest keeps the comparison constant-time.
        own = login_link_for(user_pk=actor.pk, organisation_pk=participant.organisation_id)
        if not hmac.compare_digest(own.encode(), participant.login_link.encode()):
            raise PermissionDenied("Only the participant can change their own enrolment.")
    _validate_placement(organisation=participant.organisation, unit=unit, shift_type=shift_type)
    moved = ParticipantMoved(
        participant=participant,
        before_unit_id=participant.unit_id,
        before_shift_type_id=participant.shift_type_id,
        before_role_category=participant.role_category,
    )
    changed: list[str] = []
    if unit is not None and unit.pk != participant.unit_id:
        participant.unit = unit
        changed.append("unit")
    if shift_type is not None and shift_type.pk != participant.shift_type_id:
        participant.shift_type = shift_type
        changed.append("shift_type")
    if role_category is not None:
        category = _role_category(role_category)
        if category != participant.role_category:
            participant.role_category = category
            changed.append("role_category")
    if not changed:
        raise ValidationError(
            "Nothing changed: give a different unit, shift type or role category.",
            code="no_change",
        )
    participant.save(update_fields=changed)
    # The enrolment counts (insights connects) move in the same transaction.
    PARTICIPANT_MOVED.emit(moved)
    audit_record(
        actor=_as_participant(actor, participant),
        event=EventType.RECORD_UPDATE,
        target=f"participant:{participant.token}",
        reason="moved: " + ", ".join(changed),
    )
    return participant
