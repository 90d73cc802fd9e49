"""The policy learns roles and relationships from the source orgs registers, never by import."""

from __future__ import annotations

import pytest

from wellkept.access import people
from wellkept.access.actions import Action
from wellkept.access.policy import decide, roles_in, visible
from wellkept.access.purposes import Purpose
from wellkept.access.resources import resource_of
from wellkept.access.rules import AccessRole
from wellkept.orgs.models import Participant
from wellkept.orgs.selectors import PolicyPeople

pytestmark = pytest.mark.django_db


def test_it_asks_the_source_orgs_registered_at_ready():
    assert people.registered()
    assert isinstance(people.people(), PolicyPeople)


def test_it_finds_pia_a_participant_of_her_organisation_through_the_source(world):
    roles = roles_in(world.people["pia"], world.st_annes.pk)
    assert roles == frozenset({AccessRole.PARTICIPANT})


def test_it_lets_pia_read_her_own_record_through_the_source(world):
    decision = decide(
        actor=world.people["pia"],
        action=Action.READ,
        resource=resource_of(world.participants["pia"]),
        purpose=Purpose.SELF_SERVICE,
    )
    assert decision.allowed
    assert decision.relationship == "own"


def test_it_grants_no_role_when_no_source_is_registered(world, monkeypatch):
    monkeypatch.setattr(people, "_PEOPLE", [])
    assert roles_in(world.people["pia"], world.st_annes.pk) == frozenset()
    assert roles_in(world.people["pia"], None) == frozenset()


def test_it_refuses_pia_her_own_record_when_no_source_is_registered(world, monkeypatch):
    monkeypatch.setattr(people, "_PEOPLE", [])
    decision = decide(
        actor=world.people["pia"],
        action=Action.READ,
        resource=resource_of(world.participants["pia"]),
        purpose=Purpose.SELF_SERVICE,
    )
    assert not decision.allowed


def test_it_lists_nothing_when_no_source_is_registered(world, monkeypatch):
    monkeypatch.setattr(people, "_PEOPLE", [])
    rows = visible(world.people["pia"], Action.READ, Participant, Purpose.SELF_SERVICE)
    assert not rows.exists()
