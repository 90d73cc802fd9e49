"""Programme set-up pages: the system administrator, with a second factor, and nobody else (404).

St Anne's (the ``hospital`` fixture) runs the open "Staff wellbeing check-in".
Amira administers it, with an authenticator app. Lena (leader) and Priya
(privacy officer) have authenticator apps too, so only the policy stands
between them and these pages; Joe takes part in the programme; Oscar
administers Riverside. All four get the same 404 as for a programme that
does not exist, and change nothing.
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.urls import reverse

from wellkept.accounts.models import User
from wellkept.accounts.tests.conftest import (
    STRONG_PASSWORD,
    enrol_totp,
    record_authentication,
    totp_code,
)
from wellkept.actors import SystemActor
from wellkept.assessments import programmes
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
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

SYSTEM = SystemActor("programme-view-tests")
LIST = reverse("programmes:list")
CREATE = reverse("programmes:create")


@pytest.fixture
def oscar(hospital):
    org = org_services.organisation_create(actor=SYSTEM, name="Riverside Clinic", slug="riverside")
    org_services.unit_create(
        actor=SYSTEM, organisation=org, name="Riverside", kind=UnitKind.HOSPITAL
    )
    user = User.objects.create_user("oscar@riverside.example", None)
    org_services.staff_membership_grant(
        actor=SYSTEM, user=user, organisation=org, role=Role.SYSTEM_ADMIN
    )
    enrol_totp(user)
    return user


@pytest.fixture
def staff_with_mfa(hospital):
    for name in ("amira", "lena", "priya"):
        hospital.people[name].totp_secret = enrol_totp(hospital.people[name])
    return hospital


@pytest.fixture
def as_amira(client, staff_with_mfa):
    return signed_in(client, staff_with_mfa.people["amira"])


@pytest.fixture
def pilot(hospital):
    return programmes.programme_create(
        actor=SYSTEM, organisation=hospital.organisation, name="Pilot"
    )


def signed_in(client, user, *, fresh_mfa=True):
    client.force_login(user)
    if fresh_mfa:
        # As after typing a code from the authenticator app a moment ago.
        record_authentication(client, user, "mfa", at=time.time(), type="totp")
    return client


def detail(programme):
    return reverse("programmes:detail", args=[programme.pk])


def page_of(response) -> str:
    return response.content.decode()


# --- The administrator's way through ---------------------------------------------------


def test_it_lets_the_administrator_in_after_signing_in_with_a_code(client, staff_with_mfa):
    amira = staff_with_mfa.people["amira"]
    amira.set_password(STRONG_PASSWORD)
    amira.save()
    client.post(reverse("account_login"), {"login": amira.email, "password": STRONG_PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": totp_code(amira.totp_secret)})
    response = client.get(LIST)
    assert response.status_code == 200
    assert "Staff wellbeing check-in" in page_of(response)


def test_it_sends_an_administrator_without_a_second_factor_to_enrolment(client, hospital):
    client.force_login(hospital.people["amira"])
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")


def test_it_lists_the_programmes_with_their_status(as_amira, pilot):
    html = page_of(as_amira.get(LIST))
    assert "Staff wellbeing check-in" in html
    assert "Pilot" in html
    assert 'programme-status--open">Open<' in html
    assert 'programme-status--draft">Draft (not yet open)<' in html


def test_it_records_the_listing_as_a_read_of_the_programme_set_up(as_amira, hospital):
    as_amira.get(LIST)
    entry = AuditEntry.objects.filter(target=f"programmes:{hospital.organisation.pk}").latest("id")
    assert (entry.event, entry.actor_id) == (
        EventType.RECORD_READ,
        str(hospital.people["amira"].pk),
    )


def test_it_creates_a_draft_programme(as_amira, hospital):
    response = as_amira.post(
        CREATE,
        {"organisation": hospital.organisation.pk, "name": "Winter pilot", "welcome": "Hello."},
    )
    programme = Programme.objects.get(name="Winter pilot")
    assert response.status_code == 302
    assert response["Location"] == detail(programme)
    assert programme.status == ProgrammeStatus.DRAFT
    html = page_of(as_amira.get(detail(programme)))
    assert "is created as a draft" in html
    assert "Choose at least one unit that takes part." in html


def test_it_explains_a_bad_new_programme(as_amira, hospital):
    response = as_amira.post(
        CREATE, {"organisation": hospital.organisation.pk, "name": "Staff wellbeing check-in"}
    )
    assert response.status_code == 400
    assert "already has a programme called" in page_of(response)
    assert Programme.objects.count() == 1


def test_it_shows_units_as_an_indented_tree(as_amira, pilot):
    html = page_of(as_amira.get(reverse("programmes:edit", args=[pilot.pk])))
    assert 'unit-tree__item--depth-0">' in html  # St Anne's
    assert 'unit-tree__item--depth-1">' in html  # Medicine
    assert html.index("Medicine") < html.index("Intensive care") < html.index("Ward 7")
    assert 'unit-tree__item--depth-2">' in html
    assert "style=" not in html


def test_it_saves_name_welcome_and_units(as_amira, hospital, pilot):
    response = as_amira.post(
        reverse("programmes:edit", args=[pilot.pk]),
        {"name": "Pilot 2026", "welcome": "Two lines.\nHere.", "units": [hospital.icu.pk]},
    )
    assert response.status_code == 302
    pilot.refresh_from_db()
    assert (pilot.name, pilot.welcome) == ("Pilot 2026", "Two lines.\nHere.")
    assert list(pilot.units.all()) == [hospital.icu]


def test_it_refuses_a_unit_of_another_organisation_in_the_form(as_amira, oscar, pilot):
    foreign = oscar.memberships.get().organisation.units.get()
    response = as_amira.post(
        reverse("programmes:edit", args=[pilot.pk]), {"name": "Pilot", "units": [foreign.pk]}
    )
    assert response.status_code == 400
    assert not pilot.units.exists()


def test_it_adds_a_check_in_with_questionnaires_in_the_chosen_order(as_amira, pilot):
    response = as_amira.post(
        reverse("programmes:schedule_add", args=[pilot.pk]),
        {"name": "Pulse", "frequency": "weekly", "instrument_1": "who5", "instrument_3": "phq2"},
    )
    assert response.status_code == 302
    schedule = pilot.schedules.get()
    assert (schedule.slug, schedule.instruments) == ("pulse", ["who5", "phq2"])


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ({}, "Choose at least one questionnaire for this check-in."),
        ({"instrument_1": "phq2", "instrument_2": "phq2"}, "PHQ-2 is chosen twice"),
    ],
)
def test_it_explains_a_bad_check_in(as_amira, pilot, choices, message):
    response = as_amira.post(
        reverse("programmes:schedule_add", args=[pilot.pk]),
        {"name": "Pulse", "frequency": "weekly", **choices},
    )
    assert response.status_code == 400
    assert message in page_of(response)
    assert not pilot.schedules.exists()


def test_it_refuses_a_questionnaire_that_is_not_shipped(as_amira, pilot):
    response = as_amira.post(
        reverse("programmes:schedule_add", args=[pilot.pk]),
        {"name": "Pulse", "frequency": "weekly", "instrument_1": "mbi22"},
    )
    assert response.status_code == 400
    assert not pilot.schedules.exists()


def test_it_edits_a_check_in_showing_its_current_order(as_amira, hospital):
    url = reverse("programmes:schedule_edit", args=[hospital.programme.pk, hospital.monthly.pk])
    html = page_of(as_amira.get(url))
    assert html.index('value="phq9" selected') < html.index('value="gad7" selected')
    response = as_amira.post(
        url, {"name": "Monthly", "frequency": "quarterly", "instrument_1": "who5"}
    )
    assert response.status_code == 302
    hospital.monthly.refresh_from_db()
    assert (hospital.monthly.frequency, hospital.monthly.instruments) == ("quarterly", ["who5"])


def test_it_says_why_a_check_in_with_answers_stays(as_amira, hospital):
    CheckIn.objects.create(
        participant=hospital.participants["joe"],
        schedule=hospital.monthly,
        period_start=today().replace(day=1),
        status=CheckInStatus.SUBMITTED,
        submitted_on=today(),
    )
    url = reverse("programmes:schedule_remove", args=[hospital.programme.pk, hospital.monthly.pk])
    response = as_amira.post(url, follow=True)
    assert "cannot be removed once the programme has been opened" in page_of(response)
    assert Schedule.objects.filter(pk=hospital.monthly.pk).exists()


def test_it_removes_a_check_in_of_a_draft_programme(as_amira, pilot):
    schedule = programmes.schedule_add(
        actor=SYSTEM, programme=pilot, name="Monthly", frequency="monthly", instruments=["who5"]
    )
    url = reverse("programmes:schedule_remove", args=[pilot.pk, schedule.pk])
    assert as_amira.post(url).status_code == 302
    assert not Schedule.objects.filter(pk=schedule.pk).exists()


def test_it_adds_edits_and_removes_a_support_service(as_amira, pilot):
    page = as_amira.get(reverse("programmes:resource_add", args=[pilot.pk]) + "?kind=crisis")
    assert 'value="crisis" id="id_kind_0" required checked' in page_of(page)
    as_amira.post(
        reverse("programmes:resource_add", args=[pilot.pk]),
        {"kind": "support", "name": "Staff support", "contact": "x4455"},
    )
    resource = pilot.resources.get()
    as_amira.post(
        reverse("programmes:resource_edit", args=[pilot.pk, resource.pk]),
        {"kind": "crisis", "name": "Crisis line", "contact": "https://help.example.org/"},
    )
    resource.refresh_from_db()
    assert (resource.kind, resource.contact) == ("crisis", "https://help.example.org/")
    as_amira.post(reverse("programmes:resource_remove", args=[pilot.pk, resource.pk]))
    assert not pilot.resources.exists()


def test_it_explains_an_unsafe_contact(as_amira, pilot):
    response = as_amira.post(
        reverse("programmes:resource_add", args=[pilot.pk]),
        {"kind": "crisis", "name": "Trap", "contact": "javascript:alert(1)"},
    )
    assert response.status_code == 400
    assert "web link starting with https://" in page_of(response)


def test_it_says_why_the_last_crisis_line_stays(as_amira, hospital):
    crisis = hospital.programme.resources.get(kind=SupportKind.CRISIS)
    url = reverse("programmes:resource_remove", args=[hospital.programme.pk, crisis.pk])
    response = as_amira.post(url, follow=True)
    assert "must keep at least one crisis line" in page_of(response)
    assert SupportResource.objects.filter(pk=crisis.pk).exists()


# --- Opening and closing --------------------------------------------------------------------


def test_it_confirms_before_closing_and_closes_on_post(as_amira, hospital):
    url = reverse("programmes:close", args=[hospital.programme.pk])
    page = as_amira.get(url)
    assert "Close Staff wellbeing check-in?" in page_of(page)
    hospital.programme.refresh_from_db()
    assert hospital.programme.status == ProgrammeStatus.OPEN
    response = as_amira.post(url)
    assert response.status_code == 302
    hospital.programme.refresh_from_db()
    assert hospital.programme.status == ProgrammeStatus.CLOSED


def test_it_says_what_is_missing_before_opening(as_amira, hospital, pilot):
    html = page_of(as_amira.get(reverse("programmes:open", args=[pilot.pk])))
    assert "It cannot open yet" in html
    assert "Add at least one crisis line" in html
    assert 'action="/manage/programmes/' not in html.split("It cannot open yet")[1]


def test_it_says_which_programme_to_close_first(as_amira, hospital, pilot):
    pilot.units.add(hospital.icu)
    Schedule.objects.create(
        programme=pilot, slug="pulse", name="Pulse", frequency="weekly", instruments=["phq2"]
    )
    SupportResource.objects.create(
        programme=pilot, kind=SupportKind.CRISIS, name="Line", contact="999"
    )
    response = as_amira.post(reverse("programmes:open", args=[pilot.pk]))
    assert response.status_code == 400
    assert "Close Staff wellbeing check-in first" in page_of(response)
    as_amira.post(reverse("programmes:close", args=[hospital.programme.pk]))
    assert as_amira.post(reverse("programmes:open", args=[pilot.pk])).status_code == 302
    pilot.refresh_from_db()
    assert pilot.status == ProgrammeStatus.OPEN


def test_it_asks_for_a_fresh_code_before_opening_or_closing(client, staff_with_mfa):
    amira = staff_with_mfa.people["amira"]
    signed_in(client, amira, fresh_mfa=False)
    record_authentication(client, amira, "mfa", at=time.time() - 3600, type="totp")
    url = reverse("programmes:close", args=[staff_with_mfa.programme.pk])
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    staff_with_mfa.programme.refresh_from_db()
    assert staff_with_mfa.programme.status == ProgrammeStatus.OPEN


# --- Everyone else: 404, and nothing changes --------------------------------------------------


def _pages(hospital, pilot):
    p, schedule = hospital.programme, hospital.monthly
    crisis = p.resources.get(kind=SupportKind.CRISIS)
    return {
        "get": [
            LIST,
            CREATE,
            detail(pilot),
            reverse("programmes:edit", args=[pilot.pk]),
            reverse("programmes:schedule_add", args=[p.pk]),
            reverse("programmes:schedule_edit", args=[p.pk, schedule.pk]),
            reverse("programmes:resource_add", args=[p.pk]),
            reverse("programmes:resource_edit", args=[p.pk, crisis.pk]),
            reverse("programmes:open", args=[pilot.pk]),
            reverse("programmes:close", args=[p.pk]),
        ],
        "post": [
            (CREATE, {"organisation": hospital.organisation.pk, "name": "Mine"}),
            (reverse("programmes:edit", args=[pilot.pk]), {"name": "Mine"}),
            (
                reverse("programmes:schedule_add", args=[p.pk]),
                {"name": "Mine", "frequency": "weekly", "instrument_1": "phq2"},
            ),
            (reverse("programmes:schedule_remove", args=[p.pk, schedule.pk]), {}),
            (reverse("programmes:resource_remove", args=[p.pk, crisis.pk]), {}),
            (reverse("programmes:close", args=[p.pk]), {}),
        ],
    }


@pytest.mark.parametrize("persona", ["lena", "priya", "joe", "oscar"])
def test_it_shows_not_found_to_everyone_but_the_administrator(
    client, staff_with_mfa, pilot, oscar, persona
):
    hospital = staff_with_mfa
    user = oscar if persona == "oscar" else hospital.people[persona]
    signed_in(client, user)
    pages = _pages(hospital, pilot)
    for url in pages["get"]:
        if persona == "oscar" and url in (LIST, CREATE):
            continue  # his own organisation's pages: see the next test
        assert client.get(url).status_code == 404, url
    for url, data in pages["post"]:
        expected = 400 if persona == "oscar" and url == CREATE else 404
        assert client.post(url, data).status_code == expected, url
    assert not Programme.objects.filter(name="Mine").exists()
    pilot.refresh_from_db()
    hospital.programme.refresh_from_db()
    assert (pilot.name, hospital.programme.status) == ("Pilot", ProgrammeStatus.OPEN)
    assert hospital.programme.schedules.count() == 2
    assert hospital.programme.resources.count() == 2
    assert AuditEntry.objects.filter(
        event=EventType.ACCESS_DENIED, target=f"programme:{pilot.pk}"
    ).exists()


def test_it_shows_another_administrator_only_his_own_organisation(client, oscar, pilot):
    signed_in(client, oscar)
    html = page_of(client.get(LIST))
    assert "No programmes yet" in html
    assert "Pilot" not in html
    assert "Staff wellbeing" not in html
    assert "St Anne" not in page_of(client.get(CREATE))


def test_it_answers_a_missing_programme_like_a_forbidden_one(as_amira):
    missing = as_amira.get(reverse("programmes:detail", args=[uuid.uuid4()]))
    assert missing.status_code == 404
    entry = AuditEntry.objects.latest("id")
    assert (entry.event, entry.target) == (EventType.ACCESS_DENIED, "programme_config:unknown")


def test_it_finds_no_check_in_through_another_programme(as_amira, hospital, pilot):
    url = reverse("programmes:schedule_edit", args=[pilot.pk, hospital.pulse.pk])
    assert as_amira.get(url).status_code == 404
