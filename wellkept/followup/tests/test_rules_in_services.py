"""Every rule the case page expresses by hiding a button holds in the service too (issue 15).

Each test posts straight to the page's URL and, where there is one, to the
JSON endpoint, the way a specialist, a privacy officer or a script would
without the page: the button is a hint, the service decides.
"""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup import reidentification, services
from wellkept.followup.models import (
    BreakGlassAllowance,
    Case,
    CaseNote,
    GrantKind,
    GrantStatus,
    IdentityGrant,
)
from wellkept.followup.scopes import identity_resource
from wellkept.followup.tests.conftest import PIA_NAME, assigned_to, colin_asks, sign_in
from wellkept.followup.tests.test_reidentification import _fresh_request
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Role

pytestmark = pytest.mark.django_db

REASON = "No reply for three days after a safety alert; we need to reach her in person."
EMERGENCY = "She wrote that she has a plan for tonight and does not answer the phone."


def breakglass_post(client, case, reason=EMERGENCY):
    return client.post(
        reverse("followup:breakglass", args=[case.pk]), {"reason": reason, "confirm": "on"}
    )


def api(client, case, body):
    return client.post(
        reverse("followup:api_identity_request", args=[case.pk]),
        data=json.dumps(body),
        content_type="application/json",
    )


@pytest.fixture
def request_case(world):
    """Colin asked someone to contact him: a request, not a safety alert; Sam took it."""
    case = colin_asks(world)
    return assigned_to(case, world.people["sam"])


# ---- 1. Break-glass on a case that is not a safety alert ----------------------------


def test_break_glass_on_a_request_case_is_refused_by_page_service_and_policy(
    client, world, request_case
):
    sam = world.people["sam"]
    sign_in(client, sam, fresh_mfa=True)
    page = client.get(reverse("followup:case", args=[request_case.pk])).content.decode()
    assert "break-glass" not in page.lower()
    assert client.get(reverse("followup:breakglass", args=[request_case.pk])).status_code == 404
    assert breakglass_post(client, request_case).status_code == 404
    with pytest.raises(PermissionDenied):
        reidentification.breakglass_open(
            actor=sam, case=request_case, reason=EMERGENCY, request=_fresh_request(world)
        )
    assert not reidentification.breakglass_decision(actor=sam, case=request_case).allowed
    assert not IdentityGrant.objects.exists()
    assert AuditEntry.objects.filter(
        event="access.denied", reason__contains="safety-alert cases only"
    ).exists()
    colin = world.participants["colin"]
    assert not can(sam, Action.READ_IDENTITY, identity_resource(colin), Purpose.SAFETY_EMERGENCY)


# ---- 5. A name request on a closed case ---------------------------------------------


def test_a_name_request_on_a_closed_case_is_refused_by_form_and_api(client, world, case):
    case = assigned_to(case, world.people["sam"])
    services.case_close(actor=world.people["sam"], case=case, reason="resolved")
    sign_in(client, world.people["sam"])
    form_page = client.get(reverse("followup:identity_request", args=[case.pk])).content.decode()
    assert "This case is closed" in form_page
    assert 'name="reason"' not in form_page
    posted = client.post(
        reverse("followup:identity_request", args=[case.pk]),
        {"purpose": "safety_emergency", "reason": REASON},
    )
    assert posted.status_code == 409
    answered = api(client, case, {"purpose": "safety_emergency", "reason": REASON})
    assert answered.status_code == 409
    assert "closed" in answered.json()["detail"]
    assert not IdentityGrant.objects.exists()
    assert (
        AuditEntry.objects.filter(event="access.denied", reason="the case is closed").count() == 2
    )


def test_notes_and_messages_on_a_closed_case_are_refused(client, world, case):
    case = assigned_to(case, world.people["sam"])
    services.case_close(actor=world.people["sam"], case=case, reason="resolved")
    sign_in(client, world.people["sam"])
    for name in ("note", "message"):
        response = client.post(reverse(f"followup:{name}", args=[case.pk]), {"body": "A note."})
        assert response.status_code == 302
    assert not CaseNote.objects.exists()
    assert not case.messages.exists()
    with pytest.raises(ValidationError, match="closed"):
        services.note_add(actor=world.people["sam"], case=case, body="written by a script")


# ---- 3. The requester's role at decision time and at use -----------------------------


def _request(world, case, who="sam"):
    return reidentification.reidentification_request(
        actor=world.people[who], case=case, purpose="safety_emergency", reason=REASON
    )


def _revoke(world, who="sam", role=Role.SPECIALIST):
    orgs.staff_membership_revoke(
        actor=world.people["amira"],
        user=world.people[who],
        organisation=world.st_annes.organisation,
        role=role,
    )


