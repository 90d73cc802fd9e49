"""One request, two people: opened by one, decided once by another holder of the role.

Priya, St Anne's privacy officer, opens a data-subject request (a real
``TwoPersonRequest``); Petra, the other privacy officer, decides it. Wendy,
a wellbeing officer, holds no approving role; the demo command is nobody.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from wellkept import clock
from wellkept.access.purposes import Purpose
from wellkept.access.tests.conftest import _user
from wellkept.access.twoperson import (
    AlreadyDecided,
    Approving,
    ReauthenticationNeeded,
    TwoPersonState,
    live,
    request_approve,
    request_authorise,
    request_open,
    request_refuse,
)
from wellkept.actors import NotAPerson, SystemActor
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup.models import GrantStatus
from wellkept.lifecycle.models import SubjectRequest, SubjectRequestKind, SubjectRequestStatus
from wellkept.lifecycle.subject_requests import decision_resource
from wellkept.orgs import services as orgs
from wellkept.orgs.models import Role

pytestmark = pytest.mark.django_db

PURPOSE = Purpose.LEGAL_OBLIGATION
DAY = dt.timedelta(hours=24)
CLOSED = "Decided already."


@pytest.fixture
def petra(world):
    user = _user("petra@stannes.example")
    orgs.staff_membership_grant(
        actor=SystemActor("test"), user=user, organisation=world.st_annes, role=Role.PRIVACY_OFFICER
    )
    return user


def opened(world, by: str = "priya") -> SubjectRequest:
    row = SubjectRequest(organisation=world.st_annes, kind=SubjectRequestKind.ACCESS)
    row.reason = "Letter of 3 November: a copy of everything held."
    return request_open(
        actor=world.people[by],
        row=row,
        event=EventType.SUBJECT_REQUEST_RECORDED,
        target=row.reference,
        purpose=PURPOSE,
        reason=row.kind,
    )


def approving(row: SubjectRequest) -> Approving:
    return Approving(
        resource=decision_resource(row),
        purpose=PURPOSE,
        refused="Only another privacy officer decides.",
        own_refused="Nobody decides their own request.",
        fresh_reason="approving needs a second-factor check just now",
        audit_self=True,
    )


def authorised(actor, row: SubjectRequest, *, approve: bool = True, fresh: bool = True):
    return request_authorise(
        actor=actor, row=row, approving=approving(row), approve=approve, fresh=fresh
    )


def audit(actor, event: EventType):
    def record(locked: SubjectRequest) -> None:
        from wellkept.audit.services import audit_record

        audit_record(actor=actor, event=event, target=locked.reference, purpose=PURPOSE.value)

    return record


def approve(decider, row: SubjectRequest, lasts: dt.timedelta = DAY) -> SubjectRequest:
    return request_approve(
        actor=decider,
        row=row,
        queryset=SubjectRequest.objects.all(),
        lasts=lasts,
        closed=CLOSED,
        audit=audit(decider, EventType.SUBJECT_REQUEST_APPROVED),
    )


def refuse(decider, row: SubjectRequest) -> SubjectRequest:
    return request_refuse(
        actor=decider,
        row=row,
        queryset=SubjectRequest.objects.all(),
        closed=CLOSED,
        audit=audit(decider, EventType.SUBJECT_REQUEST_REFUSED),
    )


def entries(event: EventType, row: SubjectRequest) -> int:
    return AuditEntry.objects.filter(event=event, target__startswith=row.reference).count()


def test_it_keeps_each_workflows_states_the_generic_ones():
    assert GrantStatus.values == TwoPersonState.values
    assert SubjectRequestStatus.values == TwoPersonState.values


def test_it_opens_a_pending_request_as_the_requesters_and_audits_it(world):
    row = opened(world)
    row.refresh_from_db()
    assert row.status == TwoPersonState.PENDING
    assert row.requested_by == world.people["priya"]
    assert row.decided_by is None
    assert entries(EventType.SUBJECT_REQUEST_RECORDED, row) == 1


def test_it_refuses_to_open_a_request_for_a_command(world):
    row = SubjectRequest(organisation=world.st_annes, kind=SubjectRequestKind.ACCESS)
    row.reason = "A command cannot stand behind a request."
    with pytest.raises(NotAPerson):
        request_open(
            actor=SystemActor("script"),
            row=row,
            event=EventType.SUBJECT_REQUEST_RECORDED,
            target=row.reference,
            purpose=PURPOSE,
        )
    assert not SubjectRequest.objects.exists()
    assert entries(EventType.SUBJECT_REQUEST_RECORDED, row) == 0


def test_it_lets_another_holder_of_the_role_approve_for_a_while(world, petra):
    row = opened(world)
    decider = authorised(petra, row)
    assert decider == petra
    done = approve(decider, row)
    assert done.status == TwoPersonState.APPROVED
    assert done.decided_by == petra
    assert done.expires_at == done.decided_at + DAY
    assert done.is_live()
    assert entries(EventType.SUBJECT_REQUEST_APPROVED, row) == 1


def test_it_lets_another_holder_of_the_role_refuse_without_a_fresh_second_factor(world, petra):
    row = opened(world)
    done = refuse(authorised(petra, row, approve=False, fresh=False), row)
    assert done.status == TwoPersonState.REFUSED
    assert done.expires_at is None
    assert not done.is_live()
    assert entries(EventType.SUBJECT_REQUEST_REFUSED, row) == 1


def test_it_refuses_self_approval_and_records_the_attempt(world):
    row = opened(world)
    before = entries(EventType.ACCESS_DENIED, row)
    with pytest.raises(PermissionDenied):
        authorised(world.people["priya"], row)
    assert entries(EventType.ACCESS_DENIED, row) > before
    row.refresh_from_db()
    assert row.status == TwoPersonState.PENDING


def test_it_refuses_someone_without_the_approving_role(world):
    row = opened(world)
    with pytest.raises(PermissionDenied):
        authorised(world.people["wendy"], row)
    assert entries(EventType.ACCESS_DENIED, row) == 1


def test_it_refuses_an_approval_without_a_fresh_second_factor_and_records_it(world, petra):
    row = opened(world)
    with pytest.raises(ReauthenticationNeeded):
        authorised(petra, row, fresh=False)
    assert entries(EventType.ACCESS_DENIED, row) == 1


def test_it_decides_a_request_once(world, petra):
    row = opened(world)
    approve(petra, row)
    with pytest.raises(AlreadyDecided):
        refuse(petra, row)
    with pytest.raises(AlreadyDecided):
        approve(petra, row)
    row.refresh_from_db()
    assert row.status == TwoPersonState.APPROVED
    assert entries(EventType.SUBJECT_REQUEST_APPROVED, row) == 1
    assert entries(EventType.SUBJECT_REQUEST_REFUSED, row) == 0


def test_it_refuses_an_approval_that_never_ends(world, petra):
    row = opened(world)
    with pytest.raises(ValidationError):
        approve(petra, row, lasts=dt.timedelta(0))
    row.refresh_from_db()
    assert row.status == TwoPersonState.PENDING


def test_a_check_that_refuses_the_locked_row_leaves_it_and_the_trail_unchanged(world, petra):
    row = opened(world)

    def changed_meanwhile(locked: SubjectRequest) -> None:
        raise ValidationError("Changed since the page was shown.", code="changed")

    with pytest.raises(ValidationError):
        request_approve(
            actor=petra,
            row=row,
            queryset=SubjectRequest.objects.all(),
            lasts=DAY,
            closed=CLOSED,
            check=changed_meanwhile,
            audit=audit(petra, EventType.SUBJECT_REQUEST_APPROVED),
        )
    row.refresh_from_db()
    assert row.status == TwoPersonState.PENDING
    assert entries(EventType.SUBJECT_REQUEST_APPROVED, row) == 0


def test_an_approval_ends_at_its_expiry(world, petra, monkeypatch):
    row = approve(petra, opened(world))
    assert list(live(SubjectRequest.objects.all())) == [row]
    later = clock.now() + DAY + dt.timedelta(seconds=1)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert not row.is_live()
    assert not live(SubjectRequest.objects.all()).exists()


def test_the_database_refuses_a_decider_who_is_the_requester(world):
    row = opened(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubjectRequest.objects.filter(pk=row.pk).update(
            status=TwoPersonState.REFUSED,
            decided_by=world.people["priya"],
            decided_at=clock.now(),
        )


def test_the_database_refuses_an_approval_without_an_end(world, petra):
    row = opened(world)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubjectRequest.objects.filter(pk=row.pk).update(
            status=TwoPersonState.APPROVED, decided_by=petra, decided_at=clock.now()
        )
