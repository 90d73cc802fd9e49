"""Many clients at once on PostgreSQL: check-ins started and submitted, cases taken, people erased.

Before: `checkin_submit` locked the check-in with the schedule and the
programme (select_related without ``of``) and then took the audit lock,
while `checkin_start` held the audit lock and waited for the schedule's row:
2 HTTP 500s (deadlocks) in about 600 check-in requests from 10 clients. Now
every audited transaction takes the audit lock first and row locks only on
the rows it changes (wellkept.audit.services.lock_rows), so none of these
can wait on each other in a circle. Every answer here must be a page, a
redirect or a not-found, never a 500, and the trail must verify after.
"""

from __future__ import annotations

import threading
from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from wellkept import clock
from wellkept.accounts.tests.conftest import enrol_totp
from wellkept.actors import SystemActor
from wellkept.assessments.models import CheckIn, SafetyAlert
from wellkept.assessments.tests.fixtures import Hospital, hospital, join, make_clinician
from wellkept.audit import checkpoints
from wellkept.audit.verify import chain_verify
from wellkept.followup.models import Case
from wellkept.orgs import services as org_services
from wellkept.orgs.models import Participant, Role

__all__ = ["hospital"]

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises every writer with BEGIN IMMEDIATE",
    ),
    pytest.mark.django_db(transaction=True),
]

SETUP = SystemActor("tests")
PARTICIPANTS = 8
SPECIALISTS = 2
# Some clinicians erase themselves once done, while the others carry on.
ERASERS = 2
PHQ9_RISK = {f"phq9_{i}": "1" for i in range(1, 10)}
GAD7 = {f"gad7_{i}": "1" for i in range(1, 8)}
WHO5 = {f"who5_{i}": "3" for i in range(1, 6)}


def check_in(client: Client, slug: str, pages: list[dict[str, str]]) -> list[int]:
    statuses = []
    started = client.post(reverse("assessments:start", args=[slug]))
    statuses.append(started.status_code)
    if started.status_code != 302:
        return statuses
    location = started["Location"]
    for number, answers in enumerate(pages, start=1):
        if number == len(pages):
            checkin = CheckIn.objects.filter(pk=location.split("/")[-4]).first()
            if checkin is None:
                return statuses
            answers = {**answers, "idempotency_key": checkin.idempotency_key}
        response = client.post(location, answers)
        statuses.append(response.status_code)
        if response.status_code != 302:
            return statuses
        location = response["Location"]
    return statuses


def participant_session(client: Client, number: int) -> list[int]:
    statuses = check_in(client, "pulse", [{"phq2_1": "1", "phq2_2": "0"}, {"burnout1_1": "2"}])
    statuses += check_in(client, "monthly", [PHQ9_RISK, GAD7, WHO5])
    statuses.append(client.get(reverse("lifecycle:mydata")).status_code)
    if number < ERASERS:
        statuses.append(client.post(reverse("lifecycle:erase"), {"confirm": "erase"}).status_code)
    return statuses


def specialist_session(client: Client, stop: threading.Event) -> list[int]:
    statuses = []
    while not stop.is_set():
        statuses.append(client.get(reverse("followup:queue")).status_code)
        for pk in Case.objects.filter(assignee__isnull=True).values_list("pk", flat=True)[:3]:
            statuses.append(client.post(reverse("followup:case_take", args=[pk])).status_code)
    return statuses


def fresh(client: Client, user: object, method: str) -> None:
    session = client.session
    session["account_authentication_methods"] = [{"method": method, "at": clock.now().timestamp()}]
    session["account_authentication_methods_user"] = str(getattr(user, "pk", ""))
    session.save()


def test_many_clients_at_once_never_deadlock(hospital: Hospital) -> None:
    call_command("audit", "init", "--adopt", stdout=StringIO())
    clients: list[Client] = []
    for n in range(PARTICIPANTS):
        user = make_clinician(hospital.organisation, f"clinician{n}@st-annes.example")
        join(hospital, user, follow_up=True, safety=True)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        # Signed in just now: erasing asks for a recent sign-in.
        fresh(client, user, "password")
        clients.append(client)
    specialists: list[Client] = []
    for n in range(SPECIALISTS):
        user = make_clinician(hospital.organisation, f"specialist{n}@st-annes.example")
        org_services.staff_membership_grant(
            actor=SETUP, user=user, organisation=hospital.organisation, role=Role.SPECIALIST
        )
        enrol_totp(user)
        client = Client(raise_request_exception=False)
        client.force_login(user)
        # A second factor just now: taking a case needs a fresh one.
        fresh(client, user, "mfa")
        specialists.append(client)

    start = threading.Barrier(PARTICIPANTS + SPECIALISTS)
    stop = threading.Event()
    results: list[list[int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(work) -> None:  # type: ignore[no-untyped-def]
        try:
            start.wait()
            found = work()
            with lock:
                results.append(found)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    workers = [
        threading.Thread(target=run, args=(lambda c=c, n=n: participant_session(c, n),))
        for n, c in enumerate(clients)
    ]
    takers = [
        threading.Thread(target=run, args=(lambda c=c: specialist_session(c, stop),))
        for c in specialists
    ]
    for thread in [*workers, *takers]:
        thread.start()
    for thread in workers:
        thread.join(timeout=300)
    # The specialists keep taking cases until every clinician is done.
    stop.set()
    for thread in takers:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in [*workers, *takers]), "a client is stuck: a deadlock?"

    assert errors == []
    statuses = Counter(code for found in results for code in found)
    assert set(statuses) <= {200, 302, 404}, statuses
    assert statuses[200] > PARTICIPANTS, statuses
    # The run did what it claims: check-ins went in, alerts opened cases,
    # cases were taken, people were erased.
    assert SafetyAlert.objects.exists()
    assert Case.objects.filter(assignee__isnull=False).exists()
    assert Participant.objects.filter(organisation=hospital.organisation).count() == (
        PARTICIPANTS - ERASERS + len(hospital.participants)
    )
    checkpoints.checkpoint_write()
    result = chain_verify()
    assert result.intact, result.problems[:3]
