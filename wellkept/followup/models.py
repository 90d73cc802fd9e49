"""Follow-up cases, their messages and notes, and re-identification grants.

Everything here is filed under the participant's token and nothing under
their name. Message bodies, case notes, what a participant chooses to share,
and the reasons written for a re-identification are AES-256-GCM ciphertext
under the participant's own data key, so erasing the participant (shredding
that key) makes every copy unreadable.

Participant-side moments (asking, replying, sharing) are dated by the day:
an exact time could be matched against the login's sign-in and session
times and link the token to the person without a grant.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from wellkept import clock
from wellkept.access.purposes import PROHIBITED, Purpose
from wellkept.access.rules import BREAK_GLASS_ALLOWANCE_HOURS as _ALLOWANCE_HOURS
from wellkept.access.twoperson import TwoPersonRequest, two_person_constraints
from wellkept.assessments.models import Response, today
from wellkept.orgs.models import Organisation, Participant
from wellkept.vault.fields import EncryptedTextField


class Trigger(models.TextChoices):
    SAFETY_ALERT = "safety_alert", "Safety alert (agreed in advance)"
    REQUEST = "request", "The participant asked for follow-up"


class CaseStatus(models.TextChoices):
    NEW = "new", "New, nobody has taken it yet"
    OPEN = "open", "Taken, in progress"
    CLOSED = "closed", "Closed"


class CloseReason(models.TextChoices):
    RESOLVED = "resolved", "Resolved"
    DECLINED = "declined", "The participant declined further contact"
    NO_REPLY = "no_reply", "No reply"
    REFERRED = "referred", "Referred to another service"


class Case(models.Model):
    """One participant's follow-up, by token: why it opened, who has it, where it stands."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="followup_cases"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="followup_cases"
    )
    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    # The result that opened (or last re-signalled) the case, if any.
    response = models.ForeignKey(
        Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followup_cases",
    )
    opened_on = models.DateField(default=today)
    # How many risk signals or requests reached this case, and the latest day.
    signals = models.PositiveSmallIntegerField(default=1)
    last_signal_on = models.DateField(default=today)
    closed_on = models.DateField(null=True, blank=True)
    close_reason = models.CharField(max_length=16, choices=CloseReason.choices, blank=True)

    class Meta:
        ordering = ["status", "-last_signal_on"]
        constraints = [
            # One case at a time per person: a second alert joins the open case.
            models.UniqueConstraint(
                fields=["participant"],
                condition=~Q(status="closed"),
                name="followup_one_open_case",
            ),
            models.CheckConstraint(
                name="followup_case_trigger_valid", condition=Q(trigger__in=Trigger.values)
            ),
            models.CheckConstraint(
                name="followup_case_status_valid", condition=Q(status__in=CaseStatus.values)
            ),
            models.CheckConstraint(
                name="followup_case_closed_has_day_and_reason",
                condition=~Q(status="closed") | (Q(closed_on__isnull=False) & ~Q(close_reason="")),
            ),
        ]

    def __str__(self) -> str:
        return f"case {self.pk}"

    @property
    def dek_subject(self) -> str:
        return self.participant.dek_subject

    @property
    def is_closed(self) -> bool:
        return self.status == CaseStatus.CLOSED


class Sender(models.TextChoices):
    TEAM = "team", "Follow-up team"
    PARTICIPANT = "participant", "Participant"


class MessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    IDENTITY_SHARED = "identity_shared", "Shared name and contact details"
    CONVERSATION = "conversation", "Asked for a conversation"
    DECLINED = "declined", "Declined further contact"


class CaseMessage(models.Model):
    """One message in a case's conversation, encrypted under the participant's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    # Orders the conversation, since participant messages are dated by the day only.
    sequence = models.PositiveIntegerField()
    sender = models.CharField(max_length=16, choices=Sender.choices)
    kind = models.CharField(max_length=16, choices=MessageKind.choices, default=MessageKind.MESSAGE)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    body = EncryptedTextField()
    sent_on = models.DateField(default=today)
    # The day the other side first opened it: "a message is waiting" until then.
    read_on = models.DateField(null=True, blank=True)
    # The random key of the form the message came from: the same form sent
    # twice (a double tap, a retry after a timeout) stores one message.
    idempotency_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["case", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["case", "sequence"], name="followup_message_sequence"),
            models.UniqueConstraint(
                fields=["case", "sender", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="followup_message_once_per_form",
            ),
            models.CheckConstraint(
                name="followup_message_sender_valid", condition=Q(sender__in=Sender.values)
            ),
            models.CheckConstraint(
                name="followup_message_kind_valid", condition=Q(kind__in=MessageKind.values)
            ),
            # A participant's message never names a login.
            models.CheckConstraint(
                name="followup_message_participant_has_no_author",
                condition=Q(sender="team") | Q(author__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"message {self.sequence} of case {self.case_id}"

    @property
    def dek_subject(self) -> str:
        return self.case.participant.dek_subject


class CaseNote(models.Model):
    """A working note of the follow-up team on a case, encrypted under the participant's key."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = EncryptedTextField()
    written_at = models.DateTimeField(default=clock.now)
    # As for messages: the same form sent twice stores one note.
    idempotency_key = models.CharField(max_length=64, blank=True, default="", editable=False)

    class Meta:
        ordering = ["case", "written_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="followup_note_once_per_form",
            ),
        ]

    def __str__(self) -> str:
        return f"note on case {self.case_id}"

    @property
    def dek_subject(self) -> str:
        return self.case.participant.dek_subject


class GrantKind(models.TextChoices):
    TWO_PERSON = "two_person", "Re-identification (two people)"
    BREAK_GLASS = "break_glass", "Break-glass (safety emergency)"


class GrantStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the privacy officer"
    APPROVED = "approved", "Approved"
    REFUSED = "refused", "Refused"


DEFAULT_GRANT_HOURS = 24
MAX_GRANT_HOURS = 72
BREAK_GLASS_MINUTES = 60


class IdentityGrant(TwoPersonRequest):
    """A request to learn the name behind one token, its decision, its use and its review.

    A two-person grant is asked for by a follow-up team member and decided
    by someone else with the privacy role (the database refuses a row where
    the two are the same person). A break-glass grant is opened by a
    specialist alone in a safety emergency and waits for review.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="identity_grants"
    )
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="identity_grants"
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="identity_grants"
    )
    kind = models.CharField(max_length=16, choices=GrantKind.choices)
    # requested_by, requested_at, decided_by, decided_at and expires_at come
    # from TwoPersonRequest; the status keeps this workflow's labels.
    purpose = models.CharField(max_length=64)
    reason = EncryptedTextField()
    status = models.CharField(
        max_length=16, choices=GrantStatus.choices, default=GrantStatus.PENDING
    )
    decision_note = EncryptedTextField(blank=True, default="")
    first_used_at = models.DateTimeField(null=True, blank=True)
    uses = models.PositiveSmallIntegerField(default=0)
    # The participant is told unless the privacy officer records why not.
    notify_participant = models.BooleanField(default=True)
    exception_reason = EncryptedTextField(blank=True, default="")
    participant_told_on = models.DateField(null=True, blank=True)
    # An exception ends when the privacy role decides telling is safe now.
    exception_ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    exception_ended_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = EncryptedTextField(blank=True, default="")

    class Meta:
        ordering = ["-requested_at"]
        constraints = [
            models.CheckConstraint(
                name="identity_grant_kind_valid", condition=Q(kind__in=GrantKind.values)
            ),
            # Valid states, two people, an approval that ends.
            *two_person_constraints("identity_grant"),
            # Prohibited purposes cannot be stored, whatever reached the model.
            models.CheckConstraint(
                name="identity_grant_purpose_lawful",
                condition=~Q(purpose__in=sorted(p.value for p in PROHIBITED)),
            ),
            models.CheckConstraint(
                name="identity_grant_reviewer_not_requester",
                condition=Q(reviewed_by__isnull=True) | ~Q(reviewed_by=F("requested_by")),
            ),
            models.CheckConstraint(
                name="identity_grant_exception_ender_not_requester",
                condition=Q(exception_ended_by__isnull=True)
                | ~Q(exception_ended_by=F("requested_by")),
            ),
        ]

    def __str__(self) -> str:
        return f"identity grant {self.pk}"

    @property
    def dek_subject(self) -> str:
        return self.participant.dek_subject

    @property
    def purpose_label(self) -> str:
        try:
            return str(Purpose(self.purpose).label)
        except ValueError:
            return self.purpose

    def state(self) -> str:
        """A word for lists: pending, live, expired, refused."""
        if self.status == GrantStatus.APPROVED:
            return "live" if self.is_live() else "expired"
        return str(self.status)


# The rule is shared with the practice's break-glass: see access.rules.
BREAK_GLASS_ALLOWANCE_HOURS = _ALLOWANCE_HOURS


class BreakGlassAllowance(models.Model):
    """A privacy officer's leave for one more break-glass opening before the last is reviewed.

    A specialist has at most one unreviewed break-glass opening at a time;
    in a second emergency before the review, someone with the privacy role
    may allow exactly one more (``used_by`` records which opening used it),
    for a few hours, with a written reason. Never for themselves.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="breakglass_allowances"
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    granted_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    # Encrypted under the specialist's own key: it is about their emergency
    # work, and a privacy officer may name a case or a person in it.
    reason = EncryptedTextField()
    used_by = models.OneToOneField(
        IdentityGrant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="allowance",
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.CheckConstraint(
                name="breakglass_allowance_not_for_oneself",
                condition=Q(granted_by__isnull=True) | ~Q(granted_by=F("specialist")),
            ),
        ]

    def __str__(self) -> str:
        return f"break-glass allowance {self.pk}"

    @property
    def dek_subject(self) -> str:
        # The specialist's own data key (accounts.User.dek_subject), without a query.
        return f"user:{self.specialist_id}"


# How long a case may wait for someone to take it before the queue marks it
# and the wellbeing officers are told: in whole days, since a case is dated
# by the day only (see the module docstring). (minimum, maximum, default)
ALERT_WAIT_DAYS = (1, 14, 1)
REQUEST_WAIT_DAYS = (1, 30, 3)


class FollowUpSettings(models.Model):
    """An organisation's follow-up deadlines; no row means the defaults."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, primary_key=True, related_name="followup_settings"
    )
    alert_wait_days = models.PositiveSmallIntegerField(default=ALERT_WAIT_DAYS[2])
    request_wait_days = models.PositiveSmallIntegerField(default=REQUEST_WAIT_DAYS[2])
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The last day the wellbeing officers were told of waiting cases: once a
    # day at most, however many hosts run the job.
    overdue_told_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="followup_settings_alert_days_bounded",
                condition=Q(alert_wait_days__gte=ALERT_WAIT_DAYS[0])
                & Q(alert_wait_days__lte=ALERT_WAIT_DAYS[1]),
            ),
            models.CheckConstraint(
                name="followup_settings_request_days_bounded",
                condition=Q(request_wait_days__gte=REQUEST_WAIT_DAYS[0])
                & Q(request_wait_days__lte=REQUEST_WAIT_DAYS[1]),
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up settings of {self.organisation_id}"
