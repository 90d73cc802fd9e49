"""E-mails of the follow-up process, sent after the transaction that caused them commits.

What they say is deliberately thin. A participant's e-mail says only that
something is waiting in Wellkept: a work mailbox may be read by others,
and "a wellbeing specialist wrote to you" is itself sensitive. The privacy
officers' alerts carry no token and no name, only a link to the page.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse

from wellkept.accounts.models import readable_email
from wellkept.followup.identity import login_for_participant
from wellkept.orgs.alerts import absolute, email_send, privacy_officers_mailed
from wellkept.orgs.models import Organisation, Participant

# ``absolute`` and ``email_send`` live in orgs.alerts (the practice alerts
# the privacy officers the same way); the follow-up modules keep asking here.
__all__ = [
    "LOOKUP_BODY",
    "LOOKUP_SUBJECT",
    "MESSAGE_WAITING_BODY",
    "MESSAGE_WAITING_SUBJECT",
    "PRIVACY_BODY",
    "PRIVACY_MORE",
    "PRIVACY_SUBJECTS",
    "absolute",
    "email_send",
    "message_waiting",
    "participant_address",
    "participant_told",
    "privacy_officers_alerted",
]

MESSAGE_WAITING_SUBJECT = "A message is waiting for you in Wellkept"
MESSAGE_WAITING_BODY = """\
Hello,

A message is waiting for you in Wellkept. Sign in to read it:

{url}

This e-mail says nothing more on purpose. You can reply, or say you do not
want to be contacted, from the same page.
"""

LOOKUP_SUBJECT = "Someone looked up who you are in Wellkept"
LOOKUP_BODY = """\
Hello,

As promised when you joined the wellbeing programme, we are telling you
that a member of the follow-up team looked up the name behind your code
number.

Who: {who}
When: {when}
Why: {purpose}

The reason they gave, and every other access to your data, are on your
"My data" page:

{url}

This step needed a second person to approve it (or, in a safety emergency,
it is reviewed afterwards by the privacy officer). If you have questions,
contact the privacy officer: {contact}
"""

PRIVACY_SUBJECTS = {
    "request": "A re-identification request waits for a decision",
    "break_glass": "Break-glass: an identity was opened in a safety emergency",
    "break_glass_blocked": (
        "Break-glass refused: a specialist's earlier opening waits for your review"
    ),
}
PRIVACY_BODY = """\
Hello,

{what} at {organisation}. It waits for someone with the privacy role other
than the person who asked:

{url}
{more}
This e-mail names nobody on purpose.
"""
PRIVACY_MORE = {
    "break_glass_blocked": (
        "\nThe specialist is in another emergency now. Review the earlier opening, or\n"
        "allow one more opening, from that page.\n"
    ),
}


def participant_address(participant: Participant) -> str:
    """The participant's sign-in address, found by the keyed link; "" when there is none.

    The application computes this to deliver a notice; no person sees it.
    """
    user = login_for_participant(participant)
    return readable_email(user) if user is not None and user.is_active else ""


def message_waiting(participant: Participant) -> None:
    """After commit, e-mail the participant that a message is waiting (nothing more)."""
    participant_id = participant.pk

    def send() -> None:
        fresh = Participant.objects.filter(pk=participant_id).first()
        address = participant_address(fresh) if fresh is not None else ""
        body = MESSAGE_WAITING_BODY.format(url=absolute(reverse("followup:mine")))
        email_send(MESSAGE_WAITING_SUBJECT, body, [address] if address else [])

    transaction.on_commit(send)


def participant_told(
    participant: Participant, *, who: str, when: str, purpose: str, contact: str
) -> None:
    """After commit, e-mail the participant who looked them up, when and why."""
    participant_id = participant.pk

    def send() -> None:
        fresh = Participant.objects.filter(pk=participant_id).first()
        address = participant_address(fresh) if fresh is not None else ""
        body = LOOKUP_BODY.format(
            who=who,
            when=when,
            purpose=purpose,
            url=absolute(reverse("lifecycle:mydata")) + "#lookups",
            contact=contact or "see the notice on your consent page",
        )
        email_send(LOOKUP_SUBJECT, body, [address] if address else [])

    transaction.on_commit(send)


def privacy_officers_alerted(
    organisation: Organisation, *, what: str, path: str, exclude: Any = None
) -> None:
    """After commit, e-mail every privacy officer of the organisation (never ``exclude``)."""

    def body(name: str) -> str:
        return PRIVACY_BODY.format(
            what=PRIVACY_SUBJECTS[what],
            organisation=name,
            url=absolute(path),
            more=PRIVACY_MORE.get(what, ""),
        )

    privacy_officers_mailed(
        organisation, subject=PRIVACY_SUBJECTS[what], body=body, exclude=exclude
    )
