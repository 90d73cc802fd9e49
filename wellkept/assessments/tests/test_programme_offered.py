"""Who is offered the clinicians' programme: everyone but the practice's front desk and billing."""

from __future__ import annotations

import pytest

from wellkept.assessments.selectors import affiliated_organisations, programme_offered
from wellkept.orgs.models import Clinician, Role, StaffMembership

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("roles", "offered"),
    [
        (set(), True),  # a participant: a clinician with no staff role
        ({Role.LEADER}, True),
        ({Role.FRONT_DESK}, False),
        ({Role.FRONT_DESK, Role.SPECIALIST}, True),
        ({Role.BILLING}, False),
        ({Role.FRONT_DESK, Role.BILLING}, False),
        ({Role.CLINICAL_SUPERVISOR}, True),
    ],
)
def test_it_offers_the_programme_by_role(hospital, roles, offered):
    user = hospital.people["amira"]
    assert programme_offered(user, roles) is offered


def test_a_front_desk_member_who_is_also_a_clinician_is_offered_it(hospital):
    user = hospital.people["amira"]
    Clinician.objects.create(user=user, organisation=hospital.organisation)
    assert programme_offered(user, {Role.FRONT_DESK}) is True


def test_a_front_desk_membership_is_no_way_into_the_programme(hospital):
    user = hospital.people["amira"]
    StaffMembership.objects.filter(user=user).update(role=Role.FRONT_DESK)
    assert list(affiliated_organisations(user)) == []
