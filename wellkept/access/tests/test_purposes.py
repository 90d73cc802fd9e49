"""The purpose catalogue: fixed, parsed strictly, prohibited purposes never allowed."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import PROHIBITED, Purpose, UnknownPurpose, parse_purpose
from wellkept.access.resources import ResourceKind
from wellkept.access.rules import RULES, AccessRole, Rule, _check_rules


def test_it_lists_the_four_prohibited_purposes():
    assert {p.value for p in PROHIBITED} == {
        "discipline",
        "performance_review",
        "credentialing",
        "employment_decision",
    }


def test_it_parses_a_known_purpose():
    assert parse_purpose("clinical_care") is Purpose.CLINICAL_CARE


def test_it_rejects_an_unknown_purpose_clearly():
    with pytest.raises(UnknownPurpose, match="Unknown purpose 'curiosity'"):
        parse_purpose("curiosity")


def test_it_has_no_rule_allowing_a_prohibited_purpose():
    assert all(not (rule.purposes & PROHIBITED) for rule in RULES)


def test_it_refuses_to_load_a_table_that_allows_a_prohibited_purpose():
    bad = Rule(
        role=AccessRole.SYSTEM_ADMIN,
        kind=ResourceKind.PARTICIPANT_RECORD,
        relationships=frozenset(),
        actions=frozenset({Action.READ}),
        purposes=frozenset({Purpose.PERFORMANCE_REVIEW}),
    )
    with pytest.raises(ImproperlyConfigured, match="prohibited purpose"):
        _check_rules([bad])


def test_it_refuses_a_standing_rule_for_re_identification():
    bad = Rule(
        role=AccessRole.WELLBEING_OFFICER,
        kind=ResourceKind.PARTICIPANT_RECORD,
        relationships=frozenset(),
        actions=frozenset({Action.READ_IDENTITY}),
        purposes=frozenset({Purpose.BURNOUT_FOLLOW_UP}),
    )
    with pytest.raises(ImproperlyConfigured, match="grant"):
        _check_rules([bad])


def test_it_refuses_a_view_declaring_a_prohibited_purpose():
    with pytest.raises(ImproperlyConfigured, match="prohibited"):
        policy(action=Action.READ, resource=ResourceKind.AGGREGATE, purpose=Purpose.DISCIPLINE)
