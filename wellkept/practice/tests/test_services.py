"""The practice's services: each success audited in its transaction, each failure refused."""

from __future__ import annotations

import dataclasses

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from wellkept.audit.events import EventType
from wellkept.audit.tests import trail
from wellkept.practice import services
from wellkept.practice.models import (
    Client,
    ClientAssignment,
    ClientNameToken,
    Guardian,
    Supervision,
)
from wellkept.practice.services import GuardianDetails
from wellkept.practice.services import clients as client_services
from wellkept.practice.tests.conftest import SETUP, adult_intake, raw_column, years_ago
from wellkept.vault.models import DataKey
from wellkept.vault.services import ERASED, Binding, decrypt_text

pytestmark = pytest.mark.django_db


def events_since(mark: trail.Mark) -> list[str]:
    return [e.event for e in trail.written_since(mark)]


# ---- client_create -------------------------------------------------------------------


def test_it_takes_a_client_in_for_the_front_desk_and_audits_it(practice) -> None:
    before = trail.mark()
    client = services.client_create(
        actor=practice.people["fran"],
        organisation=practice.harbour,
        intake=adult_intake("Nora Newcomer", "Nor"),
    )

    fresh = Client.objects.get(pk=client.pk)
    assert fresh.legal_name == "Nora Newcomer"
    assert fresh.preferred_name == "Nor"
    assert fresh.contact_channels == "email,text"
    assert fresh.voicemail_ok == "yes"
    assert fresh.code.startswith("C-")
    assert len(fresh.code) == 7
    assert ClientNameToken.objects.filter(client=fresh).count() == 3
    entries = trail.written_since(before)
    assert [e.event for e in entries] == [
        EventType.RECORD_CREATE,
        EventType.PRACTICE_CLIENT_CREATED,
    ]
    assert all(e.target == f"client:{client.pk}" for e in entries)
    assert all("Nora" not in e.reason for e in entries)


def test_it_refuses_intake_by_a_therapist_and_audits_the_refusal(practice) -> None:
    before = trail.mark()
    with pytest.raises(PermissionDenied):
        services.client_create(
            actor=practice.people["tess"],
            organisation=practice.harbour,
            intake=adult_intake("Nora Newcomer"),
        )
    assert events_since(before) == [EventType.ACCESS_DENIED]
    assert not Client.objects.filter(organisation=practice.harbour).count() > 3


def test_it_refuses_intake_at_another_practice(practice) -> None:
    with pytest.raises(PermissionDenied):
        services.client_create(
            actor=practice.people["olga"],
            organisation=practice.harbour,
            intake=adult_intake("Nora Newcomer"),
        )


def test_it_needs_a_guardian_for_a_minor(practice) -> None:
    with pytest.raises(ValidationError) as refused:
        services.client_create(
            actor=practice.people["fran"],
            organisation=practice.harbour,
            intake=adult_intake("Kit Kidsworth", date_of_birth=years_ago(15)),
        )
    assert "guardian_name" in refused.value.message_dict
    assert Client.objects.filter(organisation=practice.harbour).count() == 3


def test_it_records_a_minors_guardian_under_the_clients_key(practice) -> None:
    guardian = Guardian.objects.get(client=practice.clients["mia"])
    assert guardian.name == "Gina Fakename"
    assert guardian.dek_subject == practice.clients["mia"].dek_subject


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"legal_name": "  "}, "legal_name"),
        ({"date_of_birth": years_ago(-1)}, "date_of_birth"),
        ({"date_of_birth": years_ago(140)}, "date_of_birth"),
        ({"email": "", "contact_channels": ("email",)}, "email"),
        ({"phone": "", "contact_channels": ("text",), "voicemail_ok": False}, "phone"),
        ({"phone": "", "contact_channels": (), "voicemail_ok": True}, "voicemail_ok"),
        ({"contact_channels": ("pigeon",)}, "contact_channels"),
        ({"pronouns": "x" * 201}, "pronouns"),
    ],
)
def test_it_refuses_bad_intake_with_a_message_for_the_field(practice, changes, field) -> None:
    with pytest.raises(ValidationError) as refused:
        services.client_create(
            actor=practice.people["fran"],
            organisation=practice.harbour,
            intake=dataclasses.replace(adult_intake("Nora Newcomer"), **changes),
        )
    assert field in refused.value.message_dict


