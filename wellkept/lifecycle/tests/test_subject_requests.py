"""Requests received outside the app: export and erasure of the person a live grant names."""

from __future__ import annotations

import json
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup import reidentification
from wellkept.followup.tests.conftest import PIA_NAME, sign_in
from wellkept.lifecycle.models import DeletionReceipt, ErasureRule
from wellkept.lifecycle.receipts import receipt_verify
from wellkept.lifecycle.services import legal_hold_set
from wellkept.orgs.models import Participant

pytestmark = pytest.mark.django_db

REASON = "Pia wrote to the privacy office asking for a copy of everything held."


def approved(world, case):
    """Wendy asks for the name behind Pia's case; Priya approves on the grant's page."""
    grant = reidentification.reidentification_request(
        actor=world.people["wendy"], case=case, purpose="burnout_follow_up", reason=REASON
    )
    # Approving needs a fresh second factor in a real request: through the page.
    officer = sign_in(Client(), world.people["priya"], fresh_mfa=True)
    response = officer.post(
        reverse("followup:privacy_approve", args=[grant.pk]), {"hours": 24, "note": ""}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.is_live()
    return grant


def _url(name, grant, org="st-annes"):
    return reverse(f"lifecycle:{name}", args=[grant]) + f"?org={org}"


def test_it_exports_everything_as_json_and_records_only_a_reference(client, world, case):
    grant = approved(world, case)
    sign_in(client, world.people["priya"], fresh_mfa=True)
    response = client.get(_url("subject_export_json", grant.pk))
    assert response.status_code == 200
    data = json.loads(response.content)
    pia = world.participants["pia"]
    assert data["enrolment"]["token"] == pia.token
    assert data["responses"]
    assert data["follow_up"]
    entry = AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).latest("id")
    assert entry.target == f"participant:{pia.token}/subject-request:{grant.pk}/json"
    assert entry.purpose == "legal_obligation"
    assert str(entry.actor_id) == str(world.people["priya"].pk)
    # A reference, never content: no answer, no name in the entry.
    assert PIA_NAME not in json.dumps(list(AuditEntry.objects.values()), default=str)


def test_it_exports_a_valid_fhir_r5_bundle(client, world, case):
    grant = approved(world, case)
    sign_in(client, world.people["priya"], fresh_mfa=True)
    bundle = json.loads(client.get(_url("subject_export_fhir", grant.pk)).content)
    assert bundle["resourceType"] == "Bundle"
    kinds = {e["resource"]["resourceType"] for e in bundle["entry"]}
    assert kinds == {"QuestionnaireResponse", "Consent"}


@pytest.mark.parametrize("name", ["subject_export_json", "subject_export_fhir"])
def test_it_asks_for_a_fresh_second_factor_before_an_export(client, world, case, name):
    grant = approved(world, case)
    exports_before = AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).count()
    sign_in(client, world.people["priya"])  # signed in a while ago: no fresh factor
    url = _url(name, grant.pk)
    response = client.get(url)
    assert response.status_code == 302
    assert "reauthenticate" in response["Location"]
    # Back to the same download once proved, and nothing left meanwhile.
    assert url in unquote(response["Location"])
    assert AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).count() == exports_before
    # The prompt is the same for a reference that names no grant.
    missing = client.get(_url(name, "0d5c1d8e-4c3e-4a0e-9d4b-2f0f3d1b9a77"))
    assert missing.status_code == 302
    sign_in(client, world.people["priya"], fresh_mfa=True)
    assert client.get(url).status_code == 200
    assert AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).count() == exports_before + 1


def test_it_refuses_without_a_grant_with_404_and_records_the_refusal(client, world, case):
    sign_in(client, world.people["priya"], fresh_mfa=True)
    missing = "0d5c1d8e-4c3e-4a0e-9d4b-2f0f3d1b9a77"
    for url in (
        _url("subject_export_json", missing),
        _url("subject_export_fhir", "not-a-grant"),
        reverse("lifecycle:subject_request") + f"?org=st-annes&grant={missing}",
    ):
        assert client.get(url).status_code == 404
    denied = AuditEntry.objects.filter(event=EventType.ACCESS_DENIED, purpose="legal_obligation")
    assert denied.count() == 3
    assert not AuditEntry.objects.filter(event=EventType.RECORD_EXPORT).exists()


