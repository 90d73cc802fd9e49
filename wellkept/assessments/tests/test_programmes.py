"""Programme set-up services: what an administrator (or a command) may change, and how it is said.

St Anne's (the ``hospital`` fixture) runs the open "Staff wellbeing check-in".
Amira administers St Anne's; Lena leads there and Priya is its privacy
officer; Oscar administers Riverside, another organisation, and must change
nothing at St Anne's. "Pilot" is a draft programme Amira is preparing.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.assessments import programmes
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
    Frequency,
    Programme,
    ProgrammeStatus,
    Schedule,
    SupportKind,
    SupportResource,
    today,
)
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Role, UnitKind

pytestmark = pytest.mark.django_db

SYSTEM = SystemActor("programme-tests")


@pytest.fixture
def riverside(hospital):
    org = org_services.organisation_create(actor=SYSTEM, name="Riverside Clinic", slug="riverside")
    unit = org_services.unit_create(
        actor=SYSTEM, organisation=org, name="Riverside", kind=UnitKind.HOSPITAL
    )
    oscar = User.objects.create_user("oscar@riverside.example", None)
    org_services.staff_membership_grant(
        actor=SYSTEM, user=oscar, organisation=org, role=Role.SYSTEM_ADMIN
    )
    return {"organisation": org, "unit": unit, "oscar": oscar}


@pytest.fixture
def amira(hospital):
    return hospital.people["amira"]


@pytest.fixture
def pilot(hospital, amira):
    return programmes.programme_create(
        actor=amira, organisation=hospital.organisation, name="Pilot", welcome="Hello."
    )


def ready(programme, hospital, actor):
    """Give a draft everything it needs to open."""
    programmes.programme_update(
        actor=actor, programme=programme, name=programme.name, welcome="", units=[hospital.icu]
    )
    programmes.schedule_add(
        actor=actor, programme=programme, name="Pulse", frequency="weekly", instruments=["phq2"]
    )
    programmes.support_resource_add(
        actor=actor, programme=programme, kind="crisis", name="Samaritans", contact="116 123"
    )


def config_events(programme):
    return list(
        AuditEntry.objects.filter(
            event=EventType.CONFIG_CHANGED, target=f"programme:{programme.pk}"
        ).order_by("id")
    )


def messages_of(caught) -> str:
    return " ".join(caught.value.messages)


# --- Programmes ------------------------------------------------------------------------


def test_it_creates_a_draft_and_records_the_change_without_its_text(hospital, amira):
    programme = programmes.programme_create(
        actor=amira,
        organisation=hospital.organisation,
        name="  Winter   pilot ",
        welcome="Line one.\n\nLine two, private words.",
        units=[hospital.icu, hospital.ward],
    )
    assert programme.status == ProgrammeStatus.DRAFT
    assert programme.name == "Winter pilot"
    assert programme.welcome == "Line one.\n\nLine two, private words."
    assert set(programme.units.all()) == {hospital.icu, hospital.ward}
    (event,) = config_events(programme)
    assert event.actor_id == str(amira.pk)
    assert event.reason == "programme created (draft, 2 units)"
    assert "Winter" not in event.reason
    assert "private" not in event.reason


def test_it_lets_a_command_create_a_programme(hospital):
    programme = programmes.programme_create(
        actor=SYSTEM, organisation=hospital.organisation, name="Imported"
    )
    assert config_events(programme)[0].actor_label == "system:programme-tests"


def test_it_asks_for_a_name(hospital, amira):
    with pytest.raises(ValidationError, match="Give the programme name"):
        programmes.programme_create(actor=amira, organisation=hospital.organisation, name="   ")


def test_it_refuses_a_welcome_text_that_is_too_long(hospital, amira):
    with pytest.raises(ValidationError, match="shorten it to 3000"):
        programmes.programme_create(
            actor=amira, organisation=hospital.organisation, name="Long", welcome="x" * 3001
        )


def test_it_refuses_a_second_programme_with_the_same_name(hospital, amira):
    with pytest.raises(ValidationError) as caught:
        programmes.programme_create(
            actor=amira, organisation=hospital.organisation, name="staff wellbeing CHECK-IN"
        )
    assert "already has a programme called" in messages_of(caught)


def test_it_refuses_a_unit_of_another_organisation_without_naming_it(hospital, amira, riverside):
    with pytest.raises(ValidationError) as caught:
        programmes.programme_create(
            actor=amira,
            organisation=hospital.organisation,
            name="Mixed",
            units=[hospital.icu, riverside["unit"]],
        )
    assert messages_of(caught) == (
        "One of the chosen units belongs to another organisation. Choose units of "
        "St Anne's Hospital only."
    )
    assert not Programme.objects.filter(name="Mixed").exists()


@pytest.mark.parametrize("persona", ["lena", "priya", "joe", "oscar"])
def test_it_lets_nobody_but_the_organisations_administrator_create_one(
    hospital, riverside, persona
):
    actor = riverside["oscar"] if persona == "oscar" else hospital.people[persona]
    with pytest.raises(PermissionDenied):
        programmes.programme_create(actor=actor, organisation=hospital.organisation, name="Mine")
    assert not Programme.objects.filter(name="Mine").exists()
    denial = AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).latest("id")
    assert denial.target == f"programmes:{hospital.organisation.pk}"


def test_it_updates_name_welcome_and_units_and_says_which_changed(hospital, amira, pilot):
    programmes.programme_update(
        actor=amira,
        programme=pilot,
        name="Pilot 2026",
        welcome="Hello.",
        units=[hospital.icu, hospital.ward],
    )
    pilot.refresh_from_db()
    assert pilot.name == "Pilot 2026"
    assert set(pilot.units.all()) == {hospital.icu, hospital.ward}
    assert config_events(pilot)[-1].reason == "programme changed: name, units (+2 -0)"


def test_it_records_nothing_when_nothing_changed(hospital, amira, pilot):
    before = len(config_events(pilot))
    programmes.programme_update(
        actor=amira, programme=pilot, name="Pilot", welcome="Hello.", units=[]
    )
    assert len(config_events(pilot)) == before


def test_it_keeps_a_unit_in_an_open_programme(hospital, amira):
    with pytest.raises(ValidationError, match="at least one unit must take part"):
        programmes.programme_update(
            actor=amira, programme=hospital.programme, name="Staff", welcome="", units=[]
        )


def test_it_refuses_a_foreign_unit_on_update(hospital, amira, pilot, riverside):
    with pytest.raises(ValidationError, match="belongs to another organisation"):
        programmes.programme_update(
            actor=amira, programme=pilot, name="Pilot", welcome="", units=[riverside["unit"]]
        )
    assert not pilot.units.exists()


def test_it_lets_no_other_administrator_update_it(hospital, pilot, riverside):
    with pytest.raises(PermissionDenied):
        programmes.programme_update(
            actor=riverside["oscar"], programme=pilot, name="Taken", welcome="", units=[]
        )
    pilot.refresh_from_db()
    assert pilot.name == "Pilot"


def test_it_opens_a_complete_programme_once_the_other_is_closed(hospital, amira, pilot):
    ready(pilot, hospital, amira)
    programmes.programme_close(actor=amira, programme=hospital.programme)
    programmes.programme_open(actor=amira, programme=pilot)
    pilot.refresh_from_db()
    assert pilot.status == ProgrammeStatus.OPEN
    assert config_events(pilot)[-1].reason == "programme opened (was draft)"


def test_it_says_which_programme_to_close_first(hospital, amira, pilot):
    ready(pilot, hospital, amira)
    with pytest.raises(ValidationError) as caught:
        programmes.programme_open(actor=amira, programme=pilot)
    assert messages_of(caught).startswith("Close Staff wellbeing check-in first")
    pilot.refresh_from_db()
    assert pilot.status == ProgrammeStatus.DRAFT


def test_it_says_everything_a_programme_lacks_before_opening(hospital, amira, pilot):
    programmes.programme_close(actor=amira, programme=hospital.programme)
    with pytest.raises(ValidationError) as caught:
        programmes.programme_open(actor=amira, programme=pilot)
    assert caught.value.messages == [
        "Pilot cannot open yet.",
        "Choose at least one unit that takes part.",
        "Add at least one check-in (what is asked, and how often).",
        "Add at least one crisis line: it is shown at once whenever an answer signals risk.",
    ]


def test_it_does_not_count_a_support_service_as_a_crisis_line(hospital, amira, pilot):
    ready(pilot, hospital, amira)
    crisis = pilot.resources.get()
    programmes.support_resource_update(
        actor=amira,
        resource=crisis,
        kind="support",
        name="Samaritans",
        contact="116 123",
        description="",
    )
    programmes.programme_close(actor=amira, programme=hospital.programme)
    with pytest.raises(ValidationError) as caught:
        programmes.programme_open(actor=amira, programme=pilot)
    assert caught.value.messages[1:] == [
        "Add at least one crisis line: it is shown at once whenever an answer signals risk."
    ]


def test_it_will_not_open_with_a_questionnaire_that_is_no_longer_shipped(hospital, amira, pilot):
    ready(pilot, hospital, amira)
    Schedule.objects.filter(programme=pilot).update(instruments=["phq2", "retired7"])
    programmes.programme_close(actor=amira, programme=hospital.programme)
    with pytest.raises(ValidationError) as caught:
        programmes.programme_open(actor=amira, programme=pilot)
    assert "The check-in 'Pulse' asks for questionnaires that are not shipped (retired7)" in (
        messages_of(caught)
    )


def test_it_treats_opening_an_open_programme_as_done(hospital, amira):
    before = len(config_events(hospital.programme))
    programmes.programme_open(actor=amira, programme=hospital.programme)
    assert len(config_events(hospital.programme)) == before


def test_it_lets_no_leader_open_or_close_a_programme(hospital):
    with pytest.raises(PermissionDenied):
        programmes.programme_close(actor=hospital.people["lena"], programme=hospital.programme)
    hospital.programme.refresh_from_db()
    assert hospital.programme.status == ProgrammeStatus.OPEN


def test_it_closes_and_reopens_a_programme(hospital, amira):
    programmes.programme_close(actor=amira, programme=hospital.programme)
    hospital.programme.refresh_from_db()
    assert hospital.programme.status == ProgrammeStatus.CLOSED
    programmes.programme_close(actor=amira, programme=hospital.programme)  # again: a no-op
    programmes.programme_open(actor=amira, programme=hospital.programme)
    hospital.programme.refresh_from_db()
    assert hospital.programme.status == ProgrammeStatus.OPEN
    reasons = [e.reason for e in config_events(hospital.programme)]
    assert reasons == ["programme closed", "programme opened (was closed)"]


def test_it_has_nothing_to_close_in_a_draft(hospital, amira, pilot):
    with pytest.raises(ValidationError, match="Pilot is a draft and was never opened"):
        programmes.programme_close(actor=amira, programme=pilot)


# --- Check-in schedules -------------------------------------------------------------------


def test_it_adds_a_check_in_with_its_questionnaires_in_order(hospital, amira, pilot):
    first = programmes.schedule_add(
        actor=amira, programme=pilot, name="Weekly pulse", frequency="weekly", instruments=["who5"]
    )
    second = programmes.schedule_add(
        actor=amira,
        programme=pilot,
        name="Monthly",
        frequency=Frequency.MONTHLY,
        instruments=["gad7", "phq9", "burnout1"],
    )
    assert (first.slug, first.position) == ("weekly-pulse", 0)
    assert (second.instruments, second.position) == (["gad7", "phq9", "burnout1"], 1)
    assert (
        config_events(pilot)[-1].reason == "check-in 'monthly' added: gad7, phq9, burnout1; monthly"
    )


def test_it_refuses_an_unknown_questionnaire(hospital, amira, pilot):
    with pytest.raises(ValidationError) as caught:
        programmes.schedule_add(
            actor=amira, programme=pilot, name="Odd", frequency="weekly", instruments=["mbi22"]
        )
    assert messages_of(caught) == (
        "'mbi22' is not one of the shipped questionnaires. Choose from: burnout1, gad7, phq2, "
        "phq9, who5."
    )


def test_it_refuses_a_check_in_without_questionnaires(hospital, amira, pilot):
    with pytest.raises(ValidationError, match="Choose at least one questionnaire"):
        programmes.schedule_add(
            actor=amira, programme=pilot, name="Empty", frequency="weekly", instruments=["", " "]
        )


def test_it_refuses_a_questionnaire_chosen_twice(hospital, amira, pilot):
    with pytest.raises(ValidationError, match="PHQ-2 is chosen twice"):
        programmes.schedule_add(
            actor=amira,
            programme=pilot,
            name="Twice",
            frequency="weekly",
            instruments=["phq2", "who5", "phq2"],
        )


def test_it_refuses_a_duplicate_identifier(hospital, amira, pilot):
    programmes.schedule_add(
        actor=amira, programme=pilot, name="Pulse", frequency="weekly", instruments=["phq2"]
    )
    with pytest.raises(ValidationError) as caught:
        programmes.schedule_add(
            actor=amira, programme=pilot, name="pulse!", frequency="monthly", instruments=["who5"]
        )
    assert messages_of(caught) == (
        "Pilot already has a check-in with the identifier 'pulse'. Choose another name."
    )


def test_it_refuses_an_unknown_frequency(hospital, amira, pilot):
    with pytest.raises(ValidationError, match="'daily' is not a check-in frequency"):
        programmes.schedule_add(
            actor=amira, programme=pilot, name="Daily", frequency="daily", instruments=["phq2"]
        )


def test_it_refuses_a_name_without_letters_or_digits(hospital, amira, pilot):
    with pytest.raises(ValidationError, match="cannot be made from '!!!'"):
        programmes.schedule_add(
            actor=amira, programme=pilot, name="!!!", frequency="weekly", instruments=["phq2"]
        )


def test_it_updates_a_check_in_and_keeps_its_identifier(hospital, amira):
    programmes.schedule_update(
        actor=amira,
        schedule=hospital.pulse,
        name="Pulse",
        frequency="fortnightly",
        instruments=["burnout1", "phq2"],
    )
    hospital.pulse.refresh_from_db()
    assert (hospital.pulse.slug, hospital.pulse.frequency) == ("pulse", "fortnightly")
    assert hospital.pulse.instruments == ["burnout1", "phq2"]
    assert config_events(hospital.programme)[-1].reason == (
        "check-in 'pulse' changed: name, frequency, instruments (now burnout1, phq2; fortnightly)"
    )


def test_it_validates_a_check_in_update_like_a_new_one(hospital, amira):
    with pytest.raises(ValidationError, match="Choose at least one questionnaire"):
        programmes.schedule_update(
            actor=amira, schedule=hospital.pulse, name="Pulse", frequency="weekly", instruments=[]
        )
    hospital.pulse.refresh_from_db()
    assert hospital.pulse.instruments == ["phq2", "burnout1"]


def test_it_removes_a_check_in_of_a_programme_not_yet_opened(hospital, amira, pilot):
    schedule = programmes.schedule_add(
        actor=amira, programme=pilot, name="Monthly", frequency="monthly", instruments=["who5"]
    )
    programmes.schedule_remove(actor=amira, schedule=schedule)
    assert not Schedule.objects.filter(pk=schedule.pk).exists()
    assert config_events(pilot)[-1].reason == "check-in 'monthly' removed"


def test_it_says_nothing_about_answers_when_refusing_to_remove_from_an_opened_programme(
    hospital, amira
):
    # Nobody answered the monthly check-in, yet the refusal is the same as
    # with answers: its wording must not tell whether anyone took part.
    with pytest.raises(ValidationError) as caught:
        programmes.schedule_remove(actor=amira, schedule=hospital.monthly)
    assert "once the programme has been opened" in messages_of(caught)


def test_it_refuses_to_remove_a_check_in_with_answers_and_says_so(hospital, amira):
    CheckIn.objects.create(
        participant=hospital.participants["joe"],
        schedule=hospital.monthly,
        period_start=today().replace(day=1),
        status=CheckInStatus.SUBMITTED,
        submitted_on=today(),
    )
    with pytest.raises(ValidationError) as caught:
        programmes.schedule_remove(actor=amira, schedule=hospital.monthly)
    assert messages_of(caught).startswith(
        "The check-in 'Monthly check-in' cannot be removed once the programme has been opened"
    )
    assert Schedule.objects.filter(pk=hospital.monthly.pk).exists()


def test_it_keeps_every_check_in_of_an_open_programme(hospital, amira):
    with pytest.raises(ValidationError, match="once the programme has been opened"):
        programmes.schedule_remove(actor=amira, schedule=hospital.pulse)
    assert Schedule.objects.filter(pk=hospital.pulse.pk).exists()


def test_it_lets_no_leader_change_a_check_in(hospital):
    with pytest.raises(PermissionDenied):
        programmes.schedule_remove(actor=hospital.people["lena"], schedule=hospital.monthly)
    assert Schedule.objects.filter(pk=hospital.monthly.pk).exists()


# --- Support resources --------------------------------------------------------------------


def test_it_adds_a_crisis_line_and_records_only_its_kind(hospital, amira, pilot):
    resource = programmes.support_resource_add(
        actor=amira,
        programme=pilot,
        kind=SupportKind.CRISIS,
        name="Samaritans",
        contact="https://www.samaritans.org/",
        description="Any time,\nday or night.",
    )
    assert (resource.kind, resource.position) == ("crisis", 0)
    assert resource.description == "Any time,\nday or night."
    reason = config_events(pilot)[-1].reason
    assert reason == f"crisis resource {resource.pk} added"


@pytest.mark.parametrize(
    ("contact", "message"),
    [
        ("javascript:alert(1)", "Give a phone number, an e-mail address or a web link"),
        ("data:text/html,hi", "Give a phone number, an e-mail address or a web link"),
        ("https://exa mple", "This web link is not valid"),
        ("   ", "Give the contact"),
    ],
)
def test_it_refuses_a_contact_that_reaches_nobody(hospital, amira, pilot, contact, message):
    with pytest.raises(ValidationError, match=message):
        programmes.support_resource_add(
            actor=amira, programme=pilot, kind="support", name="Help", contact=contact
        )
    assert not pilot.resources.exists()


def test_it_refuses_an_unknown_kind_of_resource(hospital, amira, pilot):
    with pytest.raises(ValidationError, match="'hotline' is not a kind of support resource"):
        programmes.support_resource_add(
            actor=amira, programme=pilot, kind="hotline", name="Help", contact="123"
        )


def test_it_updates_a_resource_and_says_which_fields_changed(hospital, amira):
    staff = hospital.programme.resources.get(kind=SupportKind.SUPPORT)
    programmes.support_resource_update(
        actor=amira,
        resource=staff,
        kind="support",
        name="Staff support service",
        contact="x4455",
        description="Weekdays 8 to 6.",
    )
    staff.refresh_from_db()
    assert staff.name == "Staff support service"
    assert config_events(hospital.programme)[-1].reason == (
        f"support resource {staff.pk} changed: name, description"
    )


def test_it_keeps_the_last_crisis_line_of_an_open_programme(hospital, amira):
    crisis = hospital.programme.resources.get(kind=SupportKind.CRISIS)
    with pytest.raises(ValidationError, match="must keep at least one crisis line"):
        programmes.support_resource_remove(actor=amira, resource=crisis)
    with pytest.raises(ValidationError, match="must keep at least one crisis line"):
        programmes.support_resource_update(
            actor=amira,
            resource=crisis,
            kind="support",
            name=crisis.name,
            contact=crisis.contact,
            description="",
        )
    crisis.refresh_from_db()
    assert crisis.kind == SupportKind.CRISIS


def test_it_removes_a_crisis_line_when_another_remains(hospital, amira):
    old = hospital.programme.resources.get(kind=SupportKind.CRISIS)
    programmes.support_resource_add(
        actor=amira, programme=hospital.programme, kind="crisis", name="New line", contact="999"
    )
    programmes.support_resource_remove(actor=amira, resource=old)
    assert not SupportResource.objects.filter(pk=old.pk).exists()
    assert config_events(hospital.programme)[-1].reason == f"crisis resource {old.pk} removed"


def test_it_lets_no_privacy_officer_change_a_resource(hospital):
    staff = hospital.programme.resources.get(kind=SupportKind.SUPPORT)
    with pytest.raises(PermissionDenied):
        programmes.support_resource_remove(actor=hospital.people["priya"], resource=staff)
    assert SupportResource.objects.filter(pk=staff.pk).exists()
