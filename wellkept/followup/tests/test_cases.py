"""Follow-up cases: opened only with consent, seen only by the team, by token, never by name."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from wellkept.audit.events import EventType
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.audit.tests import trail
from wellkept.consent.services import consent_record
from wellkept.followup import services
from wellkept.followup.models import Case, CaseMessage, CaseNote, CaseStatus, IdentityGrant
from wellkept.followup.tests.conftest import PIA_NAME, assigned_to, check_in, sign_in
from wellkept.lifecycle.selectors import access_by_others
from wellkept.lifecycle.services import participant_erase

pytestmark = pytest.mark.django_db

QUEUE = reverse("followup:queue")
MINE = reverse("followup:mine")


def events(*names: EventType) -> list[str]:
    # Both chains: the participant's own events are in the pseudonymous one.
    return [e.event for e in trail.everything() if e.event in names]


# ---- Opening ------------------------------------------------------------------------


def test_it_opens_a_case_for_a_safety_alert_the_participant_agreed_to(world, case):
    assert case.trigger == "safety_alert"
    assert case.status == CaseStatus.NEW
    assert case.response is not None
    assert case.response.instrument == "phq9"
    # Recorded under the token, never the login: in the pseudonymous chain.
    entry = PseudonymousEntry.objects.get(event=EventType.FOLLOWUP_CASE_OPENED)
    assert entry.target == f"participant:{case.participant.token}/case:{case.pk}"
    assert entry.actor_label == f"participant:{case.participant.token}"


def test_it_opens_no_case_without_prior_agreement_to_safety_alerts(world):
    check_in(world, "colin", world.st_annes)
    assert not Case.objects.filter(participant=world.participants["colin"]).exists()


def test_it_opens_a_case_when_the_participant_asks_and_only_one(client, world):
    sign_in(client, world.people["colin"])
    client.post(reverse("followup:ask"))
    client.post(reverse("followup:ask"))
    cases = Case.objects.filter(participant=world.participants["colin"])
    assert [(c.trigger, c.signals) for c in cases] == [("request", 2)]


def test_a_later_alert_joins_the_open_case(world, case):
    case = services.case_open_for_alert(actor=world.people["pia"], alert=case.response.alert)
    assert Case.objects.filter(participant=world.participants["pia"]).count() == 1
    assert case.signals == 2


# ---- Who sees the queue ---------------------------------------------------------------


@pytest.mark.parametrize("persona", ["wendy", "sam"])
def test_it_shows_the_team_the_case_by_token_and_never_the_name(client, world, case, persona):
    sign_in(client, world.people[persona])
    page = client.get(QUEUE).content.decode()
    assert case.participant.token[:8] in page
    assert "Safety alert" in page
    detail = client.get(reverse("followup:case", args=[case.pk])).content.decode()
    assert "PHQ-9" in detail
    assert PIA_NAME not in page + detail
    assert "pia@" not in page + detail


@pytest.mark.parametrize("persona", ["lena", "amira", "priya", "pia", "colin", "oscar"])
def test_it_answers_not_found_to_everyone_off_the_team(client, world, case, persona):
    sign_in(client, world.people[persona], fresh_mfa=True)
    mark = trail.mark()
    assert client.get(QUEUE).status_code == 404
    assert client.get(reverse("followup:case", args=[case.pk])).status_code == 404
    assert client.post(reverse("followup:case_take", args=[case.pk])).status_code == 404
    denied = [e for e in trail.written_since(mark) if e.outcome == "denied"]
    assert len(denied) >= 3
    assert Case.objects.get(pk=case.pk).assignee_id is None


def test_it_answers_the_same_for_a_case_that_does_not_exist(client, world, case):
    sign_in(client, world.people["sam"])
    missing = client.get(reverse("followup:case", args=["0" * 8 + "-0000-4000-8000-" + "0" * 12]))
    assert missing.status_code == 404
    entry = AuditEntry.objects.order_by("-id").first()
    assert (entry.outcome, entry.target) == ("denied", "follow_up_case:unknown")


def test_it_hides_the_case_from_the_team_once_the_participant_withdraws(client, world, case):
    consent_record(
        actor=world.people["pia"],
        participant=world.participants["pia"],
        notice=world.st_annes.notice,
        take_part=False,
        follow_up_contact=False,
        safety_alert=False,
    )
    sign_in(client, world.people["wendy"])
    assert case.participant.token[:8] not in client.get(QUEUE).content.decode()
    assert client.get(reverse("followup:case", args=[case.pk])).status_code == 404


# ---- Working a case --------------------------------------------------------------------


def test_the_whole_conversation_goes_through_the_token(
    client, world, case, django_capture_on_commit_callbacks
):
    sam, pia = world.people["sam"], world.people["pia"]
    sign_in(client, sam)
    client.post(reverse("followup:case_take", args=[case.pk]))
    assert Case.objects.get(pk=case.pk).assignee_id == sam.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("followup:message", args=[case.pk]),
            {"body": "Hello, I am a specialist on the wellbeing team. How are you doing?"},
        )
    assert response.status_code == 302
    # The e-mail says only that a message is waiting: no text, no token, no name.
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["pia@st-annes.example"]
    assert "How are you doing" not in sent.body
    assert case.participant.token not in sent.body
    assert "waiting" in sent.subject

    sign_in(client, pia)
    page = client.get(MINE).content.decode()
    assert "How are you doing?" in page
    client.post(reverse("followup:reply", args=[]), {"body": "Thanks, a hard week. Call me?"})
    client.post(reverse("followup:conversation"), {"way": "phone", "when": "Weekday mornings"})

    sign_in(client, sam)
    detail = client.get(reverse("followup:case", args=[case.pk])).content.decode()
    assert "Thanks, a hard week. Call me?" in detail
    assert "Weekday mornings" in detail
    assert PIA_NAME not in detail
    client.post(reverse("followup:case_close", args=[case.pk]), {"reason": "resolved"})
    assert Case.objects.get(pk=case.pk).status == CaseStatus.CLOSED
    assert events(EventType.FOLLOWUP_MESSAGE_SENT) == ["followup.message_sent"] * 2
    assert events(EventType.FOLLOWUP_CASE_CLOSED) == ["followup.case_closed"]


def test_only_the_assignee_writes_to_a_case(client, world, case):
    assigned_to(case, world.people["sam"])
    sign_in(client, world.people["sid"])
    client.post(reverse("followup:message", args=[case.pk]), {"body": "Hello from Sid"})
    client.post(reverse("followup:note", args=[case.pk]), {"body": "Sid's note"})
    assert not CaseMessage.objects.exists()
    assert not CaseNote.objects.exists()
    assert AuditEntry.objects.filter(outcome="denied", target__contains="/message").exists()


def test_a_specialist_cannot_take_over_a_colleagues_case_but_the_officer_can(client, world, case):
    assigned_to(case, world.people["sam"])
    sign_in(client, world.people["sid"])
    client.post(reverse("followup:case_take", args=[case.pk]))
    assert Case.objects.get(pk=case.pk).assignee_id == world.people["sam"].pk
    sign_in(client, world.people["wendy"])
    client.post(
        reverse("followup:case_assign", args=[case.pk]), {"assignee": world.people["sid"].pk}
    )
    assert Case.objects.get(pk=case.pk).assignee_id == world.people["sid"].pk


def test_notes_and_messages_are_ciphertext_at_rest(world, case):
    sam = world.people["sam"]
    case = assigned_to(case, sam)
    services.note_add(actor=sam, case=case, body="Zebra-canary note about sleep")
    services.message_send(actor=sam, case=case, body="Okapi-canary message")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT body FROM followup_casenote UNION ALL SELECT body FROM followup_casemessage"
        )
        stored = " ".join(row[0] for row in cursor.fetchall())
    assert "canary" not in stored
    assert CaseNote.objects.get().body == "Zebra-canary note about sleep"


def test_the_participant_sees_staff_follow_up_actions_as_a_staff_members(world, case):
    sam = world.people["sam"]
    case = assigned_to(case, sam)
    services.note_add(actor=sam, case=case, body="A note")
    services.message_send(actor=sam, case=case, body="A message")
    log = access_by_others(case.participant)
    written = [e for e in log if e.what in {"Case note written", "Follow-up message sent"}]
    assert len(written) == 2
    # Not "Someone signed in" with role "none": that reads as a stranger.
    assert {(e.by, e.role) for e in written} == {("A staff member", "staff")}


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("followup:message", {"body": "   "}, "Write a message first"),
        ("followup:message", {"body": "x" * 5000}, "Write a message first"),
        ("followup:case_close", {"reason": "fired"}, "Choose why the case is closed"),
        ("followup:case_assign", {"assignee": "not-a-user"}, "Choose someone"),
    ],
)
def test_it_answers_bad_input_with_a_clear_message(client, world, case, url, data, message):
    assigned_to(case, world.people["wendy"])
    sign_in(client, world.people["wendy"])
    response = client.post(reverse(url, args=[case.pk]), data, follow=True)
    assert response.status_code == 200
    assert message in response.content.decode()


# ---- The participant's choices ---------------------------------------------------------


def test_the_participant_shares_their_name_only_when_they_choose(client, world, case):
    assigned_to(case, world.people["sam"])
    sign_in(client, world.people["pia"])
    client.post(reverse("followup:share"), {"name": "Pia", "contact": "ext 4411"})
    sign_in(client, world.people["sam"])
    detail = client.get(reverse("followup:case", args=[case.pk])).content.decode()
    assert "Shared who they are" in detail
    assert "ext 4411" in detail
    assert events(EventType.FOLLOWUP_IDENTITY_SHARED) == ["followup.identity_shared"]


@pytest.mark.parametrize("persona", ["sid", "wendy"])
def test_what_the_participant_wrote_is_for_the_assignee_only(client, world, case, persona):
    sam = world.people["sam"]
    case = assigned_to(case, sam)
    services.note_add(actor=sam, case=case, body="Mentions trouble with the rota")
    sign_in(client, world.people["pia"])
    client.post(reverse("followup:share"), {"name": "Pia", "contact": "ext 4411"})
    client.post(reverse("followup:reply"), {"body": "Nights are the worst."})
    # A colleague on the team sees the case by token, as the queue does,
    # but not the conversation (nor the name shared in it) or the notes.
    sign_in(client, world.people[persona])
    detail = client.get(reverse("followup:case", args=[case.pk])).content.decode()
    assert "PHQ-9" in detail
    for private in ("ext 4411", "Nights are the worst", "trouble with the rota"):
        assert private not in detail
    assert "shown to the person the case is assigned to" in detail
    # Taking the case over (the officer may, audited) is what opens it.
    if persona == "wendy":
        client.post(reverse("followup:case_assign", args=[case.pk]), {"assignee": wendy_pk(world)})
        detail = client.get(reverse("followup:case", args=[case.pk])).content.decode()
        assert "ext 4411" in detail


def wendy_pk(world):
    return str(world.people["wendy"].pk)


# ---- Rate limits and e-mail ------------------------------------------------------------


def test_the_team_cannot_flood_a_participant(client, world, case, monkeypatch, moving_clock):
    from django.core.exceptions import ValidationError

    from wellkept.followup import ratelimit

    monkeypatch.setattr(ratelimit, "TEAM_MESSAGES_PER_HOUR", 3)
    sam = world.people["sam"]
    case = assigned_to(case, sam)
    moving_clock(minutes=60 - clock_minutes())  # the start of an hour
    for n in range(3):
        services.message_send(actor=sam, case=case, body=f"Message {n}")
    with pytest.raises(ValidationError, match="Too many messages"):
        services.message_send(actor=sam, case=case, body="One too many")
    sign_in(client, sam)
    page = client.post(
        reverse("followup:message", args=[case.pk]), {"body": "Through the page"}, follow=True
    ).content.decode()
    assert "Too many messages" in page
    assert "Wait 60 minutes" in page
    assert CaseMessage.objects.count() == 3
    moving_clock(hours=1)
    services.message_send(actor=sam, case=case, body="An hour later")
    assert CaseMessage.objects.count() == 4


def clock_minutes() -> int:
    from wellkept import clock

    return clock.now().minute


def test_a_participant_cannot_flood_the_team(client, world, case, monkeypatch, moving_clock):
    from wellkept.followup import ratelimit

    monkeypatch.setattr(ratelimit, "PARTICIPANT_MESSAGES_PER_HOUR", 2)
    # The window is the clock hour: start at the beginning of one, so the
    # three messages never straddle two (CI once ran this at 09:59:59).
    moving_clock(minutes=60 - clock_minutes())
    assigned_to(case, world.people["sam"])
    sign_in(client, world.people["pia"])
    client.post(reverse("followup:reply"), {"body": "one"})
    client.post(reverse("followup:share"), {"name": "Pia", "contact": ""})
    page = client.post(reverse("followup:reply"), {"body": "three"}, follow=True)
    assert page.status_code == 200
    assert "Too many messages" in page.content.decode()
    assert CaseMessage.objects.count() == 2


def test_one_e_mail_until_the_participant_reads_their_messages(
    client, world, case, django_capture_on_commit_callbacks
):
    sam = world.people["sam"]
    case = assigned_to(case, sam)
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(actor=sam, case=case, body="First")
        services.message_send(actor=sam, case=case, body="Second")
    assert len(mail.outbox) == 1
    sign_in(client, world.people["pia"])
    client.get(MINE)  # opened: both read
    with django_capture_on_commit_callbacks(execute=True):
        services.message_send(actor=sam, case=case, body="Third")
    assert len(mail.outbox) == 2
    assert all("First" not in m.body and "Third" not in m.body for m in mail.outbox)


def test_declining_closes_the_case(client, world, case):
    sign_in(client, world.people["pia"])
    client.post(reverse("followup:decline"))
    case.refresh_from_db()
    assert (case.status, case.close_reason) == ("closed", "declined")
    page = client.get(MINE).content.decode()
    assert "Ask someone to contact me" in page
    bad = client.post(reverse("followup:reply"), {"body": "hello?"}, follow=True)
    assert "no open conversation" in bad.content.decode()


def test_a_participant_not_taking_part_is_told_how_to_join(client, world):
    from wellkept.accounts.models import User
    from wellkept.orgs.models import Clinician

    nadia = User.objects.create_user("nadia@st-annes.example", None)
    Clinician.objects.create(user=nadia, organisation=world.st_annes.organisation)
    sign_in(client, nadia)
    assert "Go to your check-ins" in client.get(MINE).content.decode()
    client.post(reverse("followup:ask"))
    assert not Case.objects.exists()


def test_the_guide_page_explains_the_process(client, world):
    sign_in(client, world.people["colin"])
    page = client.get(reverse("followup:how")).content.decode()
    assert "second person" in page
    assert "break-glass" in page.lower()


# ---- Erasure ----------------------------------------------------------------------------


def test_erasure_deletes_every_follow_up_row(world, case):
    sam = world.people["sam"]
    case = assigned_to(case, sam)
    services.message_send(actor=sam, case=case, body="Hello")
    services.note_add(actor=sam, case=case, body="A note")
    from wellkept.followup.reidentification import reidentification_request

    reidentification_request(
        actor=sam,
        case=case,
        purpose="safety_emergency",
        reason="No reply for three days after a safety alert; we need to reach her.",
    )
    assert IdentityGrant.objects.exists()
    participant_erase(actor=world.people["pia"], participant=world.participants["pia"])
    for model in (Case, CaseMessage, CaseNote, IdentityGrant):
        assert not model.objects.exists(), model.__name__


def test_the_participants_own_export_holds_the_conversation_and_notes(world, case):
    from wellkept.lifecycle.exports import export_json

    sam = world.people["sam"]
    case = assigned_to(case, sam)
    services.message_send(actor=sam, case=case, body="How are the nights?")
    services.note_add(actor=sam, case=case, body="Sleeping badly")
    services.reply_send(actor=world.people["pia"], case=case, body="Long.")
    exported = export_json(world.participants["pia"])["follow_up"]
    [entry] = exported["cases"]
    assert [m["text"] for m in entry["messages"]] == ["How are the nights?", "Long."]
    assert [n["text"] for n in entry["notes"]] == ["Sleeping badly"]
    assert exported["name_looked_up"] == []
