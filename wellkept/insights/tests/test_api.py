"""The insights API: the dashboard's figures as JSON and FHIR, for leaders and officers only."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.management import call_command
from django.test import Client

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.actors import SystemActor
from wellkept.assessments.services import programme_join
from wellkept.assessments.tests.fixtures import Hospital, make_clinician
from wellkept.audit.models import AuditEntry
from wellkept.demo.bulk.checkins import seed_checkins
from wellkept.insights.api_tokens import api_token_create, api_token_revoke
from wellkept.insights.models import ApiToken
from wellkept.orgs.models import RoleCategory

DASHBOARD = "/api/v1/insights/dashboard"
REPORT = "/api/v1/insights/measure-report"
SETUP = SystemActor("api-tests")


@pytest.fixture
def staffed(hospital: Hospital) -> Hospital:
    """The hospital, its staff with a second factor (else they are sent to enrol one)."""
    for name in ("lena", "wendy", "priya", "amira", "joe"):
        TOTP.activate(hospital.people[name], generate_totp_secret())
    return hospital


@pytest.fixture
def seeded(staffed: Hospital) -> Hospital:
    """The hospital with a dozen nurses and ten weeks of check-ins behind them."""
    h = staffed
    for i in range(12):
        user = make_clinician(h.organisation, f"nurse{i}@st-annes.example")
        programme_join(
            actor=user,
            organisation=h.organisation,
            notice=h.notice,
            unit=h.ward if i % 3 else h.icu,
            shift_type=h.day if i % 2 else h.night,
            role_category=RoleCategory.NURSE,
            follow_up_contact=False,
            safety_alert=False,
        )
    today = clock.now().astimezone(dt.UTC).date()
    seed_checkins(
        organisation=h.organisation,
        programme=h.programme,
        participants=list(h.organisation.participants.all()),
        weeks=10,
        end=today - dt.timedelta(days=1),
        rng=random.Random(5),
    )
    return h


def session(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(raw: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {raw}"})


def token_for(h: Hospital, name: str, **kwargs: Any) -> str:
    return api_token_create(
        actor=SETUP, user=h.people[name], organisation=h.organisation, **kwargs
    ).raw


def figures(body: dict[str, Any]) -> list[dict[str, Any]]:
    found = [p["figure"] for p in body["trend"]] + [p["overall"] for p in body["trend"]]
    for rows in ("by_unit", "by_shift", "by_role"):
        found += [r["figure"] for r in body[rows]]
    return found


def test_it_gives_a_leader_the_dashboard_with_a_session(seeded: Hospital) -> None:
    response = session(seeded.people["lena"]).get(DASHBOARD, {"instrument": "phq9"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["organisation"] == "st-annes"
    assert body["instrument"] == "phq9"
    assert [row["label"] for row in body["by_unit"]] == ["Medicine"]
    shown = [f for f in figures(body) if not f["hidden"]]
    hidden = [f for f in figures(body) if f["hidden"]]
    assert shown, "the seeded months should release some figures"
    assert all(f["people"] >= 5 for f in shown)
    assert hidden, "a small unit or the open month must be hidden"
    for figure in hidden:
        # A hidden figure says why, and never how many.
        assert set(figure) == {"hidden", "reason"} or all(
            figure[key] is None for key in ("people", "responses", "mean")
        )
        assert figure["reason"]


def test_it_gives_a_leader_the_dashboard_with_a_token(seeded: Hospital) -> None:
    raw = token_for(seeded, "lena")
    response = bearer(raw).get(DASHBOARD, {"instrument": "phq9", "grain": "quarter"})
    assert response.status_code == 200, response.content
    assert response.json()["grain"] == "quarter"
    token = ApiToken.objects.get()
    assert token.last_used_on == clock.now().astimezone(dt.UTC).date()
    assert raw not in (token.mac, token.prefix)


def test_it_gives_a_wellbeing_officer_the_dashboard(seeded: Hospital) -> None:
    response = session(seeded.people["wendy"]).get(DASHBOARD, {"instrument": "phq9"})
    assert response.status_code == 200


@pytest.mark.parametrize("name", ["priya", "amira", "joe"])
def test_it_answers_404_to_other_roles(staffed: Hospital, name: str) -> None:
    client = session(staffed.people[name])
    assert client.get(DASHBOARD, {"org": "st-annes"}).status_code == 404
    assert client.get(REPORT, {"org": "st-annes"}).status_code == 404
    # Bad parameters from someone who may not look: still 404, not a hint.
    assert client.get(DASHBOARD, {"org": "st-annes", "unit": "nope"}).status_code == 404


def test_it_answers_404_for_an_organisation_that_does_not_exist(staffed: Hospital) -> None:
    response = session(staffed.people["lena"]).get(DASHBOARD, {"org": "nowhere"})
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_it_answers_404_when_a_token_asks_about_another_organisation(staffed: Hospital) -> None:
    response = bearer(token_for(staffed, "lena")).get(DASHBOARD, {"org": "elsewhere"})
    assert response.status_code == 404


def test_it_answers_401_without_credentials(staffed: Hospital) -> None:
    for url in (DASHBOARD, REPORT):
        response = Client().get(url)
        assert response.status_code == 401, "not a redirect to the login page"
        assert response.json()["detail"]


def test_it_refuses_revoked_expired_and_wrong_tokens(staffed: Hospital) -> None:
    revoked = token_for(staffed, "lena")
    api_token_revoke(actor=SETUP, prefix=revoked.split(".")[0])
    expired = token_for(staffed, "wendy", days=1)
    ApiToken.objects.filter(prefix=expired.split(".")[0]).update(
        expires_at=clock.now() - dt.timedelta(seconds=1),
        created_at=clock.now() - dt.timedelta(days=2),
    )
    good = token_for(staffed, "lena")
    wrong_secret = good.split(".")[0] + ".not-the-secret"
    for raw in (revoked, expired, wrong_secret, "garbage", good + "x"):
        assert bearer(raw).get(DASHBOARD).status_code == 401, raw
    assert bearer(good).get(DASHBOARD).status_code == 200


def test_it_stops_a_token_whose_holder_lost_the_role(staffed: Hospital) -> None:
    from wellkept.orgs.services import staff_membership_revoke

    raw = token_for(staffed, "lena")
    staff_membership_revoke(
        actor=SETUP, user=staffed.people["lena"], organisation=staffed.organisation, role="leader"
    )
    assert bearer(raw).get(DASHBOARD).status_code == 404


def test_it_refuses_a_token_for_someone_who_may_not_see_dashboards(staffed: Hospital) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        token_for(staffed, "priya")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"instrument": "nope"}, "There is no questionnaire"),
        ({"grain": "decade"}, "Group by week, month or quarter."),
        ({"periods": "99"}, "Show between 1 and 26 periods."),
        ({"unit": "not-a-unit"}, "That unit is not part of this organisation."),
        ({"shift": "day", "role": "nurse"}, "not both at once"),
    ],
)
def test_it_answers_400_with_a_message_for_bad_parameters(
    staffed: Hospital, params: dict[str, str], message: str
) -> None:
    response = session(staffed.people["lena"]).get(DASHBOARD, params)
    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_it_publishes_an_openapi_schema_listing_the_endpoints(db: None) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/insights/dashboard", "/api/v1/insights/measure-report"} <= set(paths)
    # No docs page: it would load its scripts from a CDN.
    assert Client().get("/api/v1/docs").status_code == 404


def test_it_exports_a_valid_fhir_measure_report(seeded: Hospital) -> None:
    from fhir.resources.measurereport import MeasureReport

    response = session(seeded.people["lena"]).get(REPORT, {"instrument": "phq9"})
    assert response.status_code == 200, response.content
    body = response.json()
    report = MeasureReport.model_validate(body)
    assert (report.status, report.type) == ("complete", "summary")
    groups = body["group"]
    assert {g["linkId"] for g in groups} >= {"overall", "view"}
    for group in groups:
        if "extension" in group:
            # Hidden: the reason only, no count and no score.
            assert "population" not in group
            assert "measureScoreQuantity" not in group
            assert group["extension"][0]["valueString"]
        else:
            assert group["population"][0]["count"] >= 5
    dashboard = session(seeded.people["lena"]).get(DASHBOARD, {"instrument": "phq9"}).json()
    overall = next(g for g in groups if g["linkId"] == "overall")
    if not dashboard["overall"]["hidden"]:
        assert overall["measureScoreQuantity"]["value"] == dashboard["overall"]["mean"]


def test_it_audits_every_call(seeded: Hospital) -> None:
    before = AuditEntry.objects.count()
    session(seeded.people["lena"]).get(DASHBOARD, {"instrument": "phq9"})
    bearer(token_for(seeded, "wendy")).get(REPORT, {"instrument": "phq9"})
    session(seeded.people["priya"]).get(DASHBOARD, {"org": "st-annes"})
    entries = list(AuditEntry.objects.filter(id__gt=before).order_by("id"))
    events = [(e.event, e.outcome, e.actor_id) for e in entries]
    lena, wendy, priya = (str(seeded.people[n].pk) for n in ("lena", "wendy", "priya"))
    assert ("aggregate.view", "allowed", lena) in events
    assert ("record.export", "allowed", wendy) in events
    assert ("access.denied", "denied", priya) in events
    assert all(e.target.startswith("aggregate:") for e in entries if e.event != "grant.created")


def test_the_command_creates_and_revokes_a_token(seeded: Hospital, capsys: Any) -> None:
    call_command("api-token", "create", "lena@st-annes.example", "--org", "st-annes")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert bearer(raw).get(DASHBOARD).status_code == 200
    call_command("api-token", "revoke", raw.split(".")[0])
    assert bearer(raw).get(DASHBOARD).status_code == 401
    assert AuditEntry.objects.filter(
        event="grant.revoked", target__startswith="api_token:"
    ).exists()
