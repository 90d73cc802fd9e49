"""Seed the demo organisation through the ordinary services, and find demo accounts.

Organisation, logins, programme, notice, enrolments and consents go through
the accounts, orgs, assessments and consent services and allauth's MFA API,
so the demo exercises the same code paths as a real installation. Only the
year of past check-ins takes the bulk path (``demo.bulk``), which
stores them exactly as a check-in would, minus one audit event per row; and
the dates of the programme, its notice, the enrolments and their consents
are then moved back to the year the history covers (the audit trail keeps
the real time of the seed).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any, Protocol

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
from wellkept.assessments import periods
from wellkept.assessments.models import Frequency, Programme, SafetyAlert, today
from wellkept.assessments.selectors import open_programme
from wellkept.assessments.services import programme_join
from wellkept.consent.models import ConsentRecord, Notice

# A module import, not a name: demo.bulk reads the demo's hospital
# layout from this package, so each may be imported first.
from wellkept.demo import bulk as checkin_seeding
from wellkept.demo import practice as demo_practice
from wellkept.demo.people import (
    CLIENT_PASSWORD,
    DEFAULT_PARTICIPANTS,
    DIVISIONS,
    GUARDIAN_PASSWORD,
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
from wellkept.followup.models import Case
from wellkept.followup.services import case_open_for_alert
from wellkept.orgs import services
from wellkept.orgs.models import Clinician, Organisation, Participant, ShiftType, Unit, UnitKind
from wellkept.orgs.selectors import demo_organisation, participant_for_user

ACTOR = SystemActor("seed_demo")

# About nine in ten clinicians join; of them about 70% allow follow-up
# contact and 60% safety alerts. The others stay plain logins with no row
# anywhere that says they were asked, as for a real clinician who declines.
JOIN_RATE = 0.90
FOLLOW_UP_RATE = 0.70
SAFETY_ALERT_RATE = 0.60
# A year of history, ending last week: this week's check-in is still due.
DEMO_WEEKS = 52
# The follow-up queue holds the people with the latest safety alerts.
DEMO_CASES = 6
# Most people joined in the programme's first weeks (on average six days in),
# the last of them within its first eight weeks.
LAUNCH_MEAN_DAYS = 6
LAUNCH_LAST_DAY = 55
PRIVACY_CONTACT = (
    "Privacy Office, St Brigid's General Hospital (demo): privacy@demo.wellkept.invalid, "
    "0800 000 0001 (demo number, not in service)"
)


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
    clinicians: int = 0
    checkins: int = 0
    responses: int = 0
    cases: int = 0
    clients: int = 0


class Progress(Protocol):
    """Where the demo reports how far it is, for a progress bar; every call is optional work."""

    def begin(self, total: int) -> None:
        """Say how many steps the whole run has."""

    def stage(self, label: str) -> None:
        """Say what the steps that follow are."""

    def advance(self, steps: int = 1) -> None:
        """Count steps done."""


class _Silent:
    def begin(self, total: int) -> None:
        pass

    def stage(self, label: str) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


@dataclass(frozen=True)
class Decision:
    """What one demo clinician chose when asked to join."""

    joins: bool
    follow_up_contact: bool = False
    safety_alert: bool = False


def demo_decisions(count: int) -> list[Decision]:
    """Return each demo clinician's choice; the same list on every call.

    The first two people (the printed participant logins) join, the first
    with every option on so the follow-up and alert flows can be tried; the
    third (the printed "not joined yet" login) has not joined.
    """
    rng = random.Random(RANDOM_SEED + 3)  # noqa: S311 - see demo_people
    decisions = []
    for index in range(count):
        joins = rng.random() < JOIN_RATE
        follow_up = rng.random() < FOLLOW_UP_RATE
        alert = rng.random() < SAFETY_ALERT_RATE
        if index == 0:
            joins = follow_up = alert = True
        elif index == 1:
            joins = True
        elif index == 2:
            joins = False
        decisions.append(Decision(joins, joins and follow_up, joins and alert))
    return decisions


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
            f"({' '.join(exc.messages)}). Change it in wellkept/demo/people.py."
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


NOT_JOINED = "Clinician (not joined yet)"
CLIENT_LOGIN = "Client (portal)"
GUARDIAN_LOGIN = "Guardian (portal)"


def _not_joined_login(org: Organisation) -> User | None:
    """Return the first demo clinician, after the printed participants, who has not joined."""
    people = demo_people(org.clinicians.count())[2:]
    for person in people:
        user = User.objects.get_by_email(person.email)
        if (
            user is not None
            and org.clinicians.filter(user=user).exists()
            # Someone who set up their own second factor cannot sign in
            # with the printed password alone.
            and not Authenticator.objects.filter(user=user).exists()
            and participant_for_user(user=user, organisation=org) is None
        ):
            return user
    return None


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
        rows.append(LoginRow(spec.printed_as, email, STAFF_PASSWORD, secret))
    for person in demo_people(2):
        participant_user = User.objects.get_by_email(person.email)
        if participant_user is None:
            continue
        secret = _totp_secret_of(participant_user)
        if secret is not None and secret != demo_totp_secret(person.email):
            secret = CHANGED_BY_OWNER
        if participant_for_user(user=participant_user, organisation=org) is None:
            label = NOT_JOINED  # left the programme since the demo was seeded
        else:
            label = "Participant (MFA on)" if secret else "Participant"
        rows.append(LoginRow(label, person.email, PARTICIPANT_PASSWORD, secret))
    newcomer = _not_joined_login(org)
    if newcomer is not None:
        rows.append(LoginRow(NOT_JOINED, str(newcomer.email), PARTICIPANT_PASSWORD, None))
    portal_client = demo_practice.portal_client_login(org)
    if portal_client is not None:
        secret = _totp_secret_of(portal_client)
        rows.append(
            LoginRow(
                CLIENT_LOGIN,
                str(portal_client.email),
                CLIENT_PASSWORD,
                CHANGED_BY_OWNER if secret is not None else None,
            )
        )
    guardian = demo_practice.guardian_portal_login(org)
    if guardian is not None:
        secret = _totp_secret_of(guardian)
        rows.append(
            LoginRow(
                GUARDIAN_LOGIN,
                str(guardian.email),
                GUARDIAN_PASSWORD,
                CHANGED_BY_OWNER if secret is not None else None,
            )
        )
    return rows


def demo_seed(
    *,
    participants: int = DEFAULT_PARTICIPANTS,
    practice: demo_practice.PracticeSize = demo_practice.DEFAULT_SIZE,
    progress: Progress | None = None,
) -> DemoSummary:
    """Create the demo organisation, or report the existing one unchanged.

    ``practice`` sizes the staff-support practice (tests that only need
    its pages take ``demo_practice.SMALL``). ``progress`` hears how many
    steps there are and how far the run is.
    """
    _refuse_in_production()
    if participants < 2:
        raise DemoError("The demo needs at least 2 participants; give --participants 2 or more.")
    if not demo_practice.MIN_CLIENTS <= practice.clients <= demo_practice.MAX_CLIENTS:
        raise DemoError(
            f"The demo practice takes {demo_practice.MIN_CLIENTS} to "
            f"{demo_practice.MAX_CLIENTS} clients; give --practice-clients in that range."
        )
    if practice.weeks < 1:
        raise DemoError("The demo practice needs at least 1 week of history.")
    bar: Progress = progress or _Silent()
    existing = demo_organisation()
    if existing is not None:
        # Finishes a history that an earlier run could not complete.
        _seed_practice_history(existing, bar, weeks=practice.weeks)
        history = _seed_history(existing, bar, announce=True)
        cases = _open_demo_cases(existing)
        return DemoSummary(
            organisation=existing,
            created=False,
            participants=existing.participants.count(),
            departments=existing.units.filter(kind=UnitKind.DEPARTMENT).count(),
            logins=_login_rows(existing),
            clinicians=existing.clinicians.count(),
            checkins=history.checkins if history else 0,
            responses=history.responses if history else 0,
            cases=cases,
        )
    people = demo_people(participants)
    decisions = demo_decisions(participants)
    # One step per login, per person asked to join, and per history written.
    bar.begin(2 * participants + sum(d.joins for d in decisions))
    # One transaction: an interrupted seed leaves nothing behind, so the
    # next run starts clean instead of finding half a hospital. The history
    # of check-ins comes after it commits (see _seed_history).
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
        staff: dict[str, User] = {}
        for spec in STAFF:
            email = demo_email(spec.local_part)
            user = _create_login(email, spec.display_name, staff_hash)
            _check_password(STAFF_PASSWORD, user)
            services.staff_membership_grant(
                actor=ACTOR, user=user, organisation=org, role=spec.role
            )
            _activate_mfa(user, demo_totp_secret(email))
            staff[spec.local_part] = user
        bar.stage("the practice's clients")
        clients = demo_practice.seed_practice(
            actor=ACTOR,
            organisation=org,
            therapists=[staff["specialist"], staff["therapist"], staff["trainee"]],
            supervisor=staff["clinical.supervisor"],
            size=practice,
        )
        portal_login = demo_practice.seed_portal_client(
            actor=ACTOR, organisation=org, password=CLIENT_PASSWORD
        )
        demo_practice.seed_messages(login=portal_login)
        demo_practice.seed_documents(organisation=org)
        demo_practice.seed_guardian_portal(
            actor=ACTOR, organisation=org, password=GUARDIAN_PASSWORD
        )

        participant_hash = PasswordState.of(PARTICIPANT_PASSWORD)
        logins: list[tuple[DemoPerson, User]] = []
        bar.stage("clinician logins")
        for person in people:
            user = _create_login(person.email, person.display_name, participant_hash)
            _check_password(PARTICIPANT_PASSWORD, user)
            logins.append((person, user))
            bar.advance()
        # Every login is a clinician of the hospital, as an accepted
        # invitation makes it; that says nothing about who joined.
        Clinician.objects.bulk_create(Clinician(user=user, organisation=org) for _, user in logins)

        checkin_seeding.programme_ensure(actor=ACTOR, organisation=org)
        notice = checkin_seeding.notice_ensure(
            actor=ACTOR, organisation=org, contact=PRIVACY_CONTACT
        )
        # Enrol in a different order from the one the logins were created in:
        # otherwise the row order of the two tables would pair each login
        # with its token, which is exactly the link the keyed HMAC hides.
        enrol_order = list(range(len(logins)))
        random.Random(RANDOM_SEED + 1).shuffle(enrol_order)  # noqa: S311 - see demo_people
        joined: list[Participant] = []
        bar.stage("joining the programme")
        for index in enrol_order:
            bar.advance()
            person, user = logins[index]
            decision = decisions[index]
            if not decision.joins:
                continue
            # Joined as the clinician would on the join page: the same
            # service enrols them and records their consent, under their token.
            participant = programme_join(
                actor=user,
                organisation=org,
                notice=notice,
                unit=places[(person.department, person.unit)],
                shift_type=shifts[person.shift_code],
                role_category=person.role_category,
                follow_up_contact=decision.follow_up_contact,
                safety_alert=decision.safety_alert,
            )
            joined.append(participant)
        # One participant with TOTP, so the "MFA offered, not required" path
        # for clinicians can be tried too.
        first_person, first_user = logins[0]
        _activate_mfa(first_user, demo_totp_secret(first_person.email))

    _seed_practice_history(org, bar, weeks=practice.weeks)
    history = _seed_history(org, bar)
    cases = _open_demo_cases(org)
    return DemoSummary(
        organisation=org,
        created=True,
        participants=len(joined),
        departments=sum(len(specs) for _division, specs in DIVISIONS),
        logins=_login_rows(org),
        clinicians=len(logins),
        checkins=history.checkins if history else 0,
        responses=history.responses if history else 0,
        cases=cases,
        clients=clients,
    )


def _seed_history(
    org: Organisation, bar: Progress, *, announce: bool = False
) -> checkin_seeding.SeedCounts | None:
    """Give every participant without check-ins a year of them, ending last week.

    Runs after the demo's set-up has committed, in batches that commit one
    by one: encrypting inside one long transaction would cost a key lookup
    per answer (the vault caches a data key only once it is committed), and
    a year of answers for 300 people would take minutes instead of seconds.
    If it is interrupted, the next `seed_demo` finishes it: every person's
    rows are committed together, so those without any check-in are exactly
    the ones still to do. Returns None when there was nothing to do.
    """
    programme = open_programme(org)
    if programme is None or checkin_seeding.seeded_before(org, actor=ACTOR):
        return None
    pending = list(
        Participant.objects.filter(organisation=org)
        .exclude(checkins__isnull=False)
        .order_by("token")
    )
    if not pending:
        return None
    if announce:
        bar.begin(len(pending))
    end = _last_week_end()
    _date_the_launch(org, pending, launch=end - dt.timedelta(weeks=DEMO_WEEKS, days=-1))
    bar.stage("a year of check-ins")
    try:
        return checkin_seeding.seed_checkins(
            organisation=org,
            programme=programme,
            participants=pending,
            weeks=DEMO_WEEKS,
            end=end,
            rng=random.Random(RANDOM_SEED + 2),  # noqa: S311 - see demo_people
            actor=ACTOR,
            progress=bar.advance,
            from_enrolment=True,
        )
    except Exception as exc:
        raise DemoError(
            f"The demo hospital was created, but seeding its year of check-ins stopped "
            f"({exc}). Run `wellkept seed_demo` again to finish it."
        ) from exc


def _seed_practice_history(org: Organisation, bar: Progress, *, weeks: int) -> None:
    """Write the practice's year once its set-up has committed (see seed_practice_history).

    One transaction: if it stops, nothing of the year is left and the next
    run writes it whole.
    """
    bar.stage("the practice's year")
    try:
        demo_practice.seed_practice_history(actor=ACTOR, organisation=org, weeks=weeks)
        demo_practice.seed_release(actor=ACTOR, organisation=org)
    except Exception as exc:
        raise DemoError(
            f"The demo hospital was created, but seeding its practice's year stopped "
            f"({exc}). Run `wellkept seed_demo` again to finish it."
        ) from exc


def _date_the_launch(org: Organisation, pending: list[Participant], *, launch: dt.date) -> None:
    """Date the programme, its notice, each enrolment and its consent as a year ago, not today.

    The demo's people have taken part all year; without this, My data and
    the consent register would say they all joined on the day of the seed,
    after a year of check-ins. Most joined in the launch weeks, some later;
    each consent is dated (by day, as consents are) to its own enrolment.
    """
    rng = random.Random(RANDOM_SEED + 4)  # noqa: S311 - see demo_people
    by_day: dict[dt.date, list[Any]] = {}
    for participant in pending:
        offset = min(int(rng.expovariate(1 / LAUNCH_MEAN_DAYS)), LAUNCH_LAST_DAY)
        participant.enrolled_on = launch + dt.timedelta(days=offset)
        by_day.setdefault(participant.enrolled_on, []).append(participant.pk)
    announced = dt.datetime.combine(launch - dt.timedelta(days=7), dt.time(9, 0), tzinfo=dt.UTC)
    with transaction.atomic():
        Programme.objects.filter(organisation=org, created_at__gt=announced).update(
            created_at=announced
        )
        Notice.objects.filter(organisation=org, published_at__gt=announced).update(
            published_at=announced
        )
        for day, ids in sorted(by_day.items()):
            Participant.objects.filter(pk__in=ids).update(enrolled_on=day)
            ConsentRecord.objects.filter(participant_id__in=ids, sequence=1).update(
                recorded_at=dt.datetime.combine(day, dt.time(0, 0), tzinfo=dt.UTC)
            )


def _open_demo_cases(org: Organisation) -> int:
    """Open the follow-up cases that the latest seeded safety alerts would have opened.

    Seeding writes check-ins in bulk, past `checkin_submit`, so no case
    opened on the way; without this the follow-up queue of the demo would
    be empty. The queue gets the people with the most recent alerts (at
    most DEMO_CASES), as a live programme's would, and only once: an
    organisation that already has cases is left alone. Returns how many
    cases opened.
    """
    if Case.objects.filter(organisation=org).exists():
        return 0
    latest: dict[Any, SafetyAlert] = {}
    for alert in SafetyAlert.objects.filter(participant__organisation=org).order_by(
        "-raised_on", "-pk"
    ):
        latest.setdefault(alert.participant_id, alert)
        if len(latest) == DEMO_CASES:
            break
    with transaction.atomic():
        for alert in sorted(latest.values(), key=lambda a: (a.raised_on, str(a.pk))):
            case = case_open_for_alert(actor=ACTOR, alert=alert)
            # Dated like the alert, as if it had opened on its day.
            Case.objects.filter(pk=case.pk).update(
                opened_on=alert.raised_on, last_signal_on=alert.raised_on
            )
    return len(latest)


def _last_week_end() -> dt.date:
    """Return the Sunday before this week: the demo's history ends there."""
    return periods.period_start(Frequency.WEEKLY, today()) - dt.timedelta(days=1)


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
    if org.memberships.filter(user=user).exists() or org.clinicians.filter(user=user).exists():
        return user
    if participant_for_user(user=user, organisation=org) is not None:
        return user
    raise not_demo
