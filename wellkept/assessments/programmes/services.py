"""Writes: programmes, their check-in schedules and support resources.

Every service asks the access policy (``can``, which records the decision)
before its transaction opens, then validates, saves and writes a
``config.changed`` event in one transaction. Events say what changed
(fields, instrument codes, kinds), never the text an administrator typed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.http import HttpRequest

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.resources import Resource
from wellkept.actors import Actor
from wellkept.assessments.models import (
    CheckIn,
    Frequency,
    Programme,
    ProgrammeStatus,
    Schedule,
    SupportKind,
    SupportResource,
)
from wellkept.assessments.programmes.selectors import (
    PURPOSE,
    opening_problems,
    programme_resource,
    programmes_resource,
)
from wellkept.assessments.programmes.validation import (
    DESCRIPTION_MAX,
    PROGRAMME_NAME_MAX,
    RESOURCE_NAME_MAX,
    SCHEDULE_NAME_MAX,
    WELCOME_MAX,
    clean_contact,
    clean_frequency,
    clean_instruments,
    clean_kind,
    clean_paragraphs,
    clean_schedule_slug,
    clean_text,
    clean_units,
)
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record, lock_rows
from wellkept.orgs.models import Organisation, Unit


def _require(actor: Actor, action: Action, resource: Resource, request: HttpRequest | None) -> None:
    # Called before the service's transaction opens: a refusal raises, and
    # inside the transaction it would roll its own audit entry back with it.
    if not can(actor, action, resource, PURPOSE, request=request):
        raise PermissionDenied("Only a system administrator of the organisation can do this.")


def _changed(actor: Actor, programme: Programme, reason: str, request: HttpRequest | None) -> None:
    audit_record(
        actor=actor,
        event=EventType.CONFIG_CHANGED,
        target=f"programme:{programme.pk}",
        purpose=PURPOSE.value,
        reason=reason,
        request=request,
    )


def _lock(programme: Programme) -> Programme:
    """Re-read the programme under a row lock, so two administrators' changes queue."""
    return lock_rows(Programme.objects.all()).select_related("organisation").get(pk=programme.pk)


def _next_position(rows: models.QuerySet[Any]) -> int:
    highest = rows.aggregate(highest=Max("position"))["highest"]
    return 0 if highest is None else highest + 1


