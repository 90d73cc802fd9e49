"""A synthetic organisation: its hospital, its open programme and notice, its participants."""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from wellkept.actors import SystemActor
from wellkept.assessments import programmes
from wellkept.assessments.models import Frequency, Programme, SupportKind
from wellkept.assessments.selectors import open_programme
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.audit.services import audit_record
from wellkept.consent.models import ConsentEvent, ConsentRecord, Notice
from wellkept.consent.selectors import current_notice
from wellkept.consent.services import decision_day, notice_publish
from wellkept.demo.bulk.base import SEED_ACTOR, SeedError, refuse_in_production
from wellkept.demo.people import DIVISIONS, SHIFT_MIX, SHIFT_TYPES, STAFFING_MIX, UNIT_BOUND
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Organisation, Participant, RoleCategory, ShiftType, Unit, UnitKind

# --- The programme every synthetic organisation runs ----------------------------


@dataclass(frozen=True)
class ScheduleSpec:
    slug: str
    name: str
    frequency: Frequency
    instruments: tuple[str, ...]


SCHEDULES: tuple[ScheduleSpec, ...] = (
    ScheduleSpec("weekly-pulse", "Weekly pulse", Frequency.WEEKLY, ("phq2", "burnout1")),
    ScheduleSpec(
        "monthly-check-in", "Monthly check-in", Frequency.MONTHLY, ("phq9", "gad7", "who5")
    ),
)

# Invented contacts: 0800 000 0xxx numbers and .invalid addresses reach nobody.
RESOURCES: tuple[tuple[SupportKind, str, str, str], ...] = (
    (
        SupportKind.CRISIS,
        "24-hour Crisis Line (demo)",
        "0800 000 0999 (demo number, not in service)",
        "Free and confidential, day and night, for anyone in distress. Fictional, for the demo.",
    ),
    (
        SupportKind.CRISIS,
        "Crisis Text Service (demo)",
        "Text DEMO to 00000 (demo number, not in service)",
        "If talking is hard, text a trained volunteer. Fictional, for the demo.",
    ),
    (
        SupportKind.SUPPORT,
        "Staff Support Line (demo)",
        "0800 000 0000 (demo number, not in service)",
        "Confidential counselling for staff, weekdays 8:00 to 20:00. Fictional, for the demo.",
    ),
    (
        SupportKind.SUPPORT,
        "Occupational Health Wellbeing Service (demo)",
        "wellbeing@demo.wellkept.invalid",
        "Self-referral for talking therapies and peer support. Fictional, for the demo.",
    ),
)

PROGRAMME_NAME = "Staff wellbeing programme"
PROGRAMME_WELCOME = (
    "A one-minute check-in each week and a slightly longer one each month. You see your "
    "results at once; leaders only ever see totals for groups of at least five people."
)


def programme_ensure(*, actor: SystemActor, organisation: Organisation) -> Programme:
    """Return the organisation's open programme, or set up and open the standard one."""
    existing = open_programme(organisation)
    if existing is not None:
        return existing
    roots = list(Unit.objects.filter(organisation=organisation, parent__isnull=True))
    with transaction.atomic():
        programme = programmes.programme_create(
            actor=actor,
            organisation=organisation,
            name=PROGRAMME_NAME,
            welcome=PROGRAMME_WELCOME,
            units=roots,
        )
        for spec in SCHEDULES:
            programmes.schedule_add(
                actor=actor,
                programme=programme,
                name=spec.name,
                slug=spec.slug,
                frequency=spec.frequency,
                instruments=spec.instruments,
            )
        for kind, name, contact, description in RESOURCES:
            programmes.support_resource_add(
                actor=actor,
                programme=programme,
                kind=kind,
                name=name,
                contact=contact,
                description=description,
            )
        return programmes.programme_open(actor=actor, programme=programme)


def notice_ensure(*, actor: SystemActor, organisation: Organisation, contact: str) -> Notice:
    """Return the organisation's current notice, publishing version 1 if there is none."""
    notice = current_notice(organisation)
    if notice is not None:
        return notice
    return notice_publish(actor=actor, organisation=organisation, privacy_contact=contact)


# --- A synthetic organisation for `wellkept seed` --------------------------------

SYNTHETIC_NAME = "Synthetic General Hospital"
SYNTHETIC_SLUG = "synthetic"
SYNTHETIC_CONTACT = "Privacy Office (synthetic): privacy@synthetic.wellkept.invalid"
ORGANISATION_CREATED = "organisation created"


def _created_by_seed(organisation: Organisation) -> bool:
    # The organisation's own creation event says who made it; no column is
    # needed, and a real organisation can never be mistaken for a synthetic one.
    return AuditEntry.objects.filter(
        event=EventType.CONFIG_CHANGED,
        target=f"organisation:{organisation.pk}",
        actor_label=str(SEED_ACTOR),
        reason=ORGANISATION_CREATED,
    ).exists()


