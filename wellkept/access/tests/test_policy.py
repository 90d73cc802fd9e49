"""decide and can: deny by default, consent, commands, anonymous callers, one audit event each."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from wellkept.access.actions import Action
from wellkept.access.policy import can, decide
from wellkept.access.purposes import Purpose, UnknownPurpose
from wellkept.access.resources import Resource, ResourceKind, resource_of
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.audit.tests import trail

pytestmark = pytest.mark.django_db


def own_record(world, name="pia"):
    return resource_of(world.participants[name])


def test_it_lets_pia_read_her_own_record(world):
    decision = decide(
        actor=world.people["pia"],
        action=Action.READ,
        resource=own_record(world),
        purpose=Purpose.SELF_SERVICE,
    )
    assert decision.allowed
    assert decision.role == "participant"


def test_it_keeps_colins_record_from_pia(world):
    decision = decide(
        actor=world.people["pia"],
        action=Action.READ,
        resource=own_record(world, "colin"),
        purpose=Purpose.SELF_SERVICE,
    )
    assert not decision.allowed
    assert "other" in decision.reason


def test_it_keeps_token_level_data_from_a_leader(world):
    for purpose in Purpose:
        if purpose.value in {"discipline", "performance_review", "credentialing"}:
            continue
        assert not decide(
            actor=world.people["lena"],
            action=Action.READ,
            resource=own_record(world, "colin"),
            purpose=purpose,
        ).allowed


def test_it_scopes_roles_to_their_organisation(world):
    # Oscar administers Elsewhere; St Anne's settings are not his.
    resource = resource_of(world.st_annes)
    decision = decide(
        actor=world.people["oscar"],
        action=Action.UPDATE,
        resource=resource,
        purpose=Purpose.SERVICE_ADMINISTRATION,
    )
    assert not decision.allowed
    assert decide(
        actor=world.people["oscar"],
        action=Action.UPDATE,
        resource=resource_of(world.elsewhere),
        purpose=Purpose.SERVICE_ADMINISTRATION,
    ).allowed


def test_it_hides_a_withdrawn_subjects_case_from_the_assigned_officer(world):
    case = Resource(
        kind=ResourceKind.FOLLOW_UP_CASE,
        reference="case:1",
        organisation_id=world.st_annes.pk,
        assignee_user_ids=frozenset({world.people["wendy"].pk}),
    )
    args = {"actor": world.people["wendy"], "action": Action.READ, "resource": case}
    assert decide(**args, purpose=Purpose.BURNOUT_FOLLOW_UP).allowed
    refused = decide(**args, purpose=Purpose.BURNOUT_FOLLOW_UP, consent_ok=False)
    assert not refused.allowed
    assert refused.reason == "The subject has withdrawn consent."


def test_it_keeps_legal_obligation_access_after_withdrawal(world):
    record = Resource(
        kind=ResourceKind.CLIENT_RECORD,
        reference="client:1",
        organisation_id=world.st_annes.pk,
        assignee_user_ids=frozenset({world.people["sam"].pk}),
    )
    assert decide(
        actor=world.people["sam"],
        action=Action.EXPORT,
        resource=record,
        purpose=Purpose.LEGAL_OBLIGATION,
        consent_ok=False,
    ).allowed


def test_it_lets_pia_see_and_erase_but_not_add_after_withdrawing(world):
    args = {"actor": world.people["pia"], "resource": own_record(world)}
    for action in (Action.READ, Action.EXPORT, Action.DELETE):
        assert decide(**args, action=action, purpose=Purpose.SELF_SERVICE, consent_ok=False).allowed
    assert not decide(
        **args, action=Action.CREATE, purpose=Purpose.SELF_SERVICE, consent_ok=False
    ).allowed


def test_it_refuses_anonymous_callers(world):
    decision = decide(
        actor=AnonymousUser(),
        action=Action.READ,
        resource=own_record(world),
        purpose=Purpose.SELF_SERVICE,
    )
    assert not decision.allowed
    assert decision.reason == "Not signed in."


def test_it_lets_commands_do_only_maintenance(world):
    system = world.people["system"]
    assert decide(
        actor=system,
        action=Action.EXPORT,
        resource=Resource(kind=ResourceKind.AUDIT_TRAIL, reference="audit:all"),
        purpose=Purpose.AUDIT_OVERSIGHT,
    ).allowed
    assert not decide(
        actor=system,
        action=Action.READ,
        resource=own_record(world),
        purpose=Purpose.BURNOUT_FOLLOW_UP,
    ).allowed


def test_it_gives_nobody_re_identification_without_a_grant(world):
    for name in ("wendy", "sam", "amira", "priya", "system"):
        assert not decide(
            actor=world.people[name],
            action=Action.READ_IDENTITY,
            resource=own_record(world, "colin"),
            purpose=Purpose.BURNOUT_FOLLOW_UP,
        ).allowed


def test_it_audits_an_allowed_read_with_role_purpose_and_target(world):
    resource = own_record(world)
    before = trail.mark()
    assert can(world.people["pia"], Action.READ, resource, Purpose.SELF_SERVICE)
    # Her own record: recorded under her token, in the pseudonymous chain.
    (entry,) = trail.written_since(before)
    assert isinstance(entry, PseudonymousEntry)
    assert (entry.event, entry.outcome, entry.role, entry.purpose, entry.target) == (
        "record.read",
        "allowed",
        "participant",
        "self_service",
        resource.reference,
    )
    # Her own token-level data: recorded under the token, never her user id,
    # and with no address or request id at all (the chain has no such fields).
    assert entry.actor_label == resource.reference
    assert not hasattr(entry, "actor_id")
    assert not hasattr(entry, "request_id")


def test_it_never_records_a_login_next_to_a_participant_reference(world):
    from wellkept.access.policy import visible
    from wellkept.orgs.models import Participant

    pia = world.people["pia"]
    can(pia, Action.READ, own_record(world), Purpose.SELF_SERVICE)
    list(visible(pia, Action.READ, Participant, Purpose.SELF_SERVICE))
    for name in ("lena", "wendy", "amira"):
        can(world.people[name], Action.READ, own_record(world), Purpose.SELF_SERVICE)
    linked = [
        e
        for e in AuditEntry.objects.exclude(actor_id="")
        if "participant" in f"{e.target} {e.role} {e.reason}".lower() and str(pia.pk) == e.actor_id
    ]
    assert linked == []
    assert not AuditEntry.objects.filter(role__contains="participant").exclude(actor_id="").exists()


def test_it_audits_a_denial_with_its_reason(world):
    assert not can(
        world.people["lena"], Action.READ, own_record(world, "colin"), Purpose.BURNOUT_FOLLOW_UP
    )
    entry = AuditEntry.objects.latest("id")
    assert (entry.event, entry.outcome, entry.role) == ("access.denied", "denied", "leader")
    assert "No rule" in entry.reason


def test_it_audits_a_prohibited_purpose_as_refused(world):
    assert not can(world.people["amira"], Action.READ, own_record(world), Purpose.DISCIPLINE)
    entry = AuditEntry.objects.latest("id")
    assert entry.event == "access.purpose_refused"
    assert entry.purpose == "discipline"


def test_it_writes_the_audit_event_in_the_callers_transaction(world):
    before = AuditEntry.objects.count()

    class Rollback(Exception):
        pass

    def read_then_fail():
        with transaction.atomic():
            can(world.people["pia"], Action.READ, own_record(world), Purpose.SELF_SERVICE)
            raise Rollback

    with pytest.raises(Rollback):
        read_then_fail()
    assert AuditEntry.objects.count() == before


def test_it_raises_on_an_unknown_purpose_without_deciding(world):
    before = AuditEntry.objects.count()
    with pytest.raises(UnknownPurpose):
        can(world.people["pia"], Action.READ, own_record(world), "curiosity")
    assert AuditEntry.objects.count() == before


def test_it_asks_the_consent_app_through_the_check_it_registered(world, monkeypatch):
    from wellkept.access import policy
    from wellkept.consent.selectors import may_collect_from

    # consent registers its check at ready(); access never imports consent.
    assert policy._CONSENT_CHECK[0] is may_collect_from
    args = {
        "actor": world.people["pia"],
        "action": Action.CREATE,
        "resource": own_record(world),
        "purpose": Purpose.SELF_SERVICE,
    }
    assert decide(**args).allowed
    monkeypatch.setattr(policy, "_CONSENT_CHECK", [lambda participant_id: False])
    assert not decide(**args).allowed


def test_it_refuses_what_needs_consent_when_no_consent_check_is_registered(world, monkeypatch):
    from wellkept.access import policy

    monkeypatch.setattr(policy, "_CONSENT_CHECK", [])
    refused = decide(
        actor=world.people["pia"],
        action=Action.CREATE,
        resource=own_record(world),
        purpose=Purpose.SELF_SERVICE,
    )
    assert not refused.allowed
