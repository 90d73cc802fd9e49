"""Check-in reminder e-mails: who is due, sending them once per period, and the unsubscribe link.

A participant row holds no address and no login, only the keyed link (see
``wellkept.orgs.pseudonyms``). To write to someone, the job goes the other
way: for each login that belongs to an organisation (as a clinician or a
staff member) it computes the link and looks for a participant. That pairing
exists only in this process's memory while it runs: it is never stored,
logged or put in the audit trail, which gets counts only.

An e-mail says that a check-in is due, and nothing else: no score, no answer,
no token, no programme detail. Whoever reads the recipient's inbox learns no
more than that.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import smtplib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from wellkept.access.actions import Action
from wellkept.access.policy import can
from wellkept.access.purposes import Purpose
from wellkept.access.resources import Resource, ResourceKind
from wellkept.accounts.models import User, readable_email
from wellkept.actors import Actor, SystemActor
from wellkept.assessments import periods
from wellkept.assessments.models import (
    CheckIn,
    CheckInStatus,
    Programme,
    ProgrammeStatus,
    ReminderOptOut,
    ReminderSent,
    Schedule,
)
from wellkept.assessments.services import reminders_set
from wellkept.audit.events import EventType
from wellkept.audit.services import audit_record
from wellkept.consent.models import ConsentRecord
from wellkept.consent.selectors import ConsentState, current_notice
from wellkept.orgs.models import Organisation, Participant
from wellkept.orgs.pseudonyms import login_link_for
from wellkept.vault.crypto import DecryptionError
from wellkept.vault.services import Binding, decrypt_text, encrypt_text

# The actor an unsubscribe link acts as: the link, not a signed-in person.
LINK_ACTOR = SystemActor("reminder-link")

SUBJECT = "A check-in is due"
BODY = """\
Hello,

A wellbeing check-in is due. It takes about a minute:

{programme_url}

To stop these reminders, open this link:

{unsubscribe_url}

You can also turn reminders on or off from My data after signing in.
"""


# --- The unsubscribe link ------------------------------------------------------------


class InvalidUnsubscribeLink(Exception):
    """The link's signature does not match: altered, truncated or made up."""


class MailServerUnavailable(Exception):
    """The mail server could not be reached at all; nothing was recorded as sent."""


# The link's value is AES-GCM ciphertext under a service key of the vault:
# authenticated like a signature, and unreadable in mail servers, proxy logs
# and browser history, where a readable login id beside "reminders" would
# say that this login takes part.
LINK_BINDING = Binding(
    label="reminders.unsubscribe", row="link", field="value", subject="service:reminder-links"
)


def unsubscribe_value(*, user_pk: Any, organisation_pk: Any) -> str:
    """Return the sealed value an unsubscribe link carries: a login and an organisation.

    Not the token: the link travels through mail servers and browser
    history, and must not tie an address to a pseudonym. No expiry either:
    an unsubscribe link must keep working for as long as reminders come.
    """
    plain = json.dumps([str(user_pk), str(organisation_pk)])
    sealed = encrypt_text(plain, binding=LINK_BINDING)
    return base64.urlsafe_b64encode(sealed.encode("ascii")).decode("ascii").rstrip("=")


def unsubscribe_url(*, user_pk: Any, organisation_pk: Any) -> str:
    value = unsubscribe_value(user_pk=user_pk, organisation_pk=organisation_pk)
    path = reverse("reminders:unsubscribe", kwargs={"signed": value})
    return settings.WELLKEPT_BASE_URL.rstrip("/") + path


def unsubscribe_link_read(signed: str) -> tuple[uuid.UUID, uuid.UUID]:
    """Return the login and organisation a link names, or raise InvalidUnsubscribeLink."""
    try:
        sealed = base64.urlsafe_b64decode(signed + "=" * (-len(signed) % 4)).decode("ascii")
        plain = decrypt_text(sealed, binding=LINK_BINDING)
        if not isinstance(plain, str):
            raise InvalidUnsubscribeLink
        user_pk, organisation_pk = json.loads(plain)
        return uuid.UUID(str(user_pk)), uuid.UUID(str(organisation_pk))
    except (DecryptionError, ValueError, TypeError, UnicodeError):
        raise InvalidUnsubscribeLink from None


