"""Break-glass on a client's record: the policy's rule, the opening, its reads and its review.

Theo is a therapist of Harbour who does not work with Ada (Tess's client):
he is the one break-glass is for. Everyone else is refused, audited.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404

from wellkept import clock
from wellkept.access.actions import Action
from wellkept.access.policy import decide, decide_break_glass
from wellkept.access.purposes import Purpose
from wellkept.access.rules import BREAK_GLASS_RECORD_KINDS
from wellkept.audit.events import EventType
from wellkept.audit.tests import trail
from wellkept.orgs.models import Role
from wellkept.practice import selectors, services
from wellkept.practice.models import ClientBreakGlass, ClientBreakGlassAllowance
from wellkept.practice.scopes import client_record_resource, pnote_resource
from wellkept.practice.tests.conftest import SETUP, adult_intake, raw_column, staff
from wellkept.practice.tests.measures_helpers import phq9, record
from wellkept.practice.tests.notes_helpers import signed
from wellkept.practice.tests.plans_helpers import active_plan
from wellkept.vault.services import Binding, decrypt_text

pytestmark = pytest.mark.django_db

REASON = "Client rang the front desk saying they will harm themselves tonight; Tess is away."
EMERGENCY = Purpose.SAFETY_EMERGENCY


def open_for(practice, who: str = "theo", client: str = "ada", reason: str = REASON):
    return services.breakglass_open(
        actor=practice.people[who], client=practice.clients[client], reason=reason
    )


def later(monkeypatch, minutes: int) -> None:
    moved = clock.now() + dt.timedelta(minutes=minutes)
    monkeypatch.setattr(clock, "now", lambda: moved)


# ---- The rule (the policy's, shared with break-glass on an identity) ---------------


def test_it_allows_break_glass_to_a_specialist_only_and_for_a_safety_emergency_only(practice):
    ada = client_record_resource(practice.clients["ada"])
    allowed = set()
    for who in ("tess", "theo", "sue", "fran", "bill", "priya", "amira", "oren", "olga"):
        for purpose in Purpose:
            decision = decide_break_glass(actor=practice.people[who], resource=ada, purpose=purpose)
            if decision.allowed:
                allowed.add((who, purpose))
    # Tess already holds the record; Oren and Olga are of another practice.
    assert allowed == {("theo", EMERGENCY)}


def test_break_glass_never_reaches_psychotherapy_notes_by_kind():
    from wellkept.access.resources import ResourceKind

    assert ResourceKind.PSYCHOTHERAPY_NOTE not in BREAK_GLASS_RECORD_KINDS


def test_it_lets_no_supervisor_break_the_glass_for_a_non_supervisee(practice):
    # Sue supervises Tess, not Theo: Ben (Theo's) is not hers, and she is no specialist.
    ben = client_record_resource(practice.clients["ben"])
    decision = decide_break_glass(actor=practice.people["sue"], resource=ben, purpose=EMERGENCY)
    assert not decision.allowed


# ---- Opening -----------------------------------------------------------------------


def test_it_opens_a_record_for_an_hour_audited_and_alerts_the_privacy_officer(
    practice, django_capture_on_commit_callbacks
):
    before = trail.mark()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        opening = open_for(practice)

    assert opening.expires_at - opening.opened_at == dt.timedelta(minutes=60)
    entries = trail.written_since(before)
    assert [e.event for e in entries] == [EventType.BREAKGLASS_OPENED]
    assert entries[0].target == f"client:{practice.clients['ada'].pk}/breakglass:{opening.pk}"
    assert entries[0].purpose == EMERGENCY.value
    assert "Ada" not in entries[0].reason
    assert "harm" not in entries[0].reason
    [alert] = mail.outbox
    assert alert.to == [practice.people["priya"].email]
    assert "break-glass access needs review" in alert.body
    assert f"/privacy/practice-break-glass/{opening.pk}/" in alert.body
    # Names no client: neither name, code nor reason.
    ada = practice.clients["ada"]
    for word in ("Ada", "Addie", ada.code, "harm"):
        assert word not in alert.body
        assert word not in alert.subject


def test_it_keeps_the_reason_as_ciphertext_under_the_clients_key(practice):
    opening = open_for(practice)
    raw = raw_column(ClientBreakGlass, opening.pk, "reason")
    assert "harm" not in raw
    binding = Binding("practice.clientbreakglass", str(opening.pk), "reason", opening.dek_subject)
    assert decrypt_text(raw, binding=binding) == REASON


def test_it_refuses_everyone_but_an_unassigned_specialist_audited(practice):
    # One practice for all six: a refusal leaves nothing behind but its entry.
    for who in ("fran", "bill", "sue", "amira", "priya", "oren"):
        before = trail.mark()
        with pytest.raises(PermissionDenied):
            open_for(practice, who=who)
        assert [e.event for e in trail.written_since(before)] == [EventType.ACCESS_DENIED], who
    assert not ClientBreakGlass.objects.exists()


def test_it_refuses_a_therapist_their_own_client(practice):
    with pytest.raises(PermissionDenied):
        open_for(practice, who="tess")


def test_it_refuses_a_reason_too_short_or_filler(practice):
    for reason in ("", "urgent", "aaaaaaaaaaaaaaaaaaaaaaaaaa"):
        with pytest.raises(ValidationError) as refused:
            open_for(practice, reason=reason)
        assert "reason" in refused.value.message_dict
    assert not ClientBreakGlass.objects.exists()


def test_it_gives_back_the_live_opening_of_the_same_client_without_a_second_alert(practice):
    first = open_for(practice)
    before = trail.mark()
    assert (
        open_for(practice, reason="Second look: checking the emergency contact's number.") == first
    )
    assert trail.written_since(before) == []


def test_it_refuses_another_opening_before_the_review_and_alerts(
    practice, django_capture_on_commit_callbacks
):
    # Tess works with Ada only: Ben and Mia are Theo's.
    open_for(practice, who="tess", client="ben")
    mail.outbox.clear()
    before = trail.mark()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as no:
        open_for(
            practice,
            who="tess",
            client="mia",
            reason="Guardian called: the child ran away from home today.",
        )
    assert no.value.code == "review_pending"
    entries = trail.written_since(before)
    assert [e.event for e in entries] == [EventType.ACCESS_DENIED]
    assert "break-glass limit" in entries[0].reason
    assert len(mail.outbox) == 1
    assert "refused" in mail.outbox[0].subject
    assert ClientBreakGlass.objects.count() == 1


def test_it_allows_another_opening_once_the_last_is_reviewed(practice):
    first = open_for(practice, who="tess", client="ben")
    services.breakglass_review(
        actor=practice.people["priya"], opening=first, note="Checked with Theo: a real crisis call."
    )
    second = open_for(
        practice, who="tess", client="mia", reason="Guardian called: the child ran away from home."
    )
    assert second.client == practice.clients["mia"]


# ---- Reading under an opening -------------------------------------------------------


def test_it_lets_the_opener_read_the_record_every_read_audited(practice):
    signed(practice)
    active_plan(practice)
    record(practice, phq9(12))
    opening = open_for(practice)
    theo = practice.people["theo"]
    before = trail.mark()

    got = selectors.get_emergency_record_for(
        actor=theo, organisation=practice.harbour, pk=practice.clients["ada"].pk
    )

    assert got.opening == opening
    assert got.client.legal_name == practice.clients["ada"].legal_name
    assert len(got.notes) == 1
    assert "Kestrelcanary" in got.notes[0].sections["subjective"]
    assert got.plan is not None
    assert got.plan_content
    assert [m.total for m in got.measures] == [12]
    entries = trail.written_since(before)
    assert entries
    assert {e.event for e in entries} == {EventType.RECORD_READ}
    assert all(e.purpose == EMERGENCY.value for e in entries)
    assert all(e.target.startswith(f"client:{practice.clients['ada'].pk}") for e in entries)


def test_it_never_lets_the_opener_read_a_psychotherapy_note(practice):
    ada = practice.clients["ada"]
    note = services.pnote_write(actor=practice.people["tess"], client=ada, body="Private words.")
    open_for(practice)
    theo = practice.people["theo"]
    resource = pnote_resource(ada, note.author_id, note.pk)
    for purpose in (EMERGENCY, Purpose.CLINICAL_CARE):
        assert not decide(
            actor=theo, action=Action.READ, resource=resource, purpose=purpose
        ).allowed
    assert selectors.client_pnotes(actor=theo, client=ada) == []


def test_it_gives_reading_only_never_writing(practice):
    open_for(practice)
    theo = practice.people["theo"]
    ada = client_record_resource(practice.clients["ada"])
    for action in (Action.UPDATE, Action.CREATE, Action.DELETE, Action.EXPORT):
        assert not decide(actor=theo, action=action, resource=ada, purpose=EMERGENCY).allowed
    # Nor under the everyday purpose: the opening is for the emergency only.
    assert not decide(
        actor=theo, action=Action.READ, resource=ada, purpose=Purpose.CLINICAL_CARE
    ).allowed


def test_it_refuses_the_record_once_the_hour_is_over(practice, monkeypatch):
    open_for(practice)
    later(monkeypatch, 61)
    before = trail.mark()
    with pytest.raises(Http404):
        selectors.get_emergency_record_for(
            actor=practice.people["theo"],
            organisation=practice.harbour,
            pk=practice.clients["ada"].pk,
        )
    assert [e.event for e in trail.written_since(before)] == [EventType.ACCESS_DENIED]


def test_an_opening_reaches_no_other_client_and_no_one_else(practice):
    open_for(practice, who="tess", client="ben")
    ben = client_record_resource(practice.clients["ben"])
    mia = client_record_resource(practice.clients["mia"])
    tess = practice.people["tess"]
    assert decide(actor=tess, action=Action.READ, resource=ben, purpose=EMERGENCY).allowed
    assert not decide(actor=tess, action=Action.READ, resource=mia, purpose=EMERGENCY).allowed
    for who in ("sue", "fran", "bill", "oren"):
        assert not decide(
            actor=practice.people[who], action=Action.READ, resource=ben, purpose=EMERGENCY
        ).allowed


# ---- Review -------------------------------------------------------------------------


def test_the_privacy_officer_reviews_an_opening_audited(practice):
    opening = open_for(practice)
    before = trail.mark()
    reviewed = services.breakglass_review(
        actor=practice.people["priya"],
        opening=opening,
        note="Spoke with Theo: the call was real, access proportionate.",
    )
    assert reviewed.reviewed_by == practice.people["priya"]
    assert reviewed.reviewed_at is not None
    events = [e.event for e in trail.written_since(before)]
    assert events == [EventType.RECORD_UPDATE, EventType.GRANT_REVIEWED]


def test_nobody_but_a_privacy_officer_reviews(practice):
    opening = open_for(practice)
    for who in ("theo", "tess", "fran", "amira"):
        before = trail.mark()
        with pytest.raises(PermissionDenied):
            services.breakglass_review(
                actor=practice.people[who], opening=opening, note="Looks fine to me, all in order."
            )
        assert [e.event for e in trail.written_since(before)] == [EventType.ACCESS_DENIED], who
    opening.refresh_from_db()
    assert opening.reviewed_at is None


def test_a_review_needs_words(practice):
    opening = open_for(practice)
    with pytest.raises(ValidationError) as refused:
        services.breakglass_review(actor=practice.people["priya"], opening=opening, note="ok")
    assert "note" in refused.value.message_dict


# ---- One more opening before the review (the privacy officer's allowance) -----------

SECOND = "Guardian called: the child ran away from home today, Theo is away."
ALLOW = "Tess is on call alone tonight; a second crisis may not wait for my review."


def allow(practice, opening, who: str = "priya", reason: str = ALLOW):
    return services.breakglass_allowance_grant(
        actor=practice.people[who], opening=opening, reason=reason
    )


def test_it_allows_one_more_opening_before_the_review_used_once_audited(practice):
    first = open_for(practice, who="tess", client="ben")
    before = trail.mark()
    allowance = allow(practice, first)

    entries = trail.written_since(before)
    assert [e.event for e in entries] == [EventType.RECORD_UPDATE, EventType.BREAKGLASS_ALLOWED]
    tess = practice.people["tess"]
    assert entries[1].target == f"user:{tess.pk}/practice-breakglass-allowance:{allowance.pk}"
    assert "Tess" not in entries[1].reason
    assert allowance.expires_at - allowance.granted_at == dt.timedelta(hours=24)
    raw = raw_column(ClientBreakGlassAllowance, allowance.pk, "reason")
    assert "on call" not in raw

    before = trail.mark()
    second = open_for(practice, who="tess", client="mia", reason=SECOND)
    [opened] = [e for e in trail.written_since(before) if e.event == EventType.BREAKGLASS_OPENED]
    assert f"under allowance {allowance.pk}" in opened.reason
    allowance.refresh_from_db()
    assert allowance.used_by == second
    # Used once: a third opening (another client: Mia's is live) is refused again.
    cy = services.client_create(
        actor=SETUP, organisation=practice.harbour, intake=adult_intake("Cy Samplesby")
    )
    with pytest.raises(ValidationError) as no:
        services.breakglass_open(
            actor=practice.people["tess"], client=cy, reason="A neighbour reports Cy on the bridge."
        )
    assert no.value.code == "review_pending"
    assert ClientBreakGlass.objects.count() == 2


def test_it_gives_one_unused_allowance_at_a_time_and_none_on_a_reviewed_opening(practice):
    first = open_for(practice, who="tess", client="ben")
    allow(practice, first)
    with pytest.raises(ValidationError) as twice:
        allow(practice, first, reason="Another one, just in case the night is long.")
    assert twice.value.code == "already_allowed"
    services.breakglass_review(
        actor=practice.people["priya"], opening=first, note="Checked with Tess: a real crisis."
    )
    with pytest.raises(ValidationError) as reviewed:
        allow(practice, first)
    assert reviewed.value.code == "not_waiting"
    assert ClientBreakGlassAllowance.objects.count() == 1


def test_it_lets_nobody_but_a_privacy_officer_allow_audited(practice):
    first = open_for(practice, who="tess", client="ben")
    for who in ("tess", "theo", "sue", "fran", "bill", "amira", "oren"):
        before = trail.mark()
        with pytest.raises(PermissionDenied):
            allow(practice, first, who=who)
        assert [e.event for e in trail.written_since(before)] == [EventType.ACCESS_DENIED], who
    assert not ClientBreakGlassAllowance.objects.exists()


def test_it_never_lets_a_privacy_officer_allow_themselves(practice):
    # Theo is a therapist and, here, a privacy officer too.
    staff(practice, "theo", practice.harbour, Role.PRIVACY_OFFICER)
    first = open_for(practice)
    with pytest.raises(PermissionDenied):
        allow(practice, first, who="theo")
    assert not ClientBreakGlassAllowance.objects.exists()
    # Nor can a row say so: the database refuses it too.
    theo = practice.people["theo"]
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientBreakGlassAllowance.objects.create(
            organisation=practice.harbour,
            therapist=theo,
            granted_by=theo,
            expires_at=clock.now() + dt.timedelta(hours=1),
            reason="Allowing myself, which must never be possible.",
        )


def test_an_allowance_needs_a_reason(practice):
    first = open_for(practice, who="tess", client="ben")
    with pytest.raises(ValidationError) as refused:
        allow(practice, first, reason="ok")
    assert "reason" in refused.value.message_dict
    assert not ClientBreakGlassAllowance.objects.exists()


def test_an_allowance_for_an_opening_since_reviewed_allows_nothing_further(practice):
    first = open_for(practice, who="tess", client="ben")
    allow(practice, first)
    services.breakglass_review(
        actor=practice.people["priya"], opening=first, note="Checked with Theo: a real crisis call."
    )
    # Nothing waits now: this opening needs no allowance and leaves it unused...
    open_for(practice, who="tess", client="mia", reason="Guardian called: the child ran away.")
    # ...but it was given for the first opening, not for this one waiting now.
    noor = services.client_create(
        actor=SETUP,
        organisation=practice.clients["ben"].organisation,
        intake=adult_intake("Noor Extraname"),
    )
    services.client_assign(actor=SETUP, client=noor, therapist=practice.people["theo"])
    with pytest.raises(ValidationError) as no:
        services.breakglass_open(
            actor=practice.people["tess"], client=noor, reason="A third crisis call tonight, alone."
        )
    assert no.value.code == "review_pending"
    assert ClientBreakGlass.objects.filter(opened_by=practice.people["tess"]).count() == 2