def synthetic_organisation(*, slug: str = SYNTHETIC_SLUG) -> tuple[Organisation, bool]:
    """Return the synthetic organisation with this slug, creating it with its hospital.

    An existing organisation is reused only if `wellkept seed` or
    `seed_demo` created it: invented answers in a real organisation's
    aggregates would be indistinguishable from real ones.
    """
    refuse_in_production()
    existing = Organisation.objects.filter(slug=slug).first()
    if existing is not None:
        if not (existing.is_demo or _created_by_seed(existing)):
            raise SeedError(
                f"The organisation {slug!r} holds real data (it was not created by "
                "`wellkept seed` or `seed_demo`); synthetic check-ins are never added to it. "
                "Choose another --organisation slug."
            )
        return existing, False
    with transaction.atomic():
        org = org_services.organisation_create(actor=SEED_ACTOR, name=SYNTHETIC_NAME, slug=slug)
        hospital = org_services.unit_create(
            actor=SEED_ACTOR,
            organisation=org,
            name=SYNTHETIC_NAME,
            kind=UnitKind.HOSPITAL,
            slug=f"{slug}-hospital",
        )
        for division_name, departments in DIVISIONS:
            division = org_services.unit_create(
                actor=SEED_ACTOR,
                organisation=org,
                name=division_name,
                kind=UnitKind.DIVISION,
                parent=hospital,
            )
            for spec in departments:
                department = org_services.unit_create(
                    actor=SEED_ACTOR,
                    organisation=org,
                    name=spec.name,
                    kind=UnitKind.DEPARTMENT,
                    parent=division,
                )
                for unit_name in spec.units:
                    org_services.unit_create(
                        actor=SEED_ACTOR,
                        organisation=org,
                        name=unit_name,
                        kind=UnitKind.UNIT,
                        parent=department,
                    )
        for code, name in SHIFT_TYPES:
            org_services.shift_type_create(actor=SEED_ACTOR, organisation=org, code=code, name=name)
    return org, True


@dataclass(frozen=True)
class Placement:
    unit_id: Any
    shift_type_id: Any
    role_category: RoleCategory


def _placements(organisation: Organisation, rng: random.Random) -> Callable[[], Placement]:
    """Return a function drawing a plausible unit, shift and role, like the demo's people."""
    units = {u.path: u for u in Unit.objects.filter(organisation=organisation)}
    departments = {u.name: u for u in units.values() if u.kind == UnitKind.DEPARTMENT}
    shifts = {s.code: s.pk for s in ShiftType.objects.filter(organisation=organisation)}
    specs = [spec for _division, specs in DIVISIONS for spec in specs if spec.name in departments]
    if not specs or not shifts:
        raise SeedError(
            f"{organisation.name} does not have the synthetic hospital's departments and "
            "shift types; seed it with `wellkept seed` from the start."
        )
    children: dict[str, list[Unit]] = {}
    for unit in units.values():
        if unit.kind == UnitKind.UNIT and unit.parent_id is not None:
            children.setdefault(str(unit.parent_id), []).append(unit)
    weights = [spec.headcount for spec in specs]

    def draw() -> Placement:
        spec = rng.choices(specs, weights=weights)[0]
        department = departments[spec.name]
        mix = STAFFING_MIX[spec.staffing]
        category = rng.choices(list(mix), weights=list(mix.values()))[0]
        shift_mix = {c: w for c, w in SHIFT_MIX[spec.hours].items() if c in shifts}
        shift = rng.choices(list(shift_mix), weights=list(shift_mix.values()))[0]
        place = department
        below = children.get(str(department.pk), [])
        if below and (category in UNIT_BOUND or rng.random() < 0.4):
            place = rng.choice(below)
        return Placement(place.pk, shifts[shift], category)

    return draw


def seed_participants(
    *,
    organisation: Organisation,
    notice: Notice,
    count: int,
    enrolled_on: dt.date,
    rng: random.Random,
    actor: SystemActor = SEED_ACTOR,
) -> list[Any]:
    """Create ``count`` synthetic participants who consented to ``notice``; return their ids.

    About 70% allow follow-up contact and 60% safety alerts, as in the demo.
    One transaction and one ``data.seeded`` event, whatever the count.
    """
    refuse_in_production()
    if count < 1:
        raise SeedError("Give at least one participant to create.")
    if notice.organisation_id != organisation.pk:
        raise SeedError("The notice belongs to another organisation.")
    draw = _placements(organisation, rng)
    day = decision_day()
    ids: list[Any] = []
    follow_ups = alerts = 0
    with transaction.atomic():
        for start in range(0, count, 2000):
            people: list[Participant] = []
            consents: list[ConsentRecord] = []
            for _ in range(min(2000, count - start)):
                place = draw()
                participant = Participant(
                    # Synthetic people have no login, and participant_enrol
                    # needs one: it derives login_link from the login's id
                    # with the keyring's pseudonym secret. A random value of
                    # the same length is a link no login's HMAC will ever
                    # produce, so nobody can sign in as these people.
                    login_link=secrets.token_hex(32),
                    organisation=organisation,
                    unit_id=place.unit_id,
                    shift_type_id=place.shift_type_id,
                    role_category=place.role_category,
                    enrolled_on=enrolled_on,
                )
                follow_up = rng.random() < 0.70
                alert = rng.random() < 0.60
                follow_ups += follow_up
                alerts += alert
                people.append(participant)
                consents.append(
                    ConsentRecord(
                        participant=participant,
                        notice=notice,
                        event=ConsentEvent.GIVEN,
                        take_part=True,
                        follow_up_contact=follow_up,
                        safety_alert=alert,
                        sequence=1,
                        recorded_at=day,
                        method="synthetic (wellkept seed)",
                    )
                )
            Participant.objects.bulk_create(people)
            ConsentRecord.objects.bulk_create(consents)
            ids.extend(p.pk for p in people)
        audit_record(
            actor=actor,
            event=EventType.DATA_SEEDED,
            target=f"organisation:{organisation.pk}",
            reason=(
                f"{count} synthetic participants with consent to notice v{notice.version} "
                f"({follow_ups} follow-up contact, {alerts} safety alerts)"
            ),
        )
    return ids


def participants_by_id(ids: Sequence[Any], *, chunk: int = 500) -> Iterator[Participant]:
    """Yield participants in the order of ``ids``, loading a few hundred at a time."""
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        found = Participant.objects.in_bulk(part)
        for pk in part:
            if pk in found:
                yield found[pk]
