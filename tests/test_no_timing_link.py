"""No timing link between a sign-in and a token: the join is tried, and fails.

Before: `auth.login user:X` was followed within a second, in the same table
and id sequence, by entries under `participant:<token>`, so anyone who read
the trail (a privacy officer, a DBA, a SIEM) could join them. Now a
participant's own events go to the pseudonymous chain: the day only, no
request id, address or user agent, random ids, the order sealed; and
checkpoints never follow a participant's commit (docs/security.md, "No
timing link between a sign-in and a token").

The worst case is played: clinicians sign in and act strictly one after the
other. The attacker reads the identified table, the pseudonymous table, the
JSON-lines export and the checkpoint sinks, and tries to pair each sign-in
with a token by time, by request id, and by order. A control shows the same
attacker pairing everyone when the trail is written the old way.
"""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client, RequestFactory
from django.urls import reverse

from wellkept.assessments import services as assessments
from wellkept.assessments.tests.fixtures import (
    BURNOUT_OK,
    PHQ2_LOW,
    Hospital,
    hospital,
    join,
    make_clinician,
)
from wellkept.audit import checkpoints
from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.audit.services import audit_record
from wellkept.audit.tests.trail import LINKING_FIELDS
from wellkept.vault.models import DataKey

__all__ = ["hospital"]

pytestmark = pytest.mark.django_db

CLINICIANS = 16
# A random pairing of 16 gets about one right; 7 or more happens about once
# in 12,000 runs. Anything the order, time or request ids gave away would
# show far above it (the control gets all 16).
CHANCE_CEILING = 7


def correct(guesses: dict[str, str], truth: dict[str, str]) -> int:
    return sum(1 for user, token in guesses.items() if truth.get(user) == token)


def first_appearances(tokens_in_order: list[str]) -> list[str]:
    seen: list[str] = []
    for token in tokens_in_order:
        if token not in seen:
            seen.append(token)
    return seen


def pair_by_order(logins: list[str], tokens_in_order: list[str]) -> dict[str, str]:
    """The i-th sign-in goes with the i-th token to appear: right every time if order leaks."""
    return dict(zip(logins, first_appearances(tokens_in_order), strict=False))


def pair_by_time(
    logins: list[tuple[str, float]], events: list[tuple[str, float]]
) -> dict[str, str]:
    """Each sign-in goes with the first token seen at or after it (ties: as they come)."""
    guesses: dict[str, str] = {}
    taken: set[str] = set()
    for user, at in sorted(logins, key=lambda x: x[1]):
        candidates = [(t - at, n, token) for n, (token, t) in enumerate(events) if t >= at]
        for _distance, _n, token in sorted(candidates):
            if token not in taken:
                guesses[user] = token
                taken.add(token)
                break
    return guesses