def test_it_refuses_an_incomplete_guardian(practice) -> None:
    with pytest.raises(ValidationError) as refused:
        services.client_create(
            actor=practice.people["fran"],
            organisation=practice.harbour,
            intake=adult_intake("Kit Kidsworth", date_of_birth=years_ago(15)),
            guardian=GuardianDetails(name="Gail Kidsworth", relation=""),
        )
    assert {"guardian_relation", "guardian_phone"} <= set(refused.value.message_dict)


def test_it_writes_nothing_when_the_audit_event_cannot_be_written(practice, monkeypatch) -> None:
    def broken(**_kwargs):
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(client_services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        services.client_create(
            actor=practice.people["fran"],
            organisation=practice.harbour,
            intake=adult_intake("Nora Newcomer"),
        )
    assert Client.objects.filter(organisation=practice.harbour).count() == 3
    assert not ClientNameToken.objects.filter(client__organisation=practice.harbour).exclude(
        client__in=practice.clients.values()
    )


# ---- client_update -------------------------------------------------------------------


def test_it_changes_a_clients_details_and_their_name_index(practice) -> None:
    ada = practice.clients["ada"]
    before = trail.mark()
    services.client_update(
        actor=practice.people["fran"],
        client=ada,
        intake=adult_intake("Ada Renamed", "Ady"),
    )
    fresh = Client.objects.get(pk=ada.pk)
    assert (fresh.legal_name, fresh.preferred_name) == ("Ada Renamed", "Ady")
    assert events_since(before) == [EventType.RECORD_UPDATE, EventType.PRACTICE_CLIENT_UPDATED]
    assert ClientNameToken.objects.filter(client=ada).count() == 3


def test_it_refuses_changes_by_billing_outside_the_rules_and_by_a_therapist(practice) -> None:
    with pytest.raises(PermissionDenied):
        services.client_update(
            actor=practice.people["tess"],
            client=practice.clients["ada"],
            intake=adult_intake("Ada Renamed"),
        )
    assert Client.objects.get(pk=practice.clients["ada"].pk).legal_name != "Ada Renamed"


def test_it_refuses_to_make_a_client_a_minor_without_a_guardian(practice) -> None:
    with pytest.raises(ValidationError):
        services.client_update(
            actor=practice.people["fran"],
            client=practice.clients["ben"],
            intake=adult_intake("Ben Samplesby", date_of_birth=years_ago(10)),
        )
    services.client_update(
        actor=practice.people["fran"],
        client=practice.clients["ben"],
        intake=adult_intake("Ben Samplesby", date_of_birth=years_ago(10)),
        guardian=GuardianDetails(
            name="Gus Samplesby", relation="father", email="g@example.invalid"
        ),
    )
    assert Guardian.objects.filter(client=practice.clients["ben"]).count() == 1


# ---- assignment ----------------------------------------------------------------------


def test_it_assigns_a_therapist_and_audits_it(practice) -> None:
    before = trail.mark()
    services.client_assign(
        actor=practice.people["fran"],
        client=practice.clients["ada"],
        therapist=practice.people["theo"],
    )
    entries = trail.written_since(before)
    assert [e.event for e in entries] == [
        EventType.RECORD_UPDATE,
        EventType.PRACTICE_CLIENT_ASSIGNED,
    ]
    assert entries[-1].reason == f"therapist user:{practice.people['theo'].pk}"


def test_it_refuses_to_assign_someone_who_is_not_a_therapist_here(practice) -> None:
    for who in ("bill", "oren", "sue"):
        with pytest.raises(ValidationError):
            services.client_assign(
                actor=practice.people["fran"],
                client=practice.clients["ada"],
                therapist=practice.people[who],
            )


def test_it_refuses_to_assign_the_same_therapist_twice(practice) -> None:
    with pytest.raises(ValidationError):
        services.client_assign(
            actor=practice.people["fran"],
            client=practice.clients["ada"],
            therapist=practice.people["tess"],
        )


def test_it_refuses_assignment_by_a_therapist(practice) -> None:
    with pytest.raises(PermissionDenied):
        services.client_assign(
            actor=practice.people["tess"],
            client=practice.clients["ada"],
            therapist=practice.people["tess"],
        )


def test_it_ends_an_assignment_and_keeps_its_history(practice) -> None:
    ada, tess = practice.clients["ada"], practice.people["tess"]
    before = trail.mark()
    ended = services.client_unassign(actor=practice.people["fran"], client=ada, therapist=tess)
    assert ended.until is not None
    assert ClientAssignment.objects.filter(client=ada).count() == 1
    assert events_since(before)[-1] == EventType.PRACTICE_CLIENT_UNASSIGNED
    with pytest.raises(ValidationError):
        services.client_unassign(actor=practice.people["fran"], client=ada, therapist=tess)


# ---- supervision ---------------------------------------------------------------------


def test_it_starts_a_supervision_and_audits_it(practice) -> None:
    before = trail.mark()
    services.supervision_start(
        actor=SETUP,
        organisation=practice.harbour,
        supervisor=practice.people["sue"],
        supervisee=practice.people["theo"],
    )
    assert events_since(before)[-1] == EventType.PRACTICE_SUPERVISION_STARTED
    assert Supervision.objects.filter(supervisee=practice.people["theo"]).exists()


def test_it_refuses_a_supervision_that_does_not_fit_the_roles(practice) -> None:
    with pytest.raises(ValidationError):
        services.supervision_start(
            actor=SETUP,
            organisation=practice.harbour,
            supervisor=practice.people["tess"],
            supervisee=practice.people["theo"],
        )
    with pytest.raises(ValidationError):
        services.supervision_start(
            actor=SETUP,
            organisation=practice.harbour,
            supervisor=practice.people["sue"],
            supervisee=practice.people["tess"],
        )
    with pytest.raises(PermissionDenied):
        services.supervision_start(
            actor=practice.people["fran"],
            organisation=practice.harbour,
            supervisor=practice.people["sue"],
            supervisee=practice.people["theo"],
        )


# ---- erasure -------------------------------------------------------------------------


def _raw(client: Client, field: str) -> str:
    return raw_column(Client, client.pk, field)


def test_it_erases_a_client_so_their_ciphertexts_no_longer_open(practice) -> None:
    mia = practice.clients["mia"]
    sealed = {
        name: (_raw(mia, name), Binding("practice.client", str(mia.pk), name, mia.dek_subject))
        for name in ("legal_name", "date_of_birth", "phone", "insurance_member_id")
    }
    guardian = Guardian.objects.get(client=mia)
    guardian_raw = raw_column(Guardian, guardian.pk, "name")
    guardian_binding = Binding("practice.guardian", str(guardian.pk), "name", mia.dek_subject)
    assert decrypt_text(guardian_raw, binding=guardian_binding) == "Gina Fakename"

    before = trail.mark()
    services.client_erase(actor=SETUP, client=mia)

    for ciphertext, binding in sealed.values():
        assert decrypt_text(ciphertext, binding=binding) is ERASED
    assert decrypt_text(guardian_raw, binding=guardian_binding) is ERASED
    assert DataKey.objects.get(subject=mia.dek_subject).is_shredded
    assert not Client.objects.filter(pk=mia.pk).exists()
    assert not Guardian.objects.filter(pk=guardian.pk).exists()
    assert not ClientNameToken.objects.filter(client_id=mia.pk).exists()
    assert events_since(before) == [
        EventType.RECORD_DELETE,
        EventType.KEY_SHREDDED,
        EventType.PRACTICE_CLIENT_ERASED,
    ]


def test_it_leaves_other_clients_readable_after_an_erasure(practice) -> None:
    services.client_erase(actor=SETUP, client=practice.clients["mia"])
    assert Client.objects.get(pk=practice.clients["ben"].pk).legal_name == "Ben Samplesby"


def test_it_refuses_erasure_to_staff(practice) -> None:
    for who in ("fran", "tess", "priya", "amira"):
        with pytest.raises(PermissionDenied):
            services.client_erase(actor=practice.people[who], client=practice.clients["ada"])
    assert Client.objects.get(pk=practice.clients["ada"].pk).legal_name