def _regrant(world, who="sam", role=Role.SPECIALIST):
    orgs.staff_membership_grant(
        actor=world.people["amira"],
        user=world.people[who],
        organisation=world.st_annes.organisation,
        role=role,
    )


def test_a_request_cannot_be_approved_once_the_requester_lost_the_role(client, world, case):
    case = assigned_to(case, world.people["sam"])
    grant = _request(world, case)
    _revoke(world)
    sign_in(client, world.people["priya"], fresh_mfa=True)
    response = client.post(
        reverse("followup:privacy_approve", args=[grant.pk]), {"hours": 24}, follow=True
    )
    assert "cannot be approved any more" in response.content.decode()
    with pytest.raises(ValidationError, match="follow-up role"):
        reidentification.reidentification_decide(
            actor=world.people["priya"],
            grant=grant,
            approve=True,
            request=_fresh_request(world, "priya"),
        )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.PENDING
    # Given back, the role is a new membership: the old request stays unapprovable.
    _regrant(world)
    with pytest.raises(ValidationError, match="without a break"):
        reidentification.reidentification_decide(
            actor=world.people["priya"],
            grant=grant,
            approve=True,
            request=_fresh_request(world, "priya"),
        )
    assert AuditEntry.objects.filter(
        event="access.denied", reason__startswith="approving refused"
    ).exists()
    # Refusing it is always possible.
    reidentification.reidentification_decide(
        actor=world.people["priya"], grant=grant, approve=False
    )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REFUSED


def test_a_grant_does_not_come_back_with_the_role(client, world, case):
    case = assigned_to(case, world.people["sam"])
    grant = _request(world, case)
    reidentification.reidentification_decide(
        actor=world.people["priya"],
        grant=grant,
        approve=True,
        request=_fresh_request(world, "priya"),
    )
    pia = world.participants["pia"]
    sam = world.people["sam"]
    assert can(sam, Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY)
    _revoke(world)
    assert not can(sam, Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY)
    _regrant(world)
    # Within the grant's 24 hours, with the role back: still nothing.
    assert not can(sam, Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY)
    with pytest.raises(PermissionDenied):
        reidentification.identity_reveal(actor=sam, grant=grant, request=_fresh_request(world))
    sign_in(client, sam, fresh_mfa=True)
    page = client.post(reverse("followup:grant_identity", args=[grant.pk]))
    assert PIA_NAME not in page.content.decode()
    grant.refresh_from_db()
    assert grant.uses == 0


# ---- 4. Break-glass limits -----------------------------------------------------------


def _open(world, case, reason=EMERGENCY, who="sam"):
    return reidentification.breakglass_open(
        actor=world.people[who], case=case, reason=reason, request=_fresh_request(world, who)
    )


def _second_alert_case(world, name="colin"):
    """Another participant's safety-alert case, taken by Sam."""
    from wellkept.consent.services import consent_record
    from wellkept.consent.tests.conftest import check_in

    consent_record(
        actor=world.people[name],
        participant=world.participants[name],
        notice=world.st_annes.notice,
        take_part=True,
        follow_up_contact=True,
        safety_alert=True,
    )
    check_in(world, name, world.st_annes)
    other = Case.objects.get(participant=world.participants[name])
    return assigned_to(other, world.people["sam"])


@pytest.mark.parametrize(
    "reason",
    [
        "a" * 22,
        "aaaa aaaa aaaa aaaa aaaa aaaa",
        "help help help help help help",
        "x.x.x.x.x.x.x.x.x.x.x.x.x.x",
    ],
)
def test_a_break_glass_reason_must_say_something(client, world, case, reason):
    case = assigned_to(case, world.people["sam"])
    with pytest.raises(ValidationError, match="in your own words"):
        _open(world, case, reason)
    sign_in(client, world.people["sam"], fresh_mfa=True)
    response = breakglass_post(client, case, reason)
    assert response.status_code == 400
    assert "in your own words" in response.content.decode()
    assert not IdentityGrant.objects.exists()