@pytest.fixture
def sequence(hospital: Hospital, settings) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Each clinician signs in, joins, checks in and reads their data, one after the other.

    Returns user id -> token. The sign-in is recorded as the adapter records
    it (with the request's address, agent and id), without 16 Argon2 rounds.
    """
    call_command("audit", "init", "--adopt", stdout=StringIO())
    truth: dict[str, str] = {}
    for n in range(CLINICIANS):
        user = make_clinician(hospital.organisation, f"clinician{n}@st-annes.example")
        client = Client(REMOTE_ADDR=f"192.0.2.{n + 1}", HTTP_USER_AGENT=f"Phone {n}")
        client.force_login(user)
        request = RequestFactory().post(
            reverse("account_login"), REMOTE_ADDR=f"192.0.2.{n + 1}", HTTP_USER_AGENT=f"Phone {n}"
        )
        request.wellkept_request_id = f"login-{n}"  # type: ignore[attr-defined]
        audit_record(
            actor=user, event=EventType.AUTH_LOGIN, target=f"user:{user.pk}", request=request
        )
        # What the background writer does within a second of a commit.
        checkpoints.checkpoint_write()
        participant = join(hospital, user)
        checkin = assessments.checkin_start(
            actor=user, participant=participant, schedule=hospital.pulse
        )
        for code, answers in (("phq2", PHQ2_LOW), ("burnout1", BURNOUT_OK)):
            assessments.checkin_save_answers(
                actor=user, checkin=checkin, instrument_code=code, answers=answers
            )
        key = checkin.idempotency_key
        assessments.checkin_submit(actor=user, checkin=checkin, idempotency_key=key)
        assert client.get(reverse("lifecycle:mydata")).status_code == 200
        assert client.get(reverse("lifecycle:export_json")).status_code == 200
        checkpoints.checkpoint_write()
        truth[str(user.pk)] = participant.token
    return truth


def logins() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(event="auth.login").order_by("id"))


def tokens_of(labels: list[str]) -> list[str]:
    return [label.removeprefix("participant:") for label in labels]


def test_a_reader_of_the_trail_cannot_pair_sign_ins_with_tokens(
    sequence: dict[str, str], settings
) -> None:
    tokens = set(sequence.values())
    users = [e.actor_id for e in logins()]
    assert sorted(users) == sorted(sequence)

    # Nothing identified names a token or carries a participant's own action.
    for entry in AuditEntry.objects.all():
        assert not any(t in entry.target or t in entry.actor_label for t in tokens)
    own = PseudonymousEntry.objects.all()
    assert own.count() >= 3 * CLINICIANS
    # No time of day, request id, address, agent or login in the pseudonymous chain.
    assert not {f.name for f in PseudonymousEntry._meta.get_fields()} & LINKING_FIELDS

    # By request id (or address): nothing in common with the identified entries.
    identified = set(AuditEntry.objects.values_list("request_id", flat=True))
    identified |= set(AuditEntry.objects.values_list("ip", flat=True)) - {""}
    for row in own.values():
        assert not {str(v) for v in row.values()} & identified

    # Nor do the participants' data keys say when they were made.
    made = DataKey.objects.filter(subject__in=[f"participant:{t}" for t in tokens])
    assert made.count() == CLINICIANS
    assert {(k.created_at.hour, k.created_at.minute, k.created_at.second) for k in made} == {
        (0, 0, 0)
    }

    # By time: every entry of the day is at the same instant, so the nearest
    # one after each sign-in is a tie the attacker breaks by name.
    assert own.values("day").distinct().count() == 1
    signed_in = [(e.actor_id, e.created_at.timestamp()) for e in logins()]
    after_all = max(t for _u, t in signed_in)
    events = sorted(
        (label.removeprefix("participant:"), after_all)
        for label in own.values_list("actor_label", flat=True)
    )
    assert correct(pair_by_time(signed_in, events), sequence) < CHANCE_CEILING

    # By order: in the table's key order, the export's order, and (SQLite)
    # the storage order a scan without ORDER BY returns.
    orders = {
        "table by id": tokens_of(list(own.order_by("id").values_list("actor_label", flat=True))),
    }
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT actor_label FROM audit_pseudonymousentry")
            orders["storage order"] = tokens_of([row[0] for row in cursor.fetchall()])
    out = StringIO()
    call_command("audit", "export", "--since", "2000-01-01", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    orders["export"] = tokens_of([x["actor_label"] for x in lines if x["chain"] == "pseudonymous"])
    for name, order in orders.items():
        assert correct(pair_by_order(users, order), sequence) < CHANCE_CEILING, name

    # By the checkpoints: written after each sign-in (the public head moved),
    # never after a participant's commits, which moved only the sealed head,
    # re-sealed differently every time and always the same length.
    merged = checkpoints.read_evidence().merged
    assert len([c for c in merged if c.kind == "checkpoint"]) == CLINICIANS + 1
    blobs = [c.sealed["audit-pseudonymous"] for c in merged]
    assert len(set(blobs)) == len(blobs)
    assert len({len(b) for b in blobs}) == 1
    file_text = Path(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE).read_text()
    assert not any(token in file_text for token in tokens)


def test_the_same_attacker_pairs_everyone_in_a_trail_written_the_old_way() -> None:
    """Control: one table, one id sequence, times to the microsecond."""
    truth = {f"user-{n}": f"token-{n:02d}-{(n * 7919) % 97}" for n in range(CLINICIANS)}
    timeline: list[tuple[str, str, float]] = []
    clock = 0.0
    for user, token in truth.items():
        clock += 1.0
        timeline.append(("login", user, clock))
        for _ in range(3):
            clock += 0.01
            timeline.append(("own", token, clock))
    users = [who for kind, who, _ in timeline if kind == "login"]
    in_id_order = [who for kind, who, _ in timeline if kind == "own"]
    assert correct(pair_by_order(users, in_id_order), truth) == CLINICIANS
    signed_in = [(who, t) for kind, who, t in timeline if kind == "login"]
    events = [(who, t) for kind, who, t in timeline if kind == "own"]
    assert correct(pair_by_time(signed_in, events), truth) == CLINICIANS
