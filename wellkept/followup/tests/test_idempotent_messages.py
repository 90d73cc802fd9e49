"""The same message form sent twice stores, audits and e-mails once, in both directions."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.followup import services
from wellkept.followup.models import CaseMessage, CaseNote, Sender
from wellkept.followup.tests.conftest import assigned_to, sign_in

pytestmark = pytest.mark.django_db


def form_key(page: str, action: str) -> str:
    """The idempotency key of the form that posts to ``action`` on ``page``."""
    form = page.split(f'action="{action}"', 1)[1].split("</form>", 1)[0]
    found = re.search(r'name="idempotency_key" value="([^"]+)"', form)
    assert found, "the form carries no key"
    return found.group(1)


def sent_events() -> int:
    # Staff messages are in the identified chain, the participant's in the pseudonymous one.
    return sum(
        chain.objects.filter(event="followup.message_sent").count()
        for chain in (AuditEntry, PseudonymousEntry)
    )


def test_a_participants_reply_sent_twice_is_stored_once(client, world, case):
    case = assigned_to(case, world.people["sam"])
    services.message_send(actor=world.people["sam"], case=case, body="How are you doing?")
    sign_in(client, world.people["pia"])
    page = client.get(reverse("followup:mine")).content.decode()
    key = form_key(page, reverse("followup:reply"))
    before = sent_events()
    for _ in range(2):  # a double tap
        response = client.post(
            reverse("followup:reply"), {"body": "Better, thanks.", "idempotency_key": key}
        )
        assert response.status_code == 302
    replies = CaseMessage.objects.filter(case=case, sender=Sender.PARTICIPANT)
    assert [m.body for m in replies] == ["Better, thanks."]
    assert sent_events() == before + 1
    # A fresh form is a new message, even with the same words.
    page = client.get(reverse("followup:mine")).content.decode()
    client.post(
        reverse("followup:reply"),
        {"body": "Better, thanks.", "idempotency_key": form_key(page, reverse("followup:reply"))},
    )
    assert CaseMessage.objects.filter(case=case, sender=Sender.PARTICIPANT).count() == 2


def test_a_team_message_sent_twice_is_stored_and_e_mailed_once(client, world, case):
    case = assigned_to(case, world.people["sam"])
    sign_in(client, world.people["sam"])
    url = reverse("followup:message", args=[case.pk])
    page = client.get(reverse("followup:case", args=[case.pk])).content.decode()
    key = form_key(page, url)
    mail.outbox.clear()
    for _ in range(3):
        client.post(url, {"body": "Could we talk this week?", "idempotency_key": key})
    assert CaseMessage.objects.filter(case=case, sender=Sender.TEAM).count() == 1
    assert sent_events() == 1
    # Same key, other words (the back button, the text edited): a new message, not lost.
    client.post(url, {"body": "Or next week, if that suits you better.", "idempotency_key": key})
    assert CaseMessage.objects.filter(case=case, sender=Sender.TEAM).count() == 2


def test_sharing_asking_and_notes_are_idempotent_too(world, case):
    case = assigned_to(case, world.people["sam"])
    pia, sam = world.people["pia"], world.people["sam"]
    for _ in range(2):
        services.identity_share(
            actor=pia, case=case, name="Pia", contact="ext. 4411", idempotency_key="k-share"
        )
        services.conversation_ask(
            actor=pia, case=case, way="phone", when="Mornings", idempotency_key="k-talk"
        )
        services.note_add(actor=sam, case=case, body="Called the ward.", idempotency_key="k-note")
    assert CaseMessage.objects.filter(case=case).count() == 2
    assert CaseNote.objects.filter(case=case).count() == 1
    # Without a key (a script), nothing is merged.
    for _ in range(2):
        services.note_add(actor=sam, case=case, body="Called the ward.")
    assert CaseNote.objects.filter(case=case).count() == 3


def test_a_repeated_decline_is_answered_as_done_not_as_an_error(client, world, case):
    sign_in(client, world.people["pia"])
    client.post(reverse("followup:decline"))
    page = client.post(reverse("followup:decline"), follow=True).content.decode()
    assert "will not contact you" in page
    assert "There is no open conversation" not in page
    assert PseudonymousEntry.objects.filter(event="followup.declined").count() == 1