def test_it_refuses_a_grant_still_waiting_for_a_decision(client, world, case):
    pending = reidentification.reidentification_request(
        actor=world.people["wendy"], case=case, purpose="burnout_follow_up", reason=REASON
    )
    sign_in(client, world.people["priya"], fresh_mfa=True)
    assert client.get(_url("subject_export_json", pending.pk)).status_code == 404


def test_it_refuses_the_privacy_officer_of_another_organisation(client, world, case):
    grant = approved(world, case)
    sign_in(client, world.people["oscar"], fresh_mfa=True)
    assert client.get(_url("subject_export_json", grant.pk, "elsewhere")).status_code == 404
    assert client.get(_url("subject_export_json", grant.pk, "st-annes")).status_code == 404


def test_it_erases_under_the_grant_with_a_fresh_second_factor_and_gives_the_receipt(
    client, world, case
):
    grant = approved(world, case)
    pia = world.participants["pia"]
    sign_in(client, world.people["priya"])
    # Without a fresh second factor: sent to prove it, nothing erased.
    response = client.post(_url("subject_erase", grant.pk), {"confirm": "on"})
    assert response.status_code == 302
    assert Participant.objects.filter(pk=pia.pk).exists()
    sign_in(client, world.people["priya"], fresh_mfa=True)
    page = client.post(_url("subject_erase", grant.pk), {"confirm": "on"})
    assert page.status_code == 200
    assert not Participant.objects.filter(pk=pia.pk).exists()
    receipt = DeletionReceipt.objects.get()
    assert receipt.rule == ErasureRule.OUTSIDE_REQUEST
    assert receipt_verify(receipt.document).receipt_id == str(receipt.pk)
    download = client.get(
        reverse("lifecycle:receipt_download", args=[receipt.pk]) + "?org=st-annes"
    )
    assert json.loads(download.content) == receipt.document
    erased = AuditEntry.objects.get(event=EventType.SUBJECT_ERASED)
    assert str(erased.actor_id) == str(world.people["priya"].pk)
    assert erased.reason.startswith("outside_request; rows deleted:")


def test_a_legal_hold_stops_the_erasure_with_a_message(client, world, case):
    grant = approved(world, case)
    pia = world.participants["pia"]
    legal_hold_set(
        actor=world.people["priya"],
        organisation=world.st_annes.organisation,
        token=pia.token,
        reason="Litigation hold from the hospital's solicitors, ref 2026-77.",
    )
    sign_in(client, world.people["priya"], fresh_mfa=True)
    response = client.post(_url("subject_erase", grant.pk), {"confirm": "on"}, follow=True)
    assert "A legal hold is in force" in response.content.decode()
    assert Participant.objects.filter(pk=pia.pk).exists()


def test_it_closes_a_participant_only_account_with_its_second_factors(client, world, case):
    from allauth.mfa.models import Authenticator

    from wellkept.accounts.models import User
    from wellkept.consent.tests.conftest import with_mfa

    grant = approved(world, case)
    pia_login = with_mfa(world.people["pia"])
    assert Authenticator.objects.filter(user=pia_login).exists()
    sign_in(client, world.people["priya"], fresh_mfa=True)
    page = client.post(_url("subject_erase", grant.pk), {"confirm": "on", "close_account": "on"})
    assert page.status_code == 200
    assert not User.objects.filter(pk=pia_login.pk).exists()
    assert not Authenticator.objects.filter(user_id=pia_login.pk).exists()
    receipt = DeletionReceipt.objects.get().document["receipt"]
    assert receipt["categories"]["sign-in account"] == 1
    assert receipt["categories"]["second factors"] >= 1
    # Staff accounts stay: Priya still signs in.
    assert User.objects.filter(pk=world.people["priya"].pk).exists()


def test_a_reference_that_is_not_a_grant_is_never_copied_into_the_trail(client, world, case):
    # Pasted by mistake into the address: an e-mail, a name. The trail is
    # append-only and outlives everything; it records that a malformed
    # reference was tried, not what it said.
    sign_in(client, world.people["priya"], fresh_mfa=True)
    typed = "jane.doe@st-annes.example"
    assert client.get(_url("subject_export_json", typed)).status_code == 404
    denied = AuditEntry.objects.filter(event=EventType.ACCESS_DENIED).latest("id")
    assert denied.target == "subject_request:grant:malformed"
    assert "jane" not in json.dumps(list(AuditEntry.objects.values()), default=str)
