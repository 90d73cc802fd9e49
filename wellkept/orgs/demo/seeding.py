"""Seed the demo organisation through the ordinary services, and find demo accounts.

All writes go through the accounts and orgs services and allauth's MFA API,
so the demo exercises the same code paths as a real installation.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.orgs import services
from wellkept.orgs.demo.people import (
    DEFAULT_PARTICIPANTS,
    DIVISIONS,
    ORGANISATION_NAME,
    ORGANISATION_SLUG,
    PARTICIPANT_PASSWORD,
    RANDOM_SEED,
    SHIFT_TYPES,
    STAFF,
    STAFF_PASSWORD,
    DemoPerson,
    demo_email,
    demo_people,
    demo_totp_secret,
)
from wellkept.orgs.models import Organisation, ShiftType, Unit, UnitKind
from wellkept.orgs.selectors import demo_organisation, participant_for_user

ACTOR = SystemActor("seed_demo")


class DemoError(Exception):
    """The demo cannot be seeded or used; the message says why and what to do."""


@dataclass(frozen=True)
class LoginRow:
    """One line of the printed login table."""

    role: str
    email: str
    password: str
    totp_secret: str | None


@dataclass(frozen=True)
class DemoSummary:
    organisation: Organisation
    created: bool
    participants: int
    departments: int
    logins: list[LoginRow]


def _refuse_in_production() -> None:
    if settings.PRODUCTION:
        raise DemoError(
            "The demo is for development only and is refused when WELLKEPT_ENV=production: "
            "it publishes its passwords and MFA secrets. Run it against a development setup."
        )


def _check_password(password: str, user: User) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise DemoError(
            f"The demo password {password!r} no longer passes the password rules "
            f"({' '.join(exc.messages)}). Change it in wellkept/orgs/demo.py."
        ) from None


@dataclass(frozen=True)
class PasswordState:
    """What ``User.set_password`` computed for one raw password, ready to copy."""

    encoded: str
    meets_single_factor: bool

    @classmethod
    def of(cls, raw_password: str) -> PasswordState:
        # Goes through the real set_password once, so whatever accounts
        # derives from a password is derived here exactly as for a person.
        template = User()
        template.set_password(raw_password)
        return cls(template.password, template.password_meets_single_factor)


def _create_login(email: str, display_name: str, password: PasswordState) -> User:
    user = User.objects.create_user(email, None, display_name=display_name)
    # Hashing a password with Argon2 takes tens of milliseconds; hashing the
    # same demo password hundreds of times would make seeding slow. Each
    # demo login therefore gets the one encoded hash computed up front. The
    # salt lives inside that encoding, so all demo accounts share a salt: that
    # only tells an attacker that they share a password, which the printed
    # table says anyway. Real accounts are always hashed one by one.
    user.password = password.encoded
    user.password_meets_single_factor = password.meets_single_factor
    user.save(update_fields=["password", "password_meets_single_factor"])
    return user


def _activate_mfa(user: User, secret: str) -> None:
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)


def _build_tree(org: Organisation) -> dict[tuple[str, str | None], Unit]:
    """Create the unit tree; return units keyed by (department, unit or None)."""
    hospital = services.unit_create(
        actor=ACTOR,
        organisation=org,
        name=ORGANISATION_NAME,
        kind=UnitKind.HOSPITAL,
        slug="st-brigids",
    )
    places: dict[tuple[str, str | None], Unit] = {}
    for division_name, departments in DIVISIONS:
        division = services.unit_create(
            actor=ACTOR,
            organisation=org,
            name=division_name,
            kind=UnitKind.DIVISION,
            parent=hospital,
        )
        for spec in departments:
            department = services.unit_create(
                actor=ACTOR,
                organisation=org,
                name=spec.name,
                kind=UnitKind.DEPARTMENT,
                parent=division,
            )
            places[(spec.name, None)] = department
            for unit_name in spec.units:
                places[(spec.name, unit_name)] = services.unit_create(
                    actor=ACTOR,
                    organisation=org,
                    name=unit_name,
                    kind=UnitKind.UNIT,
                    parent=department,
                )
    return places


def _totp_secret_of(user: User) -> str | None:
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    return str(decrypt(authenticator.data["secret"]))


# Shown instead of a TOTP secret that the account's owner replaced.
CHANGED_BY_OWNER = "changed by its owner"


def _login_rows(org: Organisation) -> list[LoginRow]:
    """Read the demo logins back from the database, so a re-run prints what is true now."""
    rows: list[LoginRow] = []
    for spec in STAFF:
        # Look the seeded accounts up by their own addresses: other people
        # invited into the demo hold the same roles, and their logins and
        # secrets are theirs, not the demo's.
        email = demo_email(spec.local_part)
        user = User.objects.get_by_email(email)
        if user is None or not org.memberships.filter(user=user, role=spec.role).exists():
            continue
        secret = _totp_secret_of(user)
        if secret is not None and secret != demo_totp_secret(email):
            secret = CHANGED_BY_OWNER
        rows.append(LoginRow(spec.role.label, email, STAFF_PASSWORD, secret))
    for person in demo_people(2):
        participant_user = User.objects.get_by_email(person.email)
        if participant_user is None:
            continue
        secret = _totp_secret_of(participant_user)
        if secret is not None and secret != demo_totp_secret(person.email):
            secret = CHANGED_BY_OWNER
        label = "Participant (MFA on)" if secret else "Participant"
        rows.append(LoginRow(label, person.email, PARTICIPANT_PASSWORD, secret))
    return rows


Progress = Callable[[list[Any], str], Iterable[Any]]


def demo_seed(
    *,
    participants: int = DEFAULT_PARTICIPANTS,
    progress: Progress | None = None,
) -> DemoSummary:
    """Create the demo organisation, or report the existing one unchanged.

    ``progress(items, label)`` may wrap the long loops, for a progress bar.
    """
    _refuse_in_production()
    if participants < 2:
        raise DemoError("The demo needs at least 2 participants; give --participants 2 or more.")
    existing = demo_organisation()
    if existing is not None:
        return DemoSummary(
            organisation=existing,
            created=False,
            participants=existing.participants.count(),
            departments=existing.units.filter(kind=UnitKind.DEPARTMENT).count(),
            logins=_login_rows(existing),
        )
    people = demo_people(participants)
    track: Progress = progress or (lambda items, _label: items)
    # One transaction: an interrupted seed leaves nothing behind, so the
    # next run starts clean instead of finding half a hospital.
    with transaction.atomic():
        org = services.organisation_create(
            actor=ACTOR, name=ORGANISATION_NAME, slug=ORGANISATION_SLUG, is_demo=True
        )
        places = _build_tree(org)
        shifts: dict[str, ShiftType] = {
            code: services.shift_type_create(actor=ACTOR, organisation=org, code=code, name=name)
            for code, name in SHIFT_TYPES
        }

        staff_hash = PasswordState.of(STAFF_PASSWORD)
        for spec in STAFF:
            email = demo_email(spec.local_part)
            user = _create_login(email, spec.display_name, staff_hash)
            _check_password(STAFF_PASSWORD, user)
            services.staff_membership_grant(
                actor=ACTOR, user=user, organisation=org, role=spec.role
            )
            _activate_mfa(user, demo_totp_secret(email))

        participant_hash = PasswordState.of(PARTICIPANT_PASSWORD)
        logins: list[tuple[DemoPerson, User]] = []
        for person in track(people, "Creating clinician logins"):
            user = _create_login(person.email, person.display_name, participant_hash)
            _check_password(PARTICIPANT_PASSWORD, user)
            logins.append((person, user))
        # Enrol in a different order from the one the logins were created in:
        # otherwise the row order of the two tables would pair each login
        # with its token, which is exactly the link the keyed HMAC hides.
        enrol_order = list(range(len(logins)))
        random.Random(RANDOM_SEED + 1).shuffle(enrol_order)  # noqa: S311 - see demo_people
        for index in track(enrol_order, "Enrolling participants"):
            person, user = logins[index]
            services.participant_enrol(
                actor=ACTOR,
                user=user,
                organisation=org,
                unit=places[(person.department, person.unit)],
                shift_type=shifts[person.shift_code],
                role_category=person.role_category,
            )
        # One participant with TOTP, so the "MFA offered, not required" path
        # for clinicians can be tried too.
        first_person, first_user = logins[0]
        _activate_mfa(first_user, demo_totp_secret(first_person.email))

    return DemoSummary(
        organisation=org,
        created=True,
        participants=len(people),
        departments=sum(len(specs) for _division, specs in DIVISIONS),
        logins=_login_rows(org),
    )


def demo_account(email: str) -> User:
    """Return a login that belongs to the demo organisation, or raise DemoError."""
    _refuse_in_production()
    # The typed address is not echoed: it may be a real person's.
    not_demo = DemoError(
        "There is no demo account with the e-mail address given. This command only works "
        "for accounts created by `wellkept seed_demo`."
    )
    org = demo_organisation()
    user = User.objects.get_by_email(email)
    if org is None or user is None:
        raise not_demo
    # Someone invited into the demo organisation enrols their own
    # authenticator: only an account still on its published demo secret
    # may have codes printed, or this command would hand out a real
    # person's second factor.
    secret = _totp_secret_of(user)
    if secret is not None and secret != demo_totp_secret(str(user.email)):
        raise not_demo
    if secret is None and Authenticator.objects.filter(user=user).exists():
        # A passkey-only account (allauth adds recovery codes with a
        # passkey) is someone's own, never a seeded one.
        raise not_demo
    if org.memberships.filter(user=user).exists():
        return user
    if participant_for_user(user=user, organisation=org) is not None:
        return user
    raise not_demo
