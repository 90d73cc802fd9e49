""" "Who looked at your data" under an exception: nothing of the look-up shows, until it ends.

Every entry a name request writes, from the request to the review, is
collected from the trail and checked against every place the participant
reads their access log: the My data page, its JSON download and the
selector both use. The filter is applied on the reading side, in one place
(``lifecycle.selectors.access_by_others`` with
``followup.selectors.lookups_not_told``).
"""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.urls import reverse

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry
from wellkept.followup import reidentification
from wellkept.followup.models import IdentityGrant
from wellkept.followup.tests.conftest import PIA_NAME, assigned_to, sign_in
from wellkept.followup.tests.test_reidentification import _fresh_request
from wellkept.lifecycle.selectors import access_by_others

pytestmark = pytest.mark.django_db

REASON = "No reply for three days after a safety alert; we need to reach her in person."
EXCEPTION = "Telling her now would put her at risk, per the treating psychiatrist."


def participant_views(client, world):
    """What Pia sees of others' accesses: the page, the JSON download, the selector."""
    sign_in(client, world.people["pia"])
    page = client.get(reverse("lifecycle:mydata")).content.decode()
    download = json.loads(client.get(reverse("lifecycle:export_json")).content)
    return page, download, access_by_others(world.participants["pia"])


def test_every_entry_of_a_look_up_stays_hidden_under_an_exception_until_it_ends(
    client, world, case, django_capture_on_commit_callbacks
):
    case = assigned_to(case, world.people["sam"])
    pia = world.participants["pia"]
    _, _, before = participant_views(client, world)
    mark = AuditEntry.objects.order_by("-id").first().id

    # The whole look-up, through the pages, as people do it.
    sign_in(client, world.people["sam"])
    client.get(reverse("followup:identity_request", args=[case.pk]))
    client.post(
        reverse("followup:identity_request", args=[case.pk]),
        {"purpose": "safety_emergency", "reason": REASON},
    )
    grant = IdentityGrant.objects.get()
    client.get(reverse("followup:grant", args=[grant.pk]))
    _, _, pending = participant_views(client, world)
    assert len(pending) == len(before) + 2  # the two views of the case page, nothing else
    sign_in(client, world.people["priya"], fresh_mfa=True)
    client.get(reverse("followup:privacy_grant", args=[grant.pk]))
    client.post(
        reverse("followup:privacy_approve", args=[grant.pk]),
        {"hours": 24, "do_not_tell": "on", "exception_reason": EXCEPTION},
    )
    sign_in(client, world.people["sam"], fresh_mfa=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            PIA_NAME
            in client.post(reverse("followup:grant_identity", args=[grant.pk])).content.decode()
        )
    with pytest.raises(reidentification.ReauthenticationNeeded):
        reidentification.identity_reveal(
            actor=world.people["sam"], grant=grant, request=_fresh_request(world, seconds_ago=3600)
        )
    sign_in(client, world.people["priya"])
    client.post(
        reverse("followup:privacy_review", args=[grant.pk]),
        {"note": "Needed and used once for the stated purpose."},
    )

    # Everything others wrote about Pia since the mark (her own reads are hers).
    written = list(
        AuditEntry.objects.filter(
            id__gt=mark, target__startswith=f"participant:{pia.token}/"
        ).exclude(actor_label=f"participant:{pia.token}")
    )
    prefix = f"participant:{pia.token}/grant:{grant.pk}"
    of_lookup = [e for e in written if e.target.startswith(prefix)]
    others = [e for e in written if not e.target.startswith(prefix)]
    assert {e.event for e in of_lookup} >= {
        "record.create",
        "record.read",
        "record.update",
        "access.denied",
        EventType.REIDENTIFICATION_REQUESTED,
        EventType.REIDENTIFICATION_APPROVED,
        EventType.REIDENTIFICATION_EXCEPTION,
        EventType.REIDENTIFICATION_USED,
        EventType.GRANT_REVIEWED,
    }
    # Outside the look-up's prefix only the case page's reads, each exactly
    # what any view of the case by the team writes.
    assert {(e.event, e.target, e.purpose) for e in others} == {
        ("record.read", f"participant:{pia.token}/case:{case.pk}", "burnout_follow_up")
    }

    page, download, seen = participant_views(client, world)
    assert len(seen) == len(before) + len(others)
    assert len(download["access_by_others"]) == len(seen)
    assert download["follow_up"]["name_looked_up"] == []
    for word in ("Re-identification", "Record created", "Grant or break-glass", "Identity behind"):
        assert word not in page
    assert "Nobody has looked up your name" in page
    assert not [m for m in mail.outbox if m.to == ["pia@st-annes.example"]]

    # The exception ends: she is told, and every entry of the look-up shows.
    sign_in(client, world.people["priya"])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("followup:privacy_exception_end", args=[grant.pk]))
    told = [m for m in mail.outbox if m.to == ["pia@st-annes.example"]]
    assert len(told) == 1
    assert "Dr Sam Specter" in told[0].body
    ended = AuditEntry.objects.filter(target=prefix).order_by("-id")[:2]
    assert {e.event for e in ended} == {
        EventType.REIDENTIFICATION_EXCEPTION_ENDED,
        EventType.REIDENTIFICATION_TOLD,
    }
    page, download, seen = participant_views(client, world)
    lookup_entries = AuditEntry.objects.filter(target__startswith=prefix).count()
    assert len(seen) == len(before) + len(others) + lookup_entries
    assert len(download["follow_up"]["name_looked_up"]) == 1
    assert "Dr Sam Specter" in page
    assert REASON in page


def test_a_pending_request_leaves_nothing_in_the_log_not_even_its_creation(client, world, case):
    case = assigned_to(case, world.people["sam"])
    sign_in(client, world.people["sam"])
    response = client.post(
        reverse("followup:api_identity_request", args=[case.pk]),
        data=json.dumps({"purpose": "safety_emergency", "reason": REASON}),
        content_type="application/json",
    )
    assert response.status_code == 201
    created = AuditEntry.objects.get(event="record.create", target__contains="/grant:")
    assert created.target.endswith(f"/grant:{response.json()['id']}")
    _, download, seen = participant_views(client, world)
    assert all(entry.what != "Record created" for entry in seen)
    assert all(entry["what"] != "Record created" for entry in download["access_by_others"])


def test_only_the_privacy_role_ends_an_exception_and_never_on_their_own_request(
    client, world, case
):
    case = assigned_to(case, world.people["sam"])
    grant = reidentification.reidentification_request(
        actor=world.people["sam"], case=case, purpose="safety_emergency", reason=REASON
    )
    reidentification.reidentification_decide(
        actor=world.people["priya"],
        grant=grant,
        approve=True,
        notify_participant=False,
        exception_reason=EXCEPTION,
        request=_fresh_request(world, "priya"),
    )
    for persona in ("sam", "wendy", "lena", "pia", "oscar"):
        sign_in(client, world.people[persona])
        response = client.post(reverse("followup:privacy_exception_end", args=[grant.pk]))
        assert response.status_code == 404, persona
    grant.refresh_from_db()
    assert grant.notify_participant is False
    # Not used yet: ending it means she is told at the first use.
    reidentification.reidentification_exception_end(actor=world.people["priya"], grant=grant)
    grant.refresh_from_db()
    assert (grant.notify_participant, grant.participant_told_on) == (True, None)
    reidentification.identity_reveal(
        actor=world.people["sam"], grant=grant, request=_fresh_request(world)
    )
    grant.refresh_from_db()
    assert grant.participant_told_on is not None
