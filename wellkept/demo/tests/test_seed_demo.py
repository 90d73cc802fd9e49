"""`wellkept seed_demo`: a realistic synthetic hospital with a year of history, in seconds."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections import Counter
from unittest import mock

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command

from wellkept.accounts.backends import EmailBackend
from wellkept.accounts.models import User
from wellkept.assessments import periods
from wellkept.assessments.models import (
    CheckIn,
    Frequency,
    ProgrammeStatus,
    Response,
    SafetyAlert,
    SupportKind,
    today,
)
from wellkept.assessments.selectors import open_programme
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.consent.models import ConsentRecord, Notice
from wellkept.consent.selectors import consent_state
from wellkept.demo import hospital as demo
from wellkept.demo import people, seeding
from wellkept.demo import practice as demo_practice
from wellkept.followup.models import Case
from wellkept.messaging.models import Thread
from wellkept.orgs.models import (
    Clinician,
    Organisation,
    Participant,
    Role,
    RoleCategory,
    StaffMembership,
    Unit,
    UnitKind,
)
from wellkept.orgs.selectors import participant_for_user
from wellkept.portal.models import PortalMembership
from wellkept.practice.models import ConsentDocumentSignature
from wellkept.vault.services import dek_cache

pytestmark = pytest.mark.django_db


def seed(participants: int | None = None) -> str:
    out = io.StringIO()
    # The practice at its small size: its full year is test_practice's.
    options: dict[str, int] = {
        "practice_clients": demo_practice.SMALL.clients,
        "practice_weeks": demo_practice.SMALL.weeks,
    }
    if participants is not None:
        options["participants"] = participants
    call_command("seed_demo", verbosity=0, stdout=out, **options)
    return out.getvalue()


def joiners(count: int) -> int:
    return sum(d.joins for d in seeding.demo_decisions(count))


# Committing for real, as `make demo` does: the year of check-ins is seeded
# in batches that commit, which is what keeps it fast. The demo runs on
# SQLite (`make demo`). What seeding does to the database (committing in
# batches, finishing an interrupted history, leaving nothing behind when it
# fails, opening cases once) is tested on both engines below; the tests that
# only read back what a seeded demo holds run once (one_engine), as does the
# full size.
@pytest.mark.one_engine
@pytest.mark.django_db(transaction=True)
def test_it_seeds_a_hospital_of_300_clinicians_and_a_year_of_check_ins() -> None:
    # How long it takes is for a benchmark on a quiet machine, not a test:
    # on a shared runner the same seed took anywhere from 40 s to 3 minutes.
    seed()

    org = Organisation.objects.get(is_demo=True)
    kinds = Counter(org.units.values_list("kind", flat=True))
    assert kinds[UnitKind.HOSPITAL] == 1
    assert 3 <= kinds[UnitKind.DIVISION] <= 4
    assert kinds[UnitKind.DEPARTMENT] >= 10
    assert kinds[UnitKind.UNIT] >= 10

    # Every login is a clinician of the hospital; about nine in ten joined.
    assert Clinician.objects.filter(organisation=org).count() == demo.DEFAULT_PARTICIPANTS >= 300
    participants = Participant.objects.filter(organisation=org)
    assert participants.count() == joiners(demo.DEFAULT_PARTICIPANTS)
    assert 0.85 < participants.count() / demo.DEFAULT_PARTICIPANTS < 0.95
    assert len(set(participants.values_list("token", flat=True))) == participants.count()
    # Spread over every department, every shift and every role category,
    # with nurses the largest group as in a real hospital.
    departments = org.units.filter(kind=UnitKind.DEPARTMENT)
    for department in departments:
        assert participants.filter(unit__path__startswith=department.path).exists(), department
    assert set(participants.values_list("shift_type__code", flat=True)) == {
        "day",
        "evening",
        "night",
        "rotating",
    }
    by_role = Counter(participants.values_list("role_category", flat=True))
    assert set(by_role) == set(RoleCategory.values)
    assert by_role.most_common(1)[0][0] == RoleCategory.NURSE
    # Nights are worked in the emergency department, not in radiology.
    radiology = Unit.objects.get(organisation=org, name="Radiology")
    assert not participants.filter(unit=radiology, shift_type__code="night").exists()

    # A year of weekly and monthly check-ins for everyone who joined, ending
    # last week: this week's check-in is still due.
    this_week = periods.period_start(Frequency.WEEKLY, today())
    checkins = CheckIn.objects.filter(participant__organisation=org)
    assert set(checkins.values_list("participant_id", flat=True)) == set(
        participants.values_list("pk", flat=True)
    )
    assert not checkins.filter(submitted_on__gte=this_week).exists()
    first = checkins.order_by("period_start").values_list("period_start", flat=True).first()
    assert first is not None
    assert this_week - first >= dt.timedelta(weeks=52)
    assert Response.objects.filter(participant__organisation=org).count() > 20_000
    # Alerts only for those who agreed to them.
    for alert in SafetyAlert.objects.filter(participant__organisation=org):
        assert consent_state(alert.participant).safety_alert


@pytest.mark.django_db(transaction=True)
def test_it_opens_follow_up_cases_for_the_latest_safety_alerts_once() -> None:
    seed(participants=60)
    org = Organisation.objects.get(is_demo=True)
    alerts = SafetyAlert.objects.filter(participant__organisation=org).order_by("-raised_on")
    assert alerts.exists(), "a year of 60 clinicians' check-ins raises some safety alert"
    cases = Case.objects.filter(organisation=org)
    assert 1 <= cases.count() <= seeding.DEMO_CASES
    # The people with the most recent alerts, each case dated by its alert.
    newest_without_case = (
        alerts.exclude(participant__in=cases.values("participant")).values_list(
            "raised_on", flat=True
        )
    ).first()
    for case in cases:
        latest = alerts.filter(participant=case.participant).first()
        assert latest is not None
        assert case.opened_on == latest.raised_on
        if newest_without_case is not None:
            assert case.opened_on >= newest_without_case
    # Opened under the participant's token: the pseudonymous chain.
    opened = PseudonymousEntry.objects.filter(event="followup.case_opened").count()
    assert opened == cases.count()

    seed(participants=60)
    assert Case.objects.filter(organisation=org).count() == cases.count()
    assert PseudonymousEntry.objects.filter(event="followup.case_opened").count() == opened


@pytest.mark.one_engine
def test_it_opens_a_programme_with_both_check_ins_and_fictional_support() -> None:
    seed(participants=4)
    org = Organisation.objects.get(is_demo=True)
    programme = open_programme(org)
    assert programme is not None
    assert programme.status == ProgrammeStatus.OPEN
    assert [(s.frequency, s.instruments) for s in programme.schedules.order_by("position")] == [
        (Frequency.WEEKLY, ["phq2", "burnout1"]),
        (Frequency.MONTHLY, ["phq9", "gad7", "who5"]),
    ]
    kinds = Counter(programme.resources.values_list("kind", flat=True))
    assert kinds == {SupportKind.CRISIS: 2, SupportKind.SUPPORT: 2}
    for resource in programme.resources.all():
        assert "demo" in resource.contact or resource.contact.endswith(".invalid")
    notice = Notice.objects.get(organisation=org)
    assert notice.version == 1
    assert "demo" in notice.content["privacy_contact"]


@pytest.mark.one_engine
def test_it_dates_enrolments_and_consents_to_the_programmes_launch_a_year_ago() -> None:
    seed(participants=12)
    org = Organisation.objects.get(is_demo=True)
    notice = Notice.objects.get(organisation=org)
    programme = open_programme(org)
    assert programme is not None
    launch = today() - dt.timedelta(weeks=53)
    assert notice.published_at.date() <= launch + dt.timedelta(weeks=1)
    assert programme.created_at <= notice.published_at
    enrolments = set()
    for participant in Participant.objects.filter(organisation=org):
        # Each in the launch weeks, before their first check-in...
        first = participant.checkins.order_by("submitted_on").first()
        assert first is not None
        assert participant.enrolled_on <= first.submitted_on
        assert launch <= participant.enrolled_on <= launch + dt.timedelta(weeks=10)
        # ...with their consent dated (by day, as consents are) to that same day,
        # after the notice it agrees to was published.
        consent = ConsentRecord.objects.get(participant=participant)
        assert consent.recorded_at.date() == participant.enrolled_on
        assert consent.recorded_at.time() == dt.time(0, 0)
        assert consent.recorded_at >= notice.published_at.replace(hour=0, minute=0)
        enrolments.add(participant.enrolled_on)
    # Not everyone on one day: people joined over the launch weeks.
    assert len(enrolments) > 5
    assert not ConsentRecord.objects.filter(recorded_at__date=today()).exists()


@pytest.mark.one_engine
def test_it_sums_up_in_one_line_and_prints_each_staff_login_under_its_own_name() -> None:
    output = seed(participants=4)
    first = output.splitlines()[0]
    assert first.startswith("Created St Brigid's General Hospital (demo): 13 departments, ")
    assert "4 clinicians (3 taking part)" in first
    assert "check-ins and" in first
    assert first.endswith("s.")
    table = output.split("\n\n", 1)[1].split("\n\n", 1)[0].splitlines()[1:]
    staff = [row.split("  ", 1)[0] for row in table[: len(people.STAFF)]]
    assert len(set(staff)) == len(staff), staff
    assert {"Privacy officer", "Second privacy officer"} <= set(staff)
    again = seed(participants=4).splitlines()[0]
    assert again.startswith("Already seeded: St Brigid's General Hospital (demo)")


class RecordingBar:
    """A progress bar that writes down what it was told."""

    def __init__(self) -> None:
        self.total = 0
        self.done = 0
        self.stages: list[str] = []

    def begin(self, total: int) -> None:
        self.total = total

    def stage(self, label: str) -> None:
        self.stages.append(label)

    def advance(self, steps: int = 1) -> None:
        self.done += steps


@pytest.mark.one_engine
def test_it_reports_progress_through_every_stage() -> None:
    bar = RecordingBar()
    demo.demo_seed(participants=12, practice=demo_practice.SMALL, progress=bar)
    assert bar.stages == [
        "the practice's clients",
        "clinician logins",
        "joining the programme",
        "the practice's year",
        "a year of check-ins",
    ]
    assert bar.total == 2 * 12 + joiners(12)
    assert bar.total - 3 <= bar.done <= bar.total


@pytest.mark.one_engine
@pytest.mark.parametrize("terminal", [True, False])
def test_it_draws_the_bar_only_on_a_terminal(monkeypatch, terminal) -> None:
    drawn: list[dict[str, object]] = []
    monkeypatch.setattr(
        "wellkept.demo.management.commands.seed_demo.tqdm",
        lambda **kwargs: drawn.append(kwargs) or mock.MagicMock(),
    )
    monkeypatch.setattr("sys.stderr", mock.MagicMock(isatty=lambda: terminal))
    call_command(
        "seed_demo",
        participants=4,
        practice_clients=demo_practice.SMALL.clients,
        practice_weeks=demo_practice.SMALL.weeks,
        stdout=io.StringIO(),
    )
    if terminal:
        assert [bar["total"] for bar in drawn] == [2 * 4 + joiners(4)]
    else:
        assert drawn == []


@pytest.mark.one_engine
def test_only_clinicians_who_joined_have_a_participant_row_and_consent() -> None:
    seed(participants=30)
    org = Organisation.objects.get(is_demo=True)
    people = demo.demo_people(30)
    for person, decision in zip(people, seeding.demo_decisions(30), strict=True):
        user = User.objects.get_by_email(person.email)
        participant = participant_for_user(user=user, organisation=org)
        if not decision.joins:
            assert participant is None
            continue
        assert participant is not None
        state = consent_state(participant)
        assert state.may_collect
        assert state.follow_up_contact == decision.follow_up_contact
        assert state.safety_alert == decision.safety_alert
    assert ConsentRecord.objects.count() == joiners(30)


@pytest.mark.one_engine
def test_about_70_percent_allow_follow_up_and_60_percent_safety_alerts() -> None:
    decisions = [d for d in seeding.demo_decisions(demo.DEFAULT_PARTICIPANTS) if d.joins]
    follow_up = sum(d.follow_up_contact for d in decisions) / len(decisions)
    alerts = sum(d.safety_alert for d in decisions) / len(decisions)
    assert 0.6 < follow_up < 0.8
    assert 0.5 < alerts < 0.7


@pytest.mark.one_engine
def test_it_gives_each_staff_role_an_account_with_mfa() -> None:
    seed(participants=4)
    org = Organisation.objects.get(is_demo=True)
    memberships = StaffMembership.objects.filter(organisation=org).select_related("user")
    assert {m.role for m in memberships} == set(Role.values)
    # Two privacy officers, so that two-person approvals can be shown.
    assert memberships.filter(role=Role.PRIVACY_OFFICER).count() == 2
    for membership in memberships:
        types = set(
            Authenticator.objects.filter(user=membership.user).values_list("type", flat=True)
        )
        assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}


@pytest.mark.one_engine
def test_it_offers_mfa_to_participants_and_turns_it_on_for_one() -> None:
    seed(participants=4)
    with_totp, without = (User.objects.get_by_email(p.email) for p in demo.demo_people(2))
    assert Authenticator.objects.filter(user=with_totp, type="totp").exists()
    assert not Authenticator.objects.filter(user=without).exists()


@pytest.mark.one_engine
def test_the_printed_logins_work() -> None:
    output = seed(participants=4)
    backend = EmailBackend()
    leader_email = demo.demo_email("leader")
    participant_email = demo.demo_people(1)[0].email
    assert leader_email in output
    assert participant_email in output
    assert demo.STAFF_PASSWORD in output
    assert demo.demo_totp_secret(leader_email) in output
    assert "wellkept demo_totp" in output
    assert backend.authenticate(None, email=leader_email, password=demo.STAFF_PASSWORD)
    clinician = backend.authenticate(
        None, email=participant_email, password=demo.PARTICIPANT_PASSWORD
    )
    assert clinician is not None
    org = Organisation.objects.get(is_demo=True)
    participant = participant_for_user(user=clinician, organisation=org)
    assert participant is not None
    assert consent_state(participant).may_collect
    assert CheckIn.objects.filter(participant=participant).exists()


@pytest.mark.one_engine
def test_it_prints_a_clinician_who_has_not_joined_yet_to_try_the_join_flow() -> None:
    output = seed(participants=4)
    newcomer_email = demo.demo_people(3)[2].email
    assert f"{seeding.NOT_JOINED}  {newcomer_email}" in output
    newcomer = EmailBackend().authenticate(
        None, email=newcomer_email, password=demo.PARTICIPANT_PASSWORD
    )
    assert newcomer is not None
    org = Organisation.objects.get(is_demo=True)
    assert Clinician.objects.filter(user=newcomer, organisation=org).exists()
    assert participant_for_user(user=newcomer, organisation=org) is None


@pytest.mark.one_engine
def test_it_records_the_password_state_that_set_password_would() -> None:
    seed(participants=2)
    clinician = User.objects.get_by_email(demo.demo_people(1)[0].email)
    assert clinician is not None
    assert clinician.password_meets_single_factor is True
    assert clinician.check_password(demo.PARTICIPANT_PASSWORD)


@pytest.mark.one_engine
def test_the_demo_passwords_pass_the_password_rules() -> None:
    seed(participants=2)
    for email, password in (
        (demo.demo_email("sysadmin"), demo.STAFF_PASSWORD),
        (demo.demo_people(1)[0].email, demo.PARTICIPANT_PASSWORD),
    ):
        validate_password(password, user=User.objects.get_by_email(email))


@pytest.mark.one_engine
def test_it_leaves_an_existing_demo_alone_and_prints_the_logins_again() -> None:
    seed(participants=5)
    before = (User.objects.count(), Participant.objects.count(), CheckIn.objects.count())
    again = seed(participants=50)
    assert "Already seeded" in again
    assert demo.demo_totp_secret(demo.demo_email("privacy.officer")) in again
    assert (User.objects.count(), Participant.objects.count(), CheckIn.objects.count()) == before
    assert Organisation.objects.filter(is_demo=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_it_finishes_an_interrupted_history_on_the_next_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from wellkept.demo.bulk import checkins as bulk

    monkeypatch.setattr(bulk, "BATCH_RESPONSES", 200)  # two people a batch
    real_insert = bulk._insert
    calls = 0

    def failing_insert(model: object, columns: object, rows: object) -> None:
        nonlocal calls
        calls += 1
        if calls == 7:  # the third batch's check-ins
            raise RuntimeError("disk full")
        real_insert(model, columns, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(bulk, "_insert", failing_insert)
    with pytest.raises(CommandError, match="Run `wellkept seed_demo` again"):
        seed(participants=12)
    org = Organisation.objects.get(is_demo=True)
    participants = Participant.objects.filter(organisation=org)
    seeded = participants.filter(checkins__isnull=False).distinct().count()
    assert 0 < seeded < participants.count()

    monkeypatch.setattr(bulk, "_insert", real_insert)
    again = seed(participants=12)
    assert "Already seeded" in again
    assert participants.filter(checkins__isnull=False).distinct().count() == participants.count()
    reasons = list(
        AuditEntry.objects.filter(event="data.seeded", reason__startswith="check-ins").values_list(
            "reason", flat=True
        )
    )
    assert len(reasons) == 2
    assert reasons[0].startswith("check-ins interrupted after ")
    assert reasons[1].startswith("check-ins seeded: ")
    # Done now: a third run changes nothing.
    checkins = CheckIn.objects.count()
    seed(participants=12)
    assert CheckIn.objects.count() == checkins


@pytest.mark.one_engine
def test_it_builds_the_same_people_every_time() -> None:
    assert demo.demo_people(40) == demo.demo_people(40)
    assert demo.demo_people(40)[:5] == demo.demo_people(5)
    emails = [p.email for p in demo.demo_people(demo.DEFAULT_PARTICIPANTS)]
    assert len(set(emails)) == len(emails)
    assert all(e.endswith("@demo.wellkept.invalid") for e in emails)


def test_it_leaves_nothing_behind_when_seeding_fails_halfway() -> None:
    real_enrol = seeding.services.participant_enrol
    calls = 0

    def failing_enrol(**kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise RuntimeError("disk full")
        return real_enrol(**kwargs)  # type: ignore[arg-type]

    with (
        mock.patch.object(seeding.services, "participant_enrol", failing_enrol),
        pytest.raises(RuntimeError),
    ):
        seed(participants=5)
    assert not Organisation.objects.exists()
    assert not User.objects.exists()
    # The vault's in-process key cache still holds keys created by the
    # rolled-back transaction, and SQLite reuses their row ids; a fresh
    # process (which is what re-running the command gives) starts empty.
    dek_cache.clear()
    seed(participants=5)
    assert Participant.objects.count() == joiners(5)


def test_it_refuses_to_run_in_production(settings: object) -> None:
    settings.PRODUCTION = True  # type: ignore[attr-defined]
    with pytest.raises(CommandError, match="refused when WELLKEPT_ENV=production"):
        seed(participants=2)
    assert not Organisation.objects.exists()


def test_it_refuses_fewer_than_two_participants() -> None:
    with pytest.raises(CommandError, match="at least 2 participants"):
        seed(participants=1)


def test_it_refuses_a_practice_too_small_or_too_large_before_seeding_anything() -> None:
    for clients in (demo_practice.MIN_CLIENTS - 1, demo_practice.MAX_CLIENTS + 1):
        with pytest.raises(CommandError, match="give --practice-clients in that range"):
            call_command(
                "seed_demo", participants=2, practice_clients=clients, stdout=io.StringIO()
            )
    assert not Organisation.objects.exists()


@pytest.mark.one_engine
def test_it_prints_a_client_with_a_portal_login() -> None:
    output = seed(participants=2)
    org = Organisation.objects.get(is_demo=True)
    login = demo_practice.portal_client_login(org)
    assert login is not None
    assert re.search(rf"{re.escape(seeding.CLIENT_LOGIN)} +{re.escape(login.email)}", output)
    assert demo.CLIENT_PASSWORD in output
    client = EmailBackend().authenticate(None, email=login.email, password=demo.CLIENT_PASSWORD)
    assert client is not None
    assert PortalMembership.objects.get(user=client).client.organisation == org
    # Issue 19, messaging: the client's care thread and a staff consultation about them.
    kinds = set(Thread.objects.filter(client__organisation=org).values_list("kind", flat=True))
    assert kinds == {"care", "consultation"}
    # One form waits for the demo client's signature, one is signed (issue 19).
    signatures = ConsentDocumentSignature.objects.filter(
        client=PortalMembership.objects.get(user=client).client
    )
    assert sorted(s.signed_at is None for s in signatures) == [False, True]
    guardian = demo_practice.guardian_portal_login(org)
    assert guardian is not None
    assert re.search(rf"{re.escape(seeding.GUARDIAN_LOGIN)} +{re.escape(guardian.email)}", output)
    assert demo.GUARDIAN_PASSWORD in output