def test_one_unreviewed_break_glass_at_a_time_then_review_or_allowance(
    client, world, case, django_capture_on_commit_callbacks
):
    case = assigned_to(case, world.people["sam"])
    other = _second_alert_case(world)
    first, _ = _open(world, case)
    # A copy of the last reason is refused before anything else.
    with pytest.raises(ValidationError, match="repeats your previous one"):
        _open(world, other, EMERGENCY.upper() + "!")
    # A second opening while the first waits for review: refused, audited,
    # the privacy officers alerted, no name.
    second_reason = "Second alert tonight; he wrote a goodbye message to his team."
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(reidentification.BreakGlassLimit, match="waits for a privacy"),
    ):
        _open(world, other, second_reason)
    assert IdentityGrant.objects.filter(kind=GrantKind.BREAK_GLASS).count() == 1
    assert AuditEntry.objects.filter(
        event="access.denied", reason__startswith="break-glass limit"
    ).exists()
    blocked = [m for m in mail.outbox if "Break-glass refused" in m.subject]
    assert len(blocked) == 1
    assert "priya@st-annes.example" in blocked[0].to
    assert str(first.pk) in blocked[0].body
    # The page explains it and shows no name.
    sign_in(client, world.people["sam"], fresh_mfa=True)
    assert (
        "still waits for a privacy officer"
        in client.get(reverse("followup:breakglass", args=[other.pk])).content.decode()
    )
    refused = breakglass_post(client, other, second_reason + " Still no answer.")
    assert refused.status_code == 403
    assert "Colin" not in refused.content.decode()

    # A privacy officer's allowance: one more opening, used once.
    with pytest.raises(reidentification.ReauthenticationNeeded):
        reidentification.breakglass_allowance_grant(
            actor=world.people["priya"], grant=first, reason="Second emergency confirmed by phone."
        )
    sign_in(client, world.people["priya"], fresh_mfa=True)
    client.post(
        reverse("followup:privacy_breakglass_allow", args=[first.pk]),
        {"reason": "Second emergency confirmed with the on-call psychiatrist by phone."},
    )
    allowance = BreakGlassAllowance.objects.get()
    assert allowance.specialist_id == world.people["sam"].pk
    assert AuditEntry.objects.filter(event=EventType.BREAKGLASS_ALLOWED).count() == 1
    second, identity = _open(world, other, second_reason)
    allowance.refresh_from_db()
    assert allowance.used_by_id == second.pk
    assert identity.found
    # Used up: a third needs the reviews (or another allowance).
    with pytest.raises(reidentification.BreakGlassLimit):
        _open(world, case, "Third call from the ward: she left the building an hour ago.")
    # Both reviewed: free again.
    for g in (first, second):
        reidentification.grant_review(
            actor=world.people["priya"], grant=g, note="Justified: plan disclosed, no reply."
        )
    _open(world, case, "Third call from the ward: she left the building an hour ago.")
    assert IdentityGrant.objects.filter(kind=GrantKind.BREAK_GLASS).count() == 3


def test_nobody_allows_themselves_another_opening(world, case):
    """Petra is a wellbeing officer and a privacy officer; as a specialist too, she could try."""
    orgs.staff_membership_grant(
        actor=world.people["amira"],
        user=world.people["petra"],
        organisation=world.st_annes.organisation,
        role=Role.SPECIALIST,
    )
    case = assigned_to(case, world.people["petra"])
    grant, _ = _open(world, case, who="petra")
    with pytest.raises(PermissionDenied):
        reidentification.breakglass_allowance_grant(
            actor=world.people["petra"],
            grant=grant,
            reason="I am in another emergency right now, honestly.",
            request=_fresh_request(world, "petra"),
        )
    assert not BreakGlassAllowance.objects.exists()


def test_the_break_glass_grant_ends_with_the_case(client, world, case):
    case = assigned_to(case, world.people["sam"])
    grant, _ = _open(world, case)
    sam, pia = world.people["sam"], world.participants["pia"]
    assert can(sam, Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY)
    services.case_close(actor=sam, case=case, reason="resolved")
    grant.refresh_from_db()
    assert not grant.is_live()
    assert AuditEntry.objects.filter(
        event=EventType.FOLLOWUP_CASE_CLOSED, reason__contains="1 live grant(s) ended"
    ).exists()
    assert not can(sam, Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY)
    sign_in(client, sam, fresh_mfa=True)
    page = client.post(reverse("followup:grant_identity", args=[grant.pk])).content.decode()
    assert PIA_NAME not in page
    # Even if something put the expiry back, the closed case still ends it.
    IdentityGrant.objects.filter(pk=grant.pk).update(
        expires_at=grant.requested_at.replace(year=2999)
    )
    assert not can(sam, Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY)


def test_a_break_glass_grant_ends_when_the_case_is_handed_over(world, case):
    case = assigned_to(case, world.people["sam"])
    _open(world, case)
    services.case_assign(actor=world.people["wendy"], case=case, assignee=world.people["sid"])
    pia = world.participants["pia"]
    assert not can(
        world.people["sam"], Action.READ_IDENTITY, identity_resource(pia), Purpose.SAFETY_EMERGENCY
    )


def test_a_refused_request_has_nothing_to_review(client, world, case):
    case = assigned_to(case, world.people["sam"])
    grant = _request(world, case)
    reidentification.reidentification_decide(
        actor=world.people["priya"], grant=grant, approve=False
    )
    sign_in(client, world.people["priya"])
    client.post(
        reverse("followup:privacy_review", args=[grant.pk]),
        {"note": "Reviewing a refusal that gave nobody a name."},
    )
    grant.refresh_from_db()
    assert grant.reviewed_at is None
