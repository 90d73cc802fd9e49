"""visible and get_for: lists and objects share one rule; missing and forbidden look alike."""

from __future__ import annotations

import uuid

import pytest
from django.http import Http404

from wellkept.access.actions import Action
from wellkept.access.policy import NOT_FOUND_MESSAGE, get_for, visible
from wellkept.access.purposes import Purpose
from wellkept.accounts.models import Invitation
from wellkept.audit.models import AuditEntry
from wellkept.audit.tests import trail
from wellkept.orgs.models import Organisation, Participant

pytestmark = pytest.mark.django_db


def test_it_shows_pia_only_her_own_participant_row(world):
    rows = visible(world.people["pia"], Action.READ, Participant, Purpose.SELF_SERVICE)
    assert list(rows) == [world.participants["pia"]]


def test_it_shows_no_participant_rows_to_staff(world):
    for name in ("lena", "wendy", "sam", "fran", "priya", "amira", "oscar"):
        for purpose in (Purpose.BURNOUT_FOLLOW_UP, Purpose.SERVICE_ADMINISTRATION):
            rows = visible(world.people[name], Action.READ, Participant.objects.all(), purpose)
            assert list(rows) == [], (name, purpose)


def test_it_lists_token_rows_to_commands_only_for_running_the_service(world):
    # Reminders and retention work on token-level rows without their content.
    system = world.people["system"]
    rows = visible(system, Action.READ, Participant.objects.all(), Purpose.SERVICE_ADMINISTRATION)
    assert rows.count() == 3
    refused = visible(system, Action.READ, Participant.objects.all(), Purpose.BURNOUT_FOLLOW_UP)
    assert list(refused) == []


def test_it_shows_amira_only_her_own_organisation(world):
    rows = visible(
        world.people["amira"], Action.UPDATE, Organisation, Purpose.SERVICE_ADMINISTRATION
    )
    assert list(rows) == [world.st_annes]


def test_it_shows_nothing_for_a_prohibited_purpose_and_audits_the_refusal(world):
    rows = visible(world.people["pia"], Action.READ, Participant, Purpose.EMPLOYMENT_DECISION)
    assert list(rows) == []
    assert AuditEntry.objects.latest("id").event == "access.purpose_refused"


def test_it_records_one_audit_event_per_list(world):
    before = trail.mark()
    visible(world.people["pia"], Action.READ, Participant, Purpose.SELF_SERVICE)
    entries = trail.written_since(before)
    assert [(e.event, e.outcome, e.target) for e in entries] == [
        ("record.read", "allowed", "participant_record:list")
    ]


def test_it_records_a_denied_list_for_a_leader(world):
    visible(world.people["lena"], Action.READ, Participant, Purpose.BURNOUT_FOLLOW_UP)
    entry = AuditEntry.objects.latest("id")
    assert (entry.event, entry.outcome) == ("access.denied", "denied")


def test_it_fails_loudly_for_a_model_without_a_scope(world):
    from wellkept.audit.models import AuditEntry as Unscoped

    with pytest.raises(LookupError, match="no access scope"):
        visible(world.people["priya"], Action.READ, Unscoped, Purpose.AUDIT_OVERSIGHT)


def test_it_returns_pias_own_row(world):
    row = get_for(
        actor=world.people["pia"],
        queryset=Participant,
        pk=world.participants["pia"].pk,
        action=Action.READ,
        purpose=Purpose.SELF_SERVICE,
    )
    assert row == world.participants["pia"]


def _not_found(world, name, pk, purpose=Purpose.SELF_SERVICE) -> str:
    with pytest.raises(Http404) as caught:
        get_for(
            actor=world.people[name],
            queryset=Participant.objects.all(),
            pk=pk,
            action=Action.READ,
            purpose=purpose,
        )
    return str(caught.value)


def test_it_answers_forbidden_and_missing_alike(world):
    forbidden = _not_found(world, "pia", world.participants["colin"].pk)
    missing = _not_found(world, "pia", uuid.uuid4())
    malformed = _not_found(world, "pia", "not-a-uuid")
    assert forbidden == missing == malformed == NOT_FOUND_MESSAGE


def test_it_audits_each_lookup_once(world):
    before = AuditEntry.objects.count()
    _not_found(world, "pia", world.participants["colin"].pk)
    _not_found(world, "pia", uuid.uuid4())
    entries = list(AuditEntry.objects.order_by("id")[before:])
    assert [(e.event, e.outcome) for e in entries] == [
        ("access.denied", "denied"),
        ("access.denied", "denied"),
    ]
    assert entries[0].target == f"participant:{world.participants['colin'].token}"
    assert entries[1].target == "participant_record:unknown"


def test_it_refuses_a_prohibited_purpose_even_for_a_missing_object(world):
    _not_found(world, "amira", uuid.uuid4(), purpose=Purpose.CREDENTIALING)
    assert AuditEntry.objects.latest("id").event == "access.purpose_refused"


def test_it_lets_amira_reach_her_organisations_invitation_only(world):
    import datetime as dt

    from wellkept import clock

    def invitation(org):
        return Invitation.objects.create(
            organisation=org,
            role="leader",
            email="new.leader@example.org",
            email_index=uuid.uuid4().hex,
            token_prefix=uuid.uuid4().hex[:12],
            token_mac="0" * 64,
            expires_at=clock.now() + dt.timedelta(days=1),
        )

    ours, theirs = invitation(world.st_annes), invitation(world.elsewhere)
    rows = visible(world.people["amira"], Action.READ, Invitation, Purpose.SERVICE_ADMINISTRATION)
    assert list(rows) == [ours]
    with pytest.raises(Http404):
        get_for(
            actor=world.people["amira"],
            queryset=Invitation,
            pk=theirs.pk,
            action=Action.UPDATE,
            purpose=Purpose.SERVICE_ADMINISTRATION,
        )


def test_it_records_a_prohibited_purpose_as_refused_for_someone_in_no_organisation(db):
    from wellkept.access.actions import Action
    from wellkept.access.policy import visible
    from wellkept.access.purposes import Purpose
    from wellkept.accounts.models import User
    from wellkept.orgs.models import Participant

    loner = User.objects.create_user("loner@example.org", None)
    assert list(visible(loner, Action.READ, Participant, Purpose.DISCIPLINE)) == []
    entry = AuditEntry.objects.latest("id")
    assert (entry.event, entry.outcome) == ("access.purpose_refused", "denied")