def reminders_unsubscribe(*, signed: str) -> bool:
    """Turn reminders off for the participant a valid link names; return whether anything changed.

    A link whose login no longer takes part changes nothing and is not an
    error: no reminder goes to them either way.
    """
    user_pk, organisation_pk = unsubscribe_link_read(signed)
    link = login_link_for(user_pk=user_pk, organisation_pk=organisation_pk)
    participant = Participant.objects.filter(
        organisation_id=organisation_pk, login_link=link
    ).first()
    if participant is None:
        return False
    # No request is passed on purpose: an audit entry holding the clicker's
    # IP address next to the participant's token could be matched with the
    # same address on a sign-in entry, linking login and token (invariant 2).
    return reminders_set(actor=LINK_ACTOR, participant=participant, wanted=False)


# --- Who is due --------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class DueReminder:
    """One e-mail to send: whom to write to and which check-ins it covers."""

    participant: Participant
    user_pk: Any
    organisation_pk: Any
    email: str
    checkins: tuple[tuple[Schedule, dt.date], ...]

    def __repr__(self) -> str:
        # Never the address or the token, should this object reach a log.
        return f"DueReminder({len(self.checkins)} check-ins)"


@dataclass
class ReminderPlan:
    """Everyone in an open programme on ``day``, sorted into what happens to them."""

    day: dt.date
    due: list[DueReminder] = field(default_factory=list)
    already_sent: int = 0
    not_due: int = 0
    unreachable: int = 0


def _logins_by_link(organisation: Organisation) -> dict[str, User]:
    """Map each active login of the organisation to its keyed participant link."""
    users = User.objects.filter(
        Q(clinician_of__organisation=organisation) | Q(memberships__organisation=organisation),
        is_active=True,
    ).distinct()
    return {login_link_for(user_pk=u.pk, organisation_pk=organisation.pk): u for u in users}


def _consenting(organisation: Organisation, participant_ids: Iterable[Any]) -> set[Any]:
    """Return the participants whose latest decision is to take part under the current notice."""
    notice = current_notice(organisation)
    latest: dict[Any, ConsentRecord] = {}
    records = ConsentRecord.objects.filter(participant_id__in=list(participant_ids)).order_by(
        "participant_id", "-sequence"
    )
    for record in records:
        latest.setdefault(record.participant_id, record)
    # The consent app's own rule, so reminders and collection never disagree.
    return {
        pk
        for pk, record in latest.items()
        if ConsentState(record=record, notice=notice).may_collect
    }


def _plan_programme(plan: ReminderPlan, programme: Programme) -> None:
    organisation = programme.organisation
    schedules = list(programme.schedules.all())
    participants = list(Participant.objects.filter(organisation=organisation))
    if not participants:
        return
    if not schedules:
        plan.not_due += len(participants)
        return
    starts = {s.pk: periods.period_start(s.frequency, plan.day) for s in schedules}
    ids = [p.pk for p in participants]
    opted_out = set(
        ReminderOptOut.objects.filter(participant_id__in=ids).values_list(
            "participant_id", flat=True
        )
    )
    consenting = _consenting(organisation, ids)
    in_period = Q()
    for schedule in schedules:
        in_period |= Q(schedule=schedule, period_start=starts[schedule.pk])
    submitted = set(
        CheckIn.objects.filter(
            in_period, participant_id__in=ids, status=CheckInStatus.SUBMITTED
        ).values_list("participant_id", "schedule_id")
    )
    reminded = set(
        ReminderSent.objects.filter(in_period, participant_id__in=ids).values_list(
            "participant_id", "schedule_id"
        )
    )
    logins = _logins_by_link(organisation)
    for participant in participants:
        if participant.pk in opted_out or participant.pk not in consenting:
            plan.not_due += 1
            continue
        waiting = [s for s in schedules if (participant.pk, s.pk) not in submitted]
        if not waiting:
            plan.not_due += 1
            continue
        new = [s for s in waiting if (participant.pk, s.pk) not in reminded]
        if not new:
            plan.already_sent += 1
            continue
        user = logins.get(participant.login_link)
        email = readable_email(user) if user is not None else ""
        if not email:
            # The login was removed or deactivated, or its address erased.
            plan.unreachable += 1
            continue
        plan.due.append(
            DueReminder(
                participant=participant,
                user_pk=user.pk if user is not None else None,
                organisation_pk=organisation.pk,
                email=email,
                checkins=tuple((s, starts[s.pk]) for s in new),
            )
        )


def reminders_due(*, day: dt.date) -> ReminderPlan:
    """Sort every participant of every open programme into due, already reminded, or not due.

    Due: taking part under the current notice, not opted out, and this
    period's check-in not submitted, for at least one check-in nobody
    reminded them of yet this period.
    """
    plan = ReminderPlan(day=day)
    programmes = Programme.objects.filter(status=ProgrammeStatus.OPEN).select_related(
        "organisation"
    )
    for programme in programmes.order_by("organisation_id"):
        _plan_programme(plan, programme)
    return plan