def _unique_name(organisation: Organisation, name: str, exclude: Any = None) -> None:
    clash = Programme.objects.filter(organisation=organisation, name__iexact=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError(
            f"{organisation.name} already has a programme called {name!r}. Choose another name.",
            code="duplicate_name",
        )


def programme_create(
    *,
    actor: Actor,
    organisation: Organisation,
    name: str,
    welcome: str = "",
    units: Iterable[Unit] = (),
    request: HttpRequest | None = None,
) -> Programme:
    """Create a draft programme for the organisation; it asks nobody anything until opened."""
    _require(actor, Action.CREATE, programmes_resource(organisation), request)
    with transaction.atomic():
        name = clean_text(name, what="programme name", maximum=PROGRAMME_NAME_MAX)
        welcome = clean_paragraphs(welcome, what="welcome text", maximum=WELCOME_MAX)
        chosen = clean_units(organisation, units)
        _unique_name(organisation, name)
        programme = Programme.objects.create(
            organisation=organisation, name=name, welcome=welcome, status=ProgrammeStatus.DRAFT
        )
        programme.units.set(chosen)
        _changed(actor, programme, f"programme created (draft, {len(chosen)} units)", request)
    return programme


def programme_update(
    *,
    actor: Actor,
    programme: Programme,
    name: str,
    welcome: str,
    units: Iterable[Unit],
    request: HttpRequest | None = None,
) -> Programme:
    """Change the programme's name, welcome text and taking-part units."""
    _require(actor, Action.UPDATE, programme_resource(programme), request)
    with transaction.atomic():
        locked = _lock(programme)
        organisation = locked.organisation
        name = clean_text(name, what="programme name", maximum=PROGRAMME_NAME_MAX)
        welcome = clean_paragraphs(welcome, what="welcome text", maximum=WELCOME_MAX)
        chosen = clean_units(organisation, units)
        _unique_name(organisation, name, exclude=locked.pk)
        if locked.status == ProgrammeStatus.OPEN and not chosen:
            raise ValidationError(
                f"{locked.name} is open, so at least one unit must take part. Keep a unit, or "
                "close the programme first.",
                code="no_units",
            )
        before = set(locked.units.values_list("pk", flat=True))
        after = {unit.pk for unit in chosen}
        changes = []
        fields = []
        if name != locked.name:
            locked.name = name
            fields.append("name")
        if welcome != locked.welcome:
            locked.welcome = welcome
            fields.append("welcome")
        changes.extend(fields)
        if before != after:
            locked.units.set(chosen)
            changes.append(f"units (+{len(after - before)} -{len(before - after)})")
        if not changes:
            return locked
        if fields:
            locked.save(update_fields=fields)
        _changed(actor, locked, "programme changed: " + ", ".join(changes), request)
    return locked


def programme_open(
    *, actor: Actor, programme: Programme, request: HttpRequest | None = None
) -> Programme:
    """Open the programme to clinicians; an organisation runs one programme at a time."""
    _require(actor, Action.UPDATE, programme_resource(programme), request)
    with transaction.atomic():
        # Lock every programme of the organisation: two programmes opened at
        # the same moment must not both pass the "none open" check.
        list(
            lock_rows(Programme.objects.all())
            .filter(organisation_id=programme.organisation_id)
            .values_list("pk", flat=True)
        )
        locked = _lock(programme)
        if locked.status == ProgrammeStatus.OPEN:
            return locked  # a repeated confirmation: nothing more to do
        other = (
            Programme.objects.filter(
                organisation_id=locked.organisation_id, status=ProgrammeStatus.OPEN
            )
            .exclude(pk=locked.pk)
            .first()
        )
        if other is not None:
            raise ValidationError(
                f"Close {other.name} first: {locked.organisation.name} runs one programme at a "
                "time, so that nobody is asked which programme their answers belong to.",
                code="another_open",
            )
        problems = opening_problems(locked)
        if problems:
            raise ValidationError([f"{locked.name} cannot open yet.", *problems], code="incomplete")
        was = locked.status
        locked.status = ProgrammeStatus.OPEN
        try:
            with transaction.atomic():
                locked.save(update_fields=["status"])
        except IntegrityError:
            # The database's one-open-programme constraint caught a race.
            raise ValidationError(
                "Another programme was opened a moment ago. Close it first.", code="another_open"
            ) from None
        _changed(actor, locked, f"programme opened (was {was})", request)
    return locked


def programme_close(
    *, actor: Actor, programme: Programme, request: HttpRequest | None = None
) -> Programme:
    """Close an open programme: no new check-ins or reminders; answers already given stay."""
    _require(actor, Action.UPDATE, programme_resource(programme), request)
    with transaction.atomic():
        locked = _lock(programme)
        if locked.status == ProgrammeStatus.CLOSED:
            return locked  # a repeated confirmation: nothing more to do
        if locked.status != ProgrammeStatus.OPEN:
            raise ValidationError(
                f"{locked.name} is a draft and was never opened, so there is nothing to close.",
                code="not_open",
            )
        locked.status = ProgrammeStatus.CLOSED
        locked.save(update_fields=["status"])
        _changed(actor, locked, "programme closed", request)
    return locked


def schedule_add(
    *,
    actor: Actor,
    programme: Programme,
    name: str,
    frequency: Frequency | str,
    instruments: Sequence[str],
    slug: str | None = None,
    request: HttpRequest | None = None,
) -> Schedule:
    """Add a recurring check-in: questionnaires asked in the order given, and how often."""
    _require(actor, Action.UPDATE, programme_resource(programme), request)
    with transaction.atomic():
        locked = _lock(programme)
        name = clean_text(name, what="check-in name", maximum=SCHEDULE_NAME_MAX)
        slug = clean_schedule_slug(slug, name=name)
        chosen_frequency = clean_frequency(frequency)
        codes = clean_instruments(instruments)
        if locked.schedules.filter(slug=slug).exists():
            raise ValidationError(
                f"{locked.name} already has a check-in with the identifier {slug!r}. Choose "
                "another name.",
                code="duplicate_slug",
            )
        schedule = Schedule.objects.create(
            programme=locked,
            slug=slug,
            name=name,
            frequency=chosen_frequency,
            instruments=codes,
            position=_next_position(locked.schedules.all()),
        )
        _changed(
            actor,
            locked,
            f"check-in {slug!r} added: {', '.join(codes)}; {chosen_frequency.value}",
            request,
        )
    return schedule


def schedule_update(
    *,
    actor: Actor,
    schedule: Schedule,
    name: str,
    frequency: Frequency | str,
    instruments: Sequence[str],
    request: HttpRequest | None = None,
) -> Schedule:
    """Change a check-in's name, frequency or questionnaires; its identifier stays."""
    programme = schedule.programme
    _require(
        actor, Action.UPDATE, programme_resource(programme, f"schedule:{schedule.pk}"), request
    )
    with transaction.atomic():
        _lock(programme)
        locked = lock_rows(Schedule.objects.all()).get(pk=schedule.pk)
        name = clean_text(name, what="check-in name", maximum=SCHEDULE_NAME_MAX)
        chosen_frequency = clean_frequency(frequency)
        codes = clean_instruments(instruments)
        fields = []
        if name != locked.name:
            locked.name = name
            fields.append("name")
        if chosen_frequency != locked.frequency:
            locked.frequency = chosen_frequency
            fields.append("frequency")
        if codes != list(locked.instruments):
            locked.instruments = codes
            fields.append("instruments")
        if not fields:
            return locked
        locked.save(update_fields=fields)
        _changed(
            actor,
            programme,
            f"check-in {locked.slug!r} changed: {', '.join(fields)} "
            f"(now {', '.join(codes)}; {chosen_frequency.value})",
            request,
        )
    return locked


def schedule_remove(
    *, actor: Actor, schedule: Schedule, request: HttpRequest | None = None
) -> None:
    """Remove a check-in nobody has used yet."""
    programme = schedule.programme
    _require(
        actor, Action.DELETE, programme_resource(programme, f"schedule:{schedule.pk}"), request
    )
    with transaction.atomic():
        locked_programme = _lock(programme)
        locked = lock_rows(Schedule.objects.all()).get(pk=schedule.pk)
        if (
            locked_programme.status != ProgrammeStatus.DRAFT
            or CheckIn.objects.filter(schedule=locked).exists()
        ):
            # Answers are filed under their check-in; removing it would orphan
            # them. The rule is "ever opened", not "has answers", so the
            # message says nothing about whether anyone took part.
            raise ValidationError(
                f"The check-in {locked.name!r} cannot be removed once the programme has been "
                "opened: answers may be filed under it. To stop asking it, close the programme "
                "and open a new one without it.",
                code="has_checkins",
            )
        if (
            locked_programme.status == ProgrammeStatus.OPEN
            and locked_programme.schedules.exclude(pk=locked.pk).count() == 0
        ):
            raise ValidationError(
                f"{locked_programme.name} is open, so it must keep at least one check-in. Add "
                "another one first, or close the programme.",
                code="last_schedule",
            )
        slug = locked.slug
        locked.delete()
        _changed(actor, locked_programme, f"check-in {slug!r} removed", request)


def _keeps_a_crisis_line(programme: Programme, without: SupportResource) -> None:
    if programme.status != ProgrammeStatus.OPEN:
        return
    others = programme.resources.filter(kind=SupportKind.CRISIS).exclude(pk=without.pk)
    if not others.exists():
        raise ValidationError(
            f"{programme.name} is open, so it must keep at least one crisis line: it is shown "
            "at once whenever an answer signals risk. Add another crisis line first.",
            code="last_crisis_line",
        )


def support_resource_add(
    *,
    actor: Actor,
    programme: Programme,
    kind: SupportKind | str,
    name: str,
    contact: str,
    description: str = "",
    request: HttpRequest | None = None,
) -> SupportResource:
    """Add a crisis line or support service that participants see with their results."""
    _require(actor, Action.UPDATE, programme_resource(programme), request)
    with transaction.atomic():
        locked = _lock(programme)
        chosen_kind = clean_kind(kind)
        name = clean_text(name, what="name", maximum=RESOURCE_NAME_MAX)
        contact = clean_contact(contact)
        description = clean_paragraphs(description, what="description", maximum=DESCRIPTION_MAX)
        resource = SupportResource.objects.create(
            programme=locked,
            kind=chosen_kind,
            name=name,
            contact=contact,
            description=description,
            position=_next_position(locked.resources.filter(kind=chosen_kind)),
        )
        _changed(actor, locked, f"{chosen_kind.value} resource {resource.pk} added", request)
    return resource


def support_resource_update(
    *,
    actor: Actor,
    resource: SupportResource,
    kind: SupportKind | str,
    name: str,
    contact: str,
    description: str,
    request: HttpRequest | None = None,
) -> SupportResource:
    """Change a crisis line or support service."""
    programme = resource.programme
    _require(
        actor, Action.UPDATE, programme_resource(programme, f"resource:{resource.pk}"), request
    )
    with transaction.atomic():
        locked_programme = _lock(programme)
        locked = lock_rows(SupportResource.objects.all()).get(pk=resource.pk)
        chosen_kind = clean_kind(kind)
        name = clean_text(name, what="name", maximum=RESOURCE_NAME_MAX)
        contact = clean_contact(contact)
        description = clean_paragraphs(description, what="description", maximum=DESCRIPTION_MAX)
        if locked.kind == SupportKind.CRISIS and chosen_kind != SupportKind.CRISIS:
            _keeps_a_crisis_line(locked_programme, locked)
        fields = []
        for field, value in (
            ("kind", chosen_kind.value),
            ("name", name),
            ("contact", contact),
            ("description", description),
        ):
            if getattr(locked, field) != value:
                setattr(locked, field, value)
                fields.append(field)
        if not fields:
            return locked
        if "kind" in fields:
            locked.position = _next_position(
                locked_programme.resources.filter(kind=chosen_kind).exclude(pk=locked.pk)
            )
            fields.append("position")
        locked.save(update_fields=fields)
        _changed(
            actor,
            locked_programme,
            f"{chosen_kind.value} resource {locked.pk} changed: "
            + ", ".join(f for f in fields if f != "position"),
            request,
        )
    return locked


def support_resource_remove(
    *, actor: Actor, resource: SupportResource, request: HttpRequest | None = None
) -> None:
    """Remove a crisis line or support service (an open programme keeps one crisis line)."""
    programme = resource.programme
    _require(
        actor, Action.DELETE, programme_resource(programme, f"resource:{resource.pk}"), request
    )
    with transaction.atomic():
        locked_programme = _lock(programme)
        locked = lock_rows(SupportResource.objects.all()).get(pk=resource.pk)
        if locked.kind == SupportKind.CRISIS:
            _keeps_a_crisis_line(locked_programme, locked)
        kind, pk = locked.kind, locked.pk
        locked.delete()
        _changed(actor, locked_programme, f"{kind} resource {pk} removed", request)
