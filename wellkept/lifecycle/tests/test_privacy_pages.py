"""Every lifecycle page of the privacy officer: 404 for every other role, audited; holds work."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup.tests.conftest import sign_in
from wellkept.lifecycle.models import LegalHold
from wellkept.lifecycle.services import legal_hold_set, participant_erase
from wellkept.lifecycle.tests.test_subject_requests import approved, recorded

pytestmark = pytest.mark.django_db

REASON = "Coroner's inquest: keep everything for this person until told otherwise."
# Everyone but St Anne's privacy officer: participants, every other staff
# role, and the privacy officer of another organisation. (Colin is erased
# to have a receipt to ask for.)
OTHERS = ["pia", "farah", "lena", "amira", "wendy", "sam", "oscar"]


def _pages(world, case):
    answer = approved(world)
    # Recorded by Petra, St Anne's other privacy officer, for Priya to decide.
    pending = recorded(world, by="petra")
    hold = legal_hold_set(
        actor=world.people["priya"],
        organisation=world.st_annes.organisation,
        case=case,
        reason=REASON,
    )
    receipt = participant_erase(
        actor=world.people["colin"], participant=world.participants["colin"]
    ).receipt_id
    q = "?org=st-annes"
    return [
        ("get", reverse("lifecycle:retention") + q, {}),
        ("post", reverse("lifecycle:retention_update") + q, {"category": "scores", "months": 3}),
        ("post", reverse("lifecycle:hold_set") + q, {"token": "x", "reason": REASON}),
        ("post", reverse("lifecycle:hold_lift", args=[hold.pk]) + q, {"reason": REASON}),
        ("get", reverse("lifecycle:receipt_download", args=[receipt]) + q, {}),
        ("get", reverse("lifecycle:subject_request") + q, {}),
        (
            "post",
            reverse("lifecycle:subject_request_new") + q,
            {"email": "someone@example.org", "kind": "access", "reason": REASON},
        ),
        ("post", reverse("lifecycle:subject_request_approve", args=[pending.pk]) + q, {}),
        ("post", reverse("lifecycle:subject_request_refuse", args=[pending.pk]) + q, {}),
        ("get", reverse("lifecycle:subject_request_detail", args=[answer.pk]) + q, {}),
        ("get", reverse("lifecycle:subject_export_json", args=[answer.pk]) + q, {}),
        ("get", reverse("lifecycle:subject_export_fhir", args=[answer.pk]) + q, {}),
        ("post", reverse("lifecycle:subject_erase", args=[answer.pk]) + q, {"confirm": "on"}),
    ]


@pytest.mark.parametrize("who", OTHERS)
def test_every_page_answers_404_to_every_other_role(client, world, case, who):
    pages = _pages(world, case)
    sign_in(client, world.people[who], fresh_mfa=True)
    before = AuditEntry.objects.filter(outcome="denied").count()
    for method, url, data in pages:
        response = getattr(client, method)(url, data)
        assert response.status_code == 404, f"{who} {method} {url}"
    assert AuditEntry.objects.filter(outcome="denied").count() >= before + len(pages)
    assert LegalHold.objects.filter(lifted_at__isnull=True).count() == 1


def test_the_privacy_officer_opens_every_page(client, world, case):
    sign_in(client, world.people["priya"])
    for method, url, data in _pages(world, case)[:-1]:
        response = getattr(client, method)(url, data)
        assert response.status_code in (200, 302, 400), f"{method} {url}"
        assert response.status_code != 404


def test_the_privacy_officer_sets_and_lifts_a_hold_audited_and_the_reason_sealed(client, world):
    sign_in(client, world.people["priya"])
    colin = world.participants["colin"]
    url = reverse("lifecycle:hold_set") + "?org=st-annes"
    response = client.post(url, {"token": colin.token, "reason": REASON})
    assert response.status_code == 302
    hold = LegalHold.objects.get()
    assert hold.reason == REASON
    with connection.cursor() as cursor:
        cursor.execute("SELECT reason FROM lifecycle_legalhold")
        (raw,) = cursor.fetchone()
    assert raw.startswith("wk1$")
    assert "Coroner" not in raw
    lift = reverse("lifecycle:hold_lift", args=[hold.pk]) + "?org=st-annes"
    client.post(lift, {"reason": "The inquest closed on 3 November."})
    hold.refresh_from_db()
    assert hold.lifted_at is not None
    events = list(
        AuditEntry.objects.filter(event__startswith="legal_hold.").values_list("event", "target")
    )
    assert events == [
        (EventType.LEGAL_HOLD_SET, f"participant:{colin.token}/hold:{hold.pk}"),
        (EventType.LEGAL_HOLD_LIFTED, f"participant:{colin.token}/hold:{hold.pk}"),
    ]


def test_a_hold_on_an_unknown_token_gets_a_clear_message(client, world):
    sign_in(client, world.people["priya"])
    url = reverse("lifecycle:hold_set") + "?org=st-annes"
    response = client.post(url, {"token": "no-such-token", "reason": REASON})
    assert response.status_code == 400
    assert "No participant with this code number" in response.content.decode()
    both = client.post(url, {"token": "a", "case": "b", "reason": REASON})
    assert "Give only one" in both.content.decode()
    # Too short a start is refused like an unknown one.
    colin = world.participants["colin"]
    short = client.post(url, {"token": colin.token[:3], "reason": REASON})
    assert "No participant with this code number" in short.content.decode()
    assert not LegalHold.objects.exists()


def test_a_hold_takes_the_code_number_as_the_consent_register_shows_it(client, world):
    sign_in(client, world.people["priya"])
    colin = world.participants["colin"]
    url = reverse("lifecycle:hold_set") + "?org=st-annes"
    response = client.post(url, {"token": colin.token[:8] + "…", "reason": REASON})
    assert response.status_code == 302
    assert LegalHold.objects.get().participant == colin


BAD_INPUT = [
    ("retention_update", {"category": "scores", "months": "1e9"}, "whole number"),
    ("retention_update", {"category": "scores", "months": "99999999999999999999"}, "between"),
    ("retention_update", {"category": "scores", "months": "-3"}, "between"),
    ("retention_update", {"category": "audit_trail", "months": "71"}, "at least 6 years"),
    ("retention_update", {"category": "passwords", "months": "12"}, "valid choice"),
    ("retention_update", {}, "Give the number of months"),
    ("hold_set", {"case": "not-a-uuid", "reason": REASON}, "looks like"),
    ("hold_set", {"case": "0d5c1d8e-4c3e-4a0e-9d4b-2f0f3d1b9a77", "reason": REASON}, "No follow"),
    ("hold_set", {"token": "x" * 65, "reason": REASON}, "at most 64"),
    ("hold_set", {"token": "abc", "reason": "short"}, "at least 10"),
    ("hold_set", {"token": "abc", "reason": "y" * 1001}, "at most 1000"),
    ("hold_set", {"reason": REASON}, "a case reference or a client code."),
]


@pytest.mark.parametrize(("name", "data", "message"), BAD_INPUT)
def test_bad_input_on_every_form_gets_a_clear_message_never_a_500(
    client, world, name, data, message
):
    sign_in(client, world.people["priya"])
    response = client.post(reverse(f"lifecycle:{name}") + "?org=st-annes", data)
    assert response.status_code == 400
    assert message in response.content.decode()
