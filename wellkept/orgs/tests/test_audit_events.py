"""Organisation changes are audited, and a clinician's own actions never pair login and token."""

from __future__ import annotations

import pytest

from wellkept.accounts.models import User
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.orgs import services
from wellkept.orgs.models import Role

from .conftest import Hospital, make_user
from .test_participant_enrol import enrol

pytestmark = pytest.mark.django_db


def last_entry() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()  # type: ignore[return-value]


def test_it_audits_a_unit_created_by_a_command(st_annes: Hospital) -> None:
    entry = AuditEntry.objects.filter(event="config.changed", reason="unit created").first()
    assert entry is not None
    assert entry.actor_label == "system:tests"


def test_it_audits_granting_and_revoking_a_role(st_annes: Hospital, alice: User) -> None:
    lena = make_user("lena@example.org")
    services.staff_membership_grant(
        actor=alice, user=lena, organisation=st_annes.org, role=Role.LEADER
    )
    granted = last_entry()
    assert (granted.event, granted.actor_id, granted.target) == (
        "grant.created",
        str(alice.pk),
        f"user:{lena.pk}",
    )
    services.staff_membership_revoke(
        actor=alice, user=lena, organisation=st_annes.org, role=Role.LEADER
    )
    assert last_entry().event == "grant.revoked"


def test_a_clinicians_enrolment_is_audited_under_the_token_without_the_user_id(
    st_annes: Hospital, nina: User
) -> None:
    participant = enrol(st_annes, nina)
    # In the pseudonymous chain, which has no user id (or time of day) at all.
    entry = PseudonymousEntry.objects.get(event="record.create")
    assert entry.target == f"participant:{participant.token}"
    assert entry.actor_label == f"participant:{participant.token}"
    # The row must not become a login -> token link.
    for field in (entry.actor_label, entry.target, entry.reason, entry.role):
        assert str(nina.pk) not in field
    assert not AuditEntry.objects.filter(target__contains=participant.token).exists()


def test_a_clinicians_move_is_audited_under_the_token(st_annes: Hospital, nina: User) -> None:
    participant = enrol(st_annes, nina)
    services.participant_move(actor=nina, participant=participant, shift_type=st_annes.day)
    entry = PseudonymousEntry.objects.get(event="record.update")
    assert entry.actor_label == f"participant:{participant.token}"
    assert entry.reason == "moved: shift_type"