# --- Sending -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderSummary:
    day: dt.date
    dry_run: bool
    sent: int
    already_sent: int
    not_due: int
    unreachable: int = 0
    failed: int = 0

    def __str__(self) -> str:
        noun = "reminder" if self.sent == 1 else "reminders"
        counts = f"{self.already_sent} already sent this period; {self.not_due} not due."
        if self.dry_run:
            line = f"Dry run: would send {self.sent} {noun}; {counts}"
        else:
            line = f"Sent {self.sent} {noun}; {counts}"
        if self.unreachable:
            line += f" {self.unreachable} due but with no active login to write to."
        if self.failed:
            line += (
                f" {self.failed} could not be sent (mail server error) and will be retried "
                "on the next run."
            )
        if self.dry_run:
            line += " Nothing was sent."
        return line

    @property
    def audit_reason(self) -> str:
        return (
            f"sent {self.sent}; already sent {self.already_sent}; not due {self.not_due}; "
            f"unreachable {self.unreachable}; failed {self.failed}"
        )


def _message(reminder: DueReminder, connection: Any) -> EmailMessage:
    base = settings.WELLKEPT_BASE_URL.rstrip("/")
    unsubscribe = unsubscribe_url(
        user_pk=reminder.user_pk, organisation_pk=reminder.organisation_pk
    )
    body = BODY.format(
        programme_url=base + reverse("assessments:programme"), unsubscribe_url=unsubscribe
    )
    # EmailMessage rather than send_mail, which takes no headers; it goes
    # through the same configured backend.
    return EmailMessage(
        subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + SUBJECT,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[reminder.email],
        connection=connection,
        headers={
            # RFC 2369 and RFC 8058: mail clients offer an "unsubscribe"
            # button that POSTs to this URL, without opening a page.
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def _claim(reminder: DueReminder) -> bool:
    """Record the reminder as sent; False when another run recorded it first."""
    try:
        with transaction.atomic():
            for schedule, start in reminder.checkins:
                ReminderSent.objects.create(
                    participant=reminder.participant, schedule=schedule, period_start=start
                )
    except IntegrityError:
        return False
    return True


def _unclaim(reminder: DueReminder) -> None:
    for schedule, start in reminder.checkins:
        ReminderSent.objects.filter(
            participant=reminder.participant, schedule=schedule, period_start=start
        ).delete()


def reminders_send(*, actor: Actor, day: dt.date, dry_run: bool = False) -> ReminderSummary:
    """E-mail every due participant once per period; one audit entry with the counts.

    Each reminder is recorded before its e-mail goes out, so a second run
    (or a second server running the same timer) sends nothing twice; if the
    mail server refuses it, the record is removed again so the next run
    retries. The audit entry is written at the end, with the counts only.
    """
    target = f"reminders:{day.isoformat()}"
    scope = Resource(kind=ResourceKind.PARTICIPANT_RECORD, reference=target)
    if not can(actor, Action.READ, scope, Purpose.SERVICE_ADMINISTRATION):
        raise PermissionDenied("Only the reminders job can send reminders.")
    plan = reminders_due(day=day)
    if dry_run:
        return ReminderSummary(
            day=day,
            dry_run=True,
            sent=len(plan.due),
            already_sent=plan.already_sent,
            not_due=plan.not_due,
            unreachable=plan.unreachable,
        )
    sent = failed = 0
    already_sent = plan.already_sent
    connection = get_connection()
    if plan.due:
        try:
            # One connection for the whole run rather than one per e-mail.
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            raise MailServerUnavailable(
                f"Cannot reach the mail server ({exc.__class__.__name__}); nothing was sent. "
                "Check the WELLKEPT_EMAIL_* settings and run again."
            ) from None
    try:
        for reminder in plan.due:
            if not _claim(reminder):
                already_sent += 1
                continue
            try:
                _message(reminder, connection).send()
            except (smtplib.SMTPException, OSError):
                # Not logged with the address: the count goes to the summary.
                _unclaim(reminder)
                failed += 1
                continue
            sent += 1
    finally:
        connection.close()
    summary = ReminderSummary(
        day=day,
        dry_run=False,
        sent=sent,
        already_sent=already_sent,
        not_due=plan.not_due,
        unreachable=plan.unreachable,
        failed=failed,
    )
    audit_record(
        actor=actor,
        event=EventType.REMINDER_SENT,
        target=target,
        purpose=Purpose.SERVICE_ADMINISTRATION.value,
        reason=summary.audit_reason,
    )
    return summary
