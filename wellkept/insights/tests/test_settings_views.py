"""The privacy officer's disclosure-control settings: theirs alone, validated, audited."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.audit.models import AuditEntry
from wellkept.insights.disclosure import settings_for
from wellkept.insights.models import InsightsSettings, PrivacyBudget
from wellkept.insights.periods import Grain, period_of
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Role

pytestmark = pytest.mark.django_db

SETTINGS = reverse("insights:settings")
VALID = {
    "min_group_size": "7",
    "narrowing_share": "0.4",
    "dp_enabled": "on",
    "epsilon_per_quarter": "9",
    "epsilon_per_release": "0.5",
}
# Everyone at St Anne's but the privacy officer: dashboard viewers too.
OTHERS = ["lena", "wendy", "amira", "sam", "fran", "joe", "nadia"]


def sign_in(client, user, *, fresh: bool = True):
    """Sign in; ``fresh`` also records a second-factor step just now, as after MFA."""
    client.force_login(user)
    if fresh:
        session = client.session
        session["account_authentication_methods"] = [{"method": "mfa", "at": time.time()}]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client


def head() -> int:
    last = AuditEntry.objects.order_by("-id").first()
    return last.id if last is not None else 0


def entries_after(mark: int) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(id__gt=mark).order_by("id"))


def test_it_shows_the_current_settings_to_the_privacy_officer(client, staffed_hospital):
    sign_in(client, staffed_hospital.people["priya"])
    mark = head()

    response = client.get(SETTINGS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Disclosure control" in page
    assert 'name="min_group_size" value="5"' in page
    assert 'name="epsilon_per_quarter" value="18.0"' in page
    assert 'name="narrowing_share" value="0.5"' in page
    assert "Differential privacy is <strong>off</strong>" in page
    reads = [e for e in entries_after(mark) if "insights-settings" in e.target]
    assert [(e.event, e.outcome) for e in reads] == [("record.read", "allowed")]


def test_it_asks_for_the_second_factor_again_before_showing_the_form(client, staffed_hospital):
    sign_in(client, staffed_hospital.people["priya"], fresh=False)

    response = client.post(SETTINGS, VALID)

    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    assert settings_for(staffed_hospital.organisation).min_group_size == 5


def test_it_saves_the_settings_and_audits_the_change(client, staffed_hospital):
    sign_in(client, staffed_hospital.people["priya"])
    mark = head()

    response = client.post(SETTINGS, VALID)

    assert response.status_code == 302
    assert response["Location"] == f"{SETTINGS}?org=st-annes"
    saved = InsightsSettings.objects.get(organisation=staffed_hospital.organisation)
    assert (
        saved.min_group_size,
        saved.dp_enabled,
        saved.epsilon_per_quarter,
        saved.epsilon_per_release,
        saved.narrowing_share,
    ) == (7, True, 9.0, 0.5, 0.4)
    (change,) = [e for e in entries_after(mark) if e.event == "config.changed"]
    assert change.target == (f"organisation:{staffed_hospital.organisation.pk}/insights-settings")
    assert change.actor_id == str(staffed_hospital.people["priya"].pk)
    assert "min_group_size=7" in change.reason
    assert "dp_enabled=True" in change.reason
    after = client.get(response["Location"]).content.decode()
    assert (
        "Saved. Minimum group size 7; scores kept uncertain over 0.4 of the range; "
        "differential privacy on." in after
    )


def test_it_records_no_change_when_nothing_changed(client, staffed_hospital):
    sign_in(client, staffed_hospital.people["priya"])
    unchanged = {
        "min_group_size": "5",
        "narrowing_share": "0.5",
        "epsilon_per_quarter": "18",
        "epsilon_per_release": "1",
    }
    mark = head()

    response = client.post(SETTINGS, unchanged)

    assert response.status_code == 302
    assert "config.changed" not in [e.event for e in entries_after(mark)]


def test_it_turns_differential_privacy_off_when_the_box_is_cleared(client, staffed_hospital):
    org = staffed_hospital.organisation
    from wellkept.insights.services import insights_settings_update

    insights_settings_update(actor=SystemActor("test"), organisation=org, dp_enabled=True)
    sign_in(client, staffed_hospital.people["priya"])

    client.post(SETTINGS, {k: v for k, v in VALID.items() if k != "dp_enabled"})

    assert settings_for(org).dp_enabled is False


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_group_size", "2", "cannot be below 3: smaller groups single people out"),
        ("min_group_size", "0", "cannot be below 3"),
        ("min_group_size", "-5", "cannot be below 3"),
        ("min_group_size", "51", "Enter the minimum group size as a whole number from 3 to 50."),
        ("min_group_size", "five", "Enter the minimum group size as a whole number from 3 to 50."),
        ("min_group_size", "4.5", "Enter the minimum group size as a whole number from 3 to 50."),
        ("min_group_size", "", "Enter the minimum group size as a whole number from 3 to 50."),
        ("epsilon_per_quarter", "0", "Enter the budget per quarter as a number from 0.01 to 20."),
        ("epsilon_per_quarter", "nan", "Enter the budget per quarter as a number from 0.01 to 20."),
        ("epsilon_per_quarter", "inf", "Enter the budget per quarter as a number from 0.01 to 20."),
        ("epsilon_per_release", "-1", "Enter the amount per release as a number from 0.001 to 5."),
        ("epsilon_per_release", "3.5", "(3.5) times the 18 periods of a quarter cannot be more"),
        ("narrowing_share", "0.95", "Enter the share as a number from 0 to 0.9."),
        ("narrowing_share", "-0.1", "Enter the share as a number from 0 to 0.9."),
    ],
)
def test_it_refuses_bad_input_with_a_clear_message(client, staffed_hospital, field, value, message):
    sign_in(client, staffed_hospital.people["priya"])
    mark = head()

    response = client.post(SETTINGS, {**VALID, field: value})

    assert response.status_code == 400
    page = response.content.decode()
    assert message in page
    assert 'class="field-error"' in page
    assert not InsightsSettings.objects.filter(organisation=staffed_hospital.organisation).exists()
    assert "config.changed" not in [e.event for e in entries_after(mark)]


@pytest.mark.parametrize("persona", OTHERS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_it_is_not_found_for_anyone_but_the_privacy_officer(
    client, staffed_hospital, persona, method
):
    sign_in(client, staffed_hospital.people[persona])
    mark = head()

    response = getattr(client, method)(SETTINGS, VALID if method == "post" else None)

    assert response.status_code == 404
    assert settings_for(staffed_hospital.organisation).min_group_size == 5
    events = [e.event for e in entries_after(mark)]
    assert "access.denied" in events
    assert "config.changed" not in events


def test_it_is_not_found_for_the_privacy_officer_of_another_organisation(client, staffed_hospital):
    elsewhere = org_services.organisation_create(
        actor=SystemActor("test"), name="Elsewhere Clinic", slug="elsewhere"
    )
    oscar = User.objects.create_user("oscar@elsewhere.example", None)
    org_services.staff_membership_grant(
        actor=SystemActor("test"), user=oscar, organisation=elsewhere, role=Role.PRIVACY_OFFICER
    )
    TOTP.activate(oscar, generate_totp_secret())
    sign_in(client, oscar)

    assert client.get(SETTINGS, {"org": "st-annes"}).status_code == 404
    assert client.post(f"{SETTINGS}?org=st-annes", VALID).status_code == 404
    assert settings_for(staffed_hospital.organisation).min_group_size == 5
    # Their own organisation's page is theirs.
    assert client.get(SETTINGS, {"org": "elsewhere"}).status_code == 200


def test_it_shows_the_budget_spent_this_quarter(client, staffed_hospital):
    org = staffed_hospital.organisation
    from wellkept.insights.services import insights_settings_update

    insights_settings_update(actor=SystemActor("test"), organisation=org, dp_enabled=True)
    today = clock.now().astimezone(dt.UTC).date()
    quarter = period_of(Grain.QUARTER, today)
    PrivacyBudget.objects.create(organisation=org, family="phq2", quarter=quarter, spent=4.5)
    PrivacyBudget.objects.create(organisation=org, family="enrolment", quarter=None, spent=0.2)
    sign_in(client, staffed_hospital.people["priya"])

    page = client.get(SETTINGS).content.decode()

    assert "Differential privacy is <strong>on</strong>" in page
    assert "(this quarter)" in page
    assert "PHQ-2" in page
    assert "4.500" in page
    assert "25%" in page  # 4.5 of the default 18 per quarter
    assert "Participation (people taking part)" in page
