"""Canary for follow-up: messages, notes, shared names and re-identification reasons.

Through the real pages with the test client: a safety alert opens a case;
the specialist takes it, writes a note and a message; the participant
replies, asks for a conversation and shares a name and contact; the
specialist asks for the name with a reason; the privacy officer approves
with a note and an exception; the specialist reads the name; the privacy
officer reviews. Every value typed is distinctive. Then the test reads what
an attacker with the machine would (the SQLite file and its WAL, or
``pg_dump``; every log line; the audit trail's SIEM export) and fails on
any of them in clear.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from tests import test_canary_journey as journey
from wellkept.followup.models import Case, IdentityGrant
from wellkept.followup.tests.conftest import check_in, sign_in
from wellkept.followup.tests.conftest import world as followup_world

pytestmark = pytest.mark.django_db(transaction=True)

log_file = journey.log_file
world = followup_world

PLANTED = {
    "case note": "Axolotl-canary note: sleeps four hours",
    "team message": "Narwhal-canary message: how are the nights?",
    "reply": "Pangolin-canary reply: the rota is crushing me",
    "conversation time": "Quokka-canary Thursday after nights",
    "shared name": "Tuatara-canary Ingeborg",
    "shared contact": "tuatara.canary@canary-private.invalid",
    "request reason": "Capybara-canary reason: no reply after a plan was disclosed",
    "decision note": "Wombat-canary approval note",
    "exception reason": "Dugong-canary exception: telling her now would endanger her",
    "review note": "Kakapo-canary review: justified and used once",
}


def test_follow_up_values_appear_nowhere_in_clear(
    client, world, tmp_path: Path, log_file: Path, settings
) -> None:
    check_in(world, "pia", world.st_annes)
    case = Case.objects.get()
    sam, pia, priya = world.people["sam"], world.people["pia"], world.people["priya"]

    sign_in(client, sam)
    client.post(reverse("followup:case_take", args=[case.pk]))
    client.post(reverse("followup:note", args=[case.pk]), {"body": PLANTED["case note"]})
    client.post(reverse("followup:message", args=[case.pk]), {"body": PLANTED["team message"]})

    sign_in(client, pia)
    client.post(reverse("followup:reply"), {"body": PLANTED["reply"]})
    client.post(
        reverse("followup:conversation"), {"way": "phone", "when": PLANTED["conversation time"]}
    )
    client.post(
        reverse("followup:share"),
        {"name": PLANTED["shared name"], "contact": PLANTED["shared contact"]},
    )

    sign_in(client, sam)
    page = client.get(reverse("followup:case", args=[case.pk])).content.decode()
    assert PLANTED["reply"] in page
    assert PLANTED["shared name"] in page
    client.post(
        reverse("followup:identity_request", args=[case.pk]),
        {"purpose": "safety_emergency", "reason": PLANTED["request reason"]},
    )
    grant = IdentityGrant.objects.get()
    sign_in(client, priya, fresh_mfa=True)
    client.post(
        reverse("followup:privacy_approve", args=[grant.pk]),
        {
            "hours": 2,
            "note": PLANTED["decision note"],
            "do_not_tell": "on",
            "exception_reason": PLANTED["exception reason"],
        },
    )
    sign_in(client, sam, fresh_mfa=True)
    shown = client.post(reverse("followup:grant_identity", args=[grant.pk])).content.decode()
    assert "Canary-Nightingale" in shown
    sign_in(client, priya)
    client.post(
        reverse("followup:privacy_review", args=[grant.pk]), {"note": PLANTED["review note"]}
    )
    grant.refresh_from_db()
    assert grant.reviewed_at is not None

    sources = {
        "database": journey.stored_bytes(tmp_path),
        "log": log_file.read_bytes(),
        "audit export": journey.audit_export_bytes(tmp_path),
        "e-mails": "\n".join(m.body + m.subject for m in mail.outbox).encode(),
    }
    leaks = [
        f"{what} in the {where}"
        for where, data in sources.items()
        for what, value in PLANTED.items()
        if any(form in data for form in journey.forms_of(value))
    ]
    assert leaks == []
    # The participant's name never reaches the trail, the logs or an e-mail.
    for where in ("log", "audit export", "e-mails"):
        assert b"Canary-Nightingale" not in sources[where], where
