"""Re-identification: two people, one token, a time limit, fresh MFA, and the participant told."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup import reidentification
from wellkept.followup.models import GrantStatus, IdentityGrant
from wellkept.followup.scopes import identity_resource
from wellkept.followup.tests.conftest import PIA_NAME, assigned_to, sign_in

pytestmark = pytest.mark.django_db

REASON = "No reply for three days after a safety alert; we need to reach her in person."


def ask(client, world, case, *, who="sam", purpose="safety_emergency", reason=REASON):
    sign_in(client, world.people[who])
    return client.post(
        reverse("followup:identity_request", args=[case.pk]),
        {"purpose": purpose, "reason": reason},
    )


def approve(client, world, grant, *, who="priya", follow=False, **extra):
    sign_in(client, world.people[who], fresh_mfa=True)
    return client.post(
        reverse("followup:privacy_approve", args=[grant.pk]),
        {"hours": 24, "note": "", **extra},
        follow=follow,
    )


def reveal(client, world, grant, *, who="sam", fresh=True):
    sign_in(client, world.people[who], fresh_mfa=fresh)
    return client.post(reverse("followup:grant_identity", args=[grant.pk]))


@pytest.fixture
def grant(client, world, case):
    assigned_to(case, world.people["sam"])
    assert ask(client, world, case).status_code == 302
    return IdentityGrant.objects.get()


def test_it_takes_two_people_and_tells_the_participant(
    client, world, case, grant, django_capture_on_commit_callbacks
):
    assert grant.status == GrantStatus.PENDING
    # The requester cannot see the name before the decision.
    assert reveal(client, world, grant).status_code == 200  # the "not valid" page
    assert PIA_NAME not in reveal(client, world, grant).content.decode()

    assert approve(client, world, grant).status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.APPROVED
    assert grant.expires_at - grant.decided_at == dt.timedelta(hours=24)

    with django_capture_on_commit_callbacks(execute=True):
        page = reveal(client, world, grant).content.decode()
    assert PIA_NAME in page
    assert "pia@st-annes.example" in page

    # Told by e-mail: who, when, why; and in My data with the reason.
    told = [m for m in mail.outbox if m.to == ["pia@st-annes.example"]]
    assert len(told) == 1
    assert "Dr Sam Specter" in told[0].body
    assert "Safety emergency" in told[0].body
    sign_in(client, world.people["pia"])
    mydata = client.get(reverse("lifecycle:mydata")).content.decode()
    assert "Who looked up your name" in mydata
    assert "Dr Sam Specter" in mydata
    assert "No reply for three days" in mydata

    trail = list(
        AuditEntry.objects.filter(target__contains=f"/grant:{grant.pk}").values_list(
            "event", flat=True
        )
    )
    for event in (
        EventType.REIDENTIFICATION_REQUESTED,
        EventType.REIDENTIFICATION_APPROVED,
        EventType.REIDENTIFICATION_USED,
        EventType.REIDENTIFICATION_TOLD,
    ):
        assert event.value in trail
    assert AuditEntry.objects.filter(
        event="record.read",
        target=f"participant:{case.participant.token}/grant:{grant.pk}/identity",
    ).exists()


def test_the_requester_can_never_approve_their_own_request(client, world, case):
    assigned_to(case, world.people["petra"])
    assert ask(client, world, case, who="petra").status_code == 302
    grant = IdentityGrant.objects.get()
    assert approve(client, world, grant, who="petra").status_code == 404
    with pytest.raises(PermissionDenied):
        reidentification.reidentification_decide(
            actor=world.people["petra"], grant=grant, approve=True
        )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING
    assert AuditEntry.objects.filter(
        outcome="denied", target=f"participant:{case.participant.token}/grant:{grant.pk}"
    ).exists()
    # Even written straight to the database, one person cannot be both.
    with pytest.raises(IntegrityError), transaction.atomic():
        IdentityGrant.objects.filter(pk=grant.pk).update(decided_by=world.people["petra"])


def test_a_grant_expires(client, world, grant, moving_clock):
    approve(client, world, grant)
    grant.refresh_from_db()
    assert grant.is_live()
    # Time moves through the clock seam only: the grant, the policy and the
    # proof of the second factor (stamped at the clock's now) agree on it.
    moving_clock(hours=24, minutes=1)
    page = reveal(client, world, grant).content.decode()
    assert PIA_NAME not in page
    assert "not valid" in page
    with pytest.raises(PermissionDenied):
        reidentification.identity_reveal(
            actor=world.people["sam"], grant=grant, request=_fresh_request(world)
        )
    grant.refresh_from_db()
    assert grant.uses == 0
    sign_in(client, world.people["priya"])
    queue = client.get(reverse("followup:privacy_requests")).content.decode()
    assert "Used or expired grants to review (1)" in queue


def test_a_grant_is_still_live_a_minute_before_it_ends(client, world, grant, moving_clock):
    approve(client, world, grant)
    moving_clock(hours=23, minutes=59)
    assert PIA_NAME in reveal(client, world, grant).content.decode()


def _fresh_request(world, who="sam", *, seconds_ago=0):
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().post("/")
    request.user = world.people[who]
    request.session = SessionStore()
    request.session["account_authentication_methods"] = [
        {"method": "mfa", "at": clock.now().timestamp() - seconds_ago}
    ]
    request.session["account_authentication_methods_user"] = str(world.people[who].pk)
    return request


def test_a_grant_needs_a_fresh_second_factor_at_the_moment_of_use(client, world, grant):
    approve(client, world, grant)
    response = reveal(client, world, grant, fresh=False)
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    with pytest.raises(reidentification.ReauthenticationNeeded):
        reidentification.identity_reveal(actor=world.people["sam"], grant=grant, request=None)
    assert AuditEntry.objects.filter(
        event="access.denied", reason__contains="second-factor check"
    ).exists()
    grant.refresh_from_db()
    assert grant.uses == 0
    assert grant.participant_told_on is None


def test_a_grant_for_one_token_reveals_no_other(client, world, grant):
    approve(client, world, grant)
    sam = world.people["sam"]
    colin = world.participants["colin"]
    assert (
        can(sam, Action.READ_IDENTITY, identity_resource(colin), Purpose.SAFETY_EMERGENCY) is False
    )
    pia = world.participants["pia"]
    assert can(sam, Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY)
    # Nor for another purpose, nor for another person.
    assert not can(sam, Action.READ_IDENTITY, identity_resource(pia), Purpose.BURNOUT_FOLLOW_UP)
    assert not can(
        world.people["wendy"],
        Action.READ_IDENTITY,
        identity_resource(pia),
        Purpose.SAFETY_EMERGENCY,
    )
    # Someone else's grant page is "not found".
    assert reveal(client, world, grant, who="wendy").status_code == 404


def test_an_exception_keeps_the_participant_untold_and_is_recorded(
    client, world, grant, django_capture_on_commit_callbacks
):
    short = approve(
        client, world, grant, do_not_tell="on", exception_reason="too short", follow=True
    )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING
    assert "at least 20 characters" in short.content.decode()
    approve(
        client,
        world,
        grant,
        do_not_tell="on",
        exception_reason="Telling her now would put her at risk, per the treating psychiatrist.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert PIA_NAME in reveal(client, world, grant).content.decode()
    assert not [m for m in mail.outbox if m.to == ["pia@st-annes.example"]]
    sign_in(client, world.people["pia"])
    assert (
        "Nobody has looked up your name" in client.get(reverse("lifecycle:mydata")).content.decode()
    )
    assert AuditEntry.objects.filter(event=EventType.REIDENTIFICATION_EXCEPTION).exists()


def test_a_prohibited_purpose_is_refused_audited_and_reported(client, world, case):
    assigned_to(case, world.people["sam"])
    response = ask(client, world, case, purpose="performance_review")
    assert response.status_code == 403
    assert "prohibited purpose" in response.content.decode()
    assert not IdentityGrant.objects.exists()
    refused = AuditEntry.objects.get(event=EventType.ACCESS_PURPOSE_REFUSED)
    assert refused.purpose == "performance_review"
    assert refused.actor_id == str(world.people["sam"].pk)
    sign_in(client, world.people["priya"])
    report = client.get(reverse("followup:privacy_refused")).content.decode()
    assert "Dr Sam Specter" in report
    assert "Performance review (prohibited)" in report
    # The form never offers it.
    sign_in(client, world.people["sam"])
    form = client.get(reverse("followup:identity_request", args=[case.pk])).content.decode()
    import re

    offered = re.findall(r'name="purpose"[^>]*value="([a-z_]+)"', form)
    assert offered == ["safety_emergency", "burnout_follow_up"]


@pytest.mark.parametrize(
    ("purpose", "reason", "message"),
    [
        ("world_domination", REASON, "Choose a purpose from the list"),
        ("clinical_care", REASON, "safety emergency or burnout follow-up"),
        ("safety_emergency", "because", "at least 20 characters"),
    ],
)
def test_it_answers_bad_requests_clearly(client, world, case, purpose, reason, message):
    assigned_to(case, world.people["sam"])
    response = ask(client, world, case, purpose=purpose, reason=reason)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not IdentityGrant.objects.exists()


def test_break_glass_opens_at_once_alerts_the_privacy_role_and_waits_for_review(
    client, world, case, django_capture_on_commit_callbacks
):
    assigned_to(case, world.people["sam"])
    sign_in(client, world.people["sam"], fresh_mfa=True)
    url = reverse("followup:breakglass", args=[case.pk])
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            url, {"reason": "She wrote she has a plan for tonight; no answer.", "confirm": "on"}
        ).content.decode()
    assert PIA_NAME in page
    assert "privacy officer has been alerted" in page
    alert = [m for m in mail.outbox if "priya@st-annes.example" in m.to]
    assert len(alert) == 1
    assert "Break-glass" in alert[0].subject
    assert PIA_NAME not in alert[0].body
    assert case.participant.token not in alert[0].body
    assert AuditEntry.objects.filter(event=EventType.BREAKGLASS_OPENED).count() == 1

    grant = IdentityGrant.objects.get()
    sign_in(client, world.people["priya"], fresh_mfa=True)
    queue = client.get(reverse("followup:privacy_requests")).content.decode()
    assert "Break-glass to review (1)" in queue
    # The specialist cannot review it; the privacy officer can.
    sign_in(client, world.people["sam"])
    assert (
        client.post(
            reverse("followup:privacy_review", args=[grant.pk]), {"note": "x" * 30}
        ).status_code
        == 404
    )
    sign_in(client, world.people["priya"])
    client.post(
        reverse("followup:privacy_review", args=[grant.pk]),
        {"note": "Justified: plan disclosed, no reply, safety team reached her."},
    )
    grant.refresh_from_db()
    assert grant.reviewed_by_id == world.people["priya"].pk
    assert (
        "Break-glass to review (0)"
        in client.get(reverse("followup:privacy_requests")).content.decode()
    )


@pytest.mark.parametrize("persona", ["wendy", "lena", "priya"])
def test_break_glass_is_for_specialists_only(client, world, case, persona):
    sign_in(client, world.people[persona], fresh_mfa=True)
    response = client.post(
        reverse("followup:breakglass", args=[case.pk]),
        {"reason": "An emergency, I am sure of it, honestly.", "confirm": "on"},
    )
    assert response.status_code == 404
    assert not IdentityGrant.objects.exists()


def test_a_used_grant_is_listed_and_reviewed(client, world, grant):
    approve(client, world, grant)
    reveal(client, world, grant)
    sign_in(client, world.people["priya"])
    assert (
        "Used or expired grants to review (1)"
        in client.get(reverse("followup:privacy_requests")).content.decode()
    )
    client.post(
        reverse("followup:privacy_review", args=[grant.pk]),
        {"note": "Needed and used once for the stated purpose."},
    )
    grant.refresh_from_db()
    assert grant.reviewed_at is not None
    assert AuditEntry.objects.filter(event=EventType.GRANT_REVIEWED).count() == 1


@pytest.mark.parametrize("persona", ["lena", "amira", "wendy", "oscar", "pia"])
def test_privacy_pages_are_not_found_for_everyone_else(client, world, grant, persona):
    sign_in(client, world.people[persona], fresh_mfa=True)
    for name in ("followup:privacy_grant", "followup:privacy_approve", "followup:privacy_refuse"):
        method = client.get if name == "followup:privacy_grant" else client.post
        assert method(reverse(name, args=[grant.pk])).status_code == 404
    if persona == "oscar":
        # The privacy officer of another organisation sees his own, empty, lists.
        assert (
            grant.participant.token[:8]
            not in client.get(reverse("followup:privacy_requests")).content.decode()
        )
    else:
        assert client.get(reverse("followup:privacy_requests")).status_code == 404
        assert client.get(reverse("followup:privacy_refused")).status_code == 404
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING


def api(client, case, body):
    return client.post(
        reverse("followup:api_identity_request", args=[case.pk]),
        data=body,
        content_type="application/json",
    )


def test_the_api_refuses_a_prohibited_purpose_and_records_it(client, world, case):
    import json

    assigned_to(case, world.people["sam"])
    sign_in(client, world.people["sam"])
    refused = api(client, case, json.dumps({"purpose": "discipline", "reason": REASON}))
    assert refused.status_code == 403
    assert "prohibited purpose" in refused.json()["detail"]
    assert AuditEntry.objects.filter(
        event=EventType.ACCESS_PURPOSE_REFUSED, purpose="discipline"
    ).exists()
    assert not IdentityGrant.objects.exists()
    for body, status in (
        ("not json", 400),
        (json.dumps(["a list"]), 400),
        (json.dumps({"purpose": "made_up", "reason": REASON}), 400),
        (json.dumps({"purpose": 3, "reason": REASON}), 400),
    ):
        assert api(client, case, body).status_code == status, body
    created = api(client, case, json.dumps({"purpose": "safety_emergency", "reason": REASON}))
    assert created.status_code == 201
    assert created.json()["status"] == "pending"
    sign_in(client, world.people["lena"])
    assert (
        api(client, case, json.dumps({"purpose": "safety_emergency", "reason": REASON})).status_code
        == 404
    )


# ---- Found in the security review -------------------------------------------------------


def test_approving_needs_a_fresh_second_factor_whoever_calls(world, grant):
    stale = _fresh_request(world, "priya", seconds_ago=3600)
    with pytest.raises(reidentification.ReauthenticationNeeded):
        reidentification.reidentification_decide(
            actor=world.people["priya"], grant=grant, approve=True, request=stale
        )
    with pytest.raises(reidentification.ReauthenticationNeeded):
        reidentification.reidentification_decide(
            actor=world.people["priya"], grant=grant, approve=True, request=None
        )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING
    assert AuditEntry.objects.filter(
        event="access.denied", reason__contains="approving a re-identification"
    ).exists()
    # Refusing takes nothing from anyone: no fresh factor needed.
    reidentification.reidentification_decide(
        actor=world.people["priya"], grant=grant, approve=False, request=stale
    )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REFUSED


def test_a_use_is_counted_on_a_live_grant_only(client, world, case, grant, moving_clock):
    approve(client, world, grant)
    moving_clock(hours=25)
    assert ask(client, world, case).status_code == 302
    second = IdentityGrant.objects.exclude(pk=grant.pk).get()
    approve(client, world, second)
    # The policy finds Sam's live second grant, but the expired one is
    # what this call names: it is refused and its count stays at zero.
    with pytest.raises(PermissionDenied):
        reidentification.identity_reveal(
            actor=world.people["sam"], grant=grant, request=_fresh_request(world)
        )
    grant.refresh_from_db()
    assert (grant.uses, grant.participant_told_on) == (0, None)


def test_a_grant_ends_when_the_participant_leaves_the_programme(client, world, grant):
    from wellkept.consent.services import consent_record

    approve(client, world, grant)
    pia = world.participants["pia"]
    assert can(
        world.people["sam"], Action.READ_IDENTITY, identity_resource(pia), "safety_emergency"
    )
    consent_record(
        actor=world.people["pia"],
        participant=pia,
        notice=world.st_annes.notice,
        take_part=False,
        follow_up_contact=False,
        safety_alert=False,
    )
    assert not can(
        world.people["sam"], Action.READ_IDENTITY, identity_resource(pia), "safety_emergency"
    )
    assert PIA_NAME not in reveal(client, world, grant).content.decode()


def test_break_glass_is_for_the_specialist_on_the_open_case(client, world, case):
    case = assigned_to(case, world.people["sam"])
    url = reverse("followup:breakglass", args=[case.pk])
    emergency = {"reason": "She wrote she has a plan for tonight; no answer.", "confirm": "on"}
    # Sid is a specialist too, but the case is Sam's.
    sign_in(client, world.people["sid"], fresh_mfa=True)
    assert client.get(url).status_code == 404
    assert client.post(url, emergency).status_code == 404
    with pytest.raises(PermissionDenied):
        reidentification.breakglass_open(
            actor=world.people["sid"],
            case=case,
            reason=emergency["reason"],
            request=_fresh_request(world, "sid"),
        )
    assert AuditEntry.objects.filter(event="access.denied", reason__contains="assigned to").exists()
    # Once the case is closed, not even Sam.
    from wellkept.followup.services import case_close

    case_close(actor=world.people["sam"], case=case, reason="resolved")
    case.refresh_from_db()
    sign_in(client, world.people["sam"], fresh_mfa=True)
    assert client.post(url, emergency).status_code == 404
    with pytest.raises(PermissionDenied):
        reidentification.breakglass_open(
            actor=world.people["sam"],
            case=case,
            reason=emergency["reason"],
            request=_fresh_request(world),
        )
    assert not IdentityGrant.objects.exists()


def test_a_look_up_under_an_exception_stays_out_of_the_participants_log(client, world, grant):
    from wellkept.followup.selectors import lookups_not_told

    pia = world.participants["pia"]
    prefix = f"participant:{pia.token}/grant:{grant.pk}"
    # Pending: not told yet, so held back.
    assert lookups_not_told(pia) == [prefix]
    approve(
        client,
        world,
        grant,
        do_not_tell="on",
        exception_reason="Telling her now would put her at risk, per the treating psychiatrist.",
    )
    reveal(client, world, grant)
    with pytest.raises(reidentification.ReauthenticationNeeded):  # a refused reading too
        reidentification.identity_reveal(
            actor=world.people["sam"], grant=grant, request=_fresh_request(world, seconds_ago=3600)
        )
    assert lookups_not_told(pia) == [prefix]
    # Every entry of this look-up shares the prefix, the name's reading included.
    about_pia = AuditEntry.objects.filter(target__startswith=f"participant:{pia.token}/")
    of_grant = [e for e in about_pia if e.target.startswith(prefix)]
    assert {e.event for e in of_grant} >= {
        EventType.REIDENTIFICATION_REQUESTED,
        EventType.REIDENTIFICATION_APPROVED,
        EventType.REIDENTIFICATION_EXCEPTION,
        EventType.REIDENTIFICATION_USED,
        "record.read",
        "access.denied",
    }
    leaks = [e for e in about_pia if "identity" in e.target and not e.target.startswith(prefix)]
    assert leaks == []


def test_a_told_look_up_is_no_longer_held_back(client, world, grant):
    from wellkept.followup.selectors import lookups_not_told

    approve(client, world, grant)
    reveal(client, world, grant)
    assert lookups_not_told(world.participants["pia"]) == []


def test_the_api_needs_the_csrf_token_like_every_form(world, case):
    import json

    from django.test import Client

    assigned_to(case, world.people["sam"])
    strict = sign_in(Client(enforce_csrf_checks=True), world.people["sam"])
    body = json.dumps({"purpose": "safety_emergency", "reason": REASON})
    response = strict.post(
        reverse("followup:api_identity_request", args=[case.pk]),
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 403
    response = strict.post(
        reverse("followup:identity_request", args=[case.pk]),
        {"purpose": "safety_emergency", "reason": REASON},
    )
    assert response.status_code == 403
    assert not IdentityGrant.objects.exists()


def test_the_api_answers_missing_and_forbidden_alike(client, world, case):
    import json
    import uuid

    body = json.dumps({"purpose": "safety_emergency", "reason": REASON})
    sign_in(client, world.people["lena"])
    forbidden = api(client, case, body)
    missing = client.post(
        reverse("followup:api_identity_request", args=[uuid.uuid4()]),
        data=body,
        content_type="application/json",
    )
    assert (forbidden.status_code, forbidden.json()) == (missing.status_code, missing.json())
    assert forbidden.status_code == 404


def test_a_staff_members_request_is_recorded_under_them_not_the_token(client, world, grant):
    entry = AuditEntry.objects.get(event=EventType.REIDENTIFICATION_REQUESTED)
    decided = AuditEntry.objects.filter(
        event="record.create", target=f"participant:{grant.participant.token}/grant:{grant.pk}"
    ).get()
    for e in (entry, decided):
        assert e.actor_id == str(world.people["sam"].pk)
        assert e.actor_label != f"participant:{grant.participant.token}"
