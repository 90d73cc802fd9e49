"""A thread is readable exactly when the rules say, for every role, thread kind and relationship.

Written out by hand from the brief, not derived from wellkept.access.rules:
the client's therapist reads and writes every kind; a supervisor of that
therapist reads care and consultation threads only; the front desk and
billing read scheduling and billing threads of their own practice only;
the client reads their own care, scheduling and billing threads from the
portal, never a consultation; the privacy officer, the administrator, an
unrelated therapist and another practice's staff read nothing. Hypothesis
draws a person and a thread and asks for the page.

It runs once, in the SQLite suite (``one_engine``), as page tests do: the
services' own deny-path tests (``test_services.py``) run on both engines.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellkept.practice.tests.conftest import signed_in

PEOPLE = ("tess", "theo", "sue", "fran", "bill", "priya", "amira", "olga", "oren", "ada")
THREADS = ("care", "scheduling", "billing", "consultation", "ben_care")
# Who is assigned to whose client: Ada works with Tess (supervised by Sue), Ben with Theo.
ASSIGNED = {"care": {"tess", "sue"}, "ben_care": {"theo"}}
for _kind in ("scheduling", "billing", "consultation"):
    ASSIGNED[_kind] = ASSIGNED["care"]


def readable(person: str, thread: str) -> bool:
    """The brief's answer, by hand."""
    clinical = thread in ("care", "consultation", "ben_care")
    assigned = person in ASSIGNED[thread]
    if person in ("tess", "theo"):
        return assigned
    if person == "sue":
        return assigned and clinical
    if person in ("fran", "bill"):
        return not clinical
    if person == "ada":
        return thread in ("care", "scheduling", "billing")
    return False


@pytest.mark.one_engine
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(person=st.sampled_from(PEOPLE), thread=st.sampled_from(THREADS))
def test_it_lets_exactly_the_designed_people_read_each_thread(world, person, thread):
    row = getattr(world, thread)
    if person == "ada":
        url = reverse("messaging_portal:thread", args=[row.pk])
    else:
        url = reverse("messaging:thread", args=[row.pk])
    status = signed_in(world.person(person)).get(url).status_code
    assert status == (200 if readable(person, thread) else 404), (person, thread, status)


def test_it_lets_no_staff_login_into_the_client_s_portal_thread(world):
    url = reverse("messaging_portal:thread", args=[world.care.pk])
    for person in ("tess", "fran", "priya"):
        assert signed_in(world.person(person)).get(url).status_code == 404
