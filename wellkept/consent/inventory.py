"""The data inventory: every piece of data the programme keeps about a clinician, declared in code.

The participation notice and the privacy officer's record of processing are
both generated from this one list, so they cannot drift apart, and a test
fails when a model gains a field that the inventory does not account for.
Changing an entry changes ``digest()``, which marks the published notice as
out of date until a new version is published.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from django.db import models


class Visibility(models.TextChoices):
    OWN = "own", "You"
    FOLLOW_UP = "follow_up", "The follow-up team, by code number only, if you agreed"
    SAFETY = "safety", "The follow-up team, by code number only, if you agreed to safety alerts"
    AGGREGATE = "aggregate", "Leaders and the wellbeing officer, only as group totals of 5 or more"
    PRIVACY = "privacy", "The privacy officer, by code number only"
    ADMIN = "admin", "The system administrator (that the account exists, nothing more)"


class Identifiability(models.TextChoices):
    DIRECT = "direct", "Identifies you directly"
    INDIRECT = "indirect", "Could help identify you when combined with other facts"
    PSEUDONYMOUS = "pseudonymous", "Filed under a random code number, not your name"


class LawfulBasis(models.TextChoices):
    CONSENT = "consent", "Your explicit consent (GDPR art. 6(1)(a) and 9(2)(a))"
    CONTRACT = "contract", "Needed to provide the account you asked for (GDPR art. 6(1)(b))"
    LEGAL_OBLIGATION = "legal_obligation", "A legal obligation to keep records (GDPR art. 6(1)(c))"


@dataclass(frozen=True)
class DataItem:
    """One thing kept about a clinician: what, why, on what basis, who sees it, how long."""

    key: str
    name: str
    description: str
    category: str
    purpose: str
    lawful_basis: LawfulBasis
    visibility: tuple[Visibility, ...]
    retention: str
    identifiability: Identifiability
    encrypted: bool
    # "app_label.Model.field" for every stored field this item accounts for.
    fields: tuple[str, ...]


CHECK_IN_RETENTION = "12 months after the check-in, or until you erase your data, if sooner"

INVENTORY: tuple[DataItem, ...] = (
    DataItem(
        key="account",
        name="Your sign-in details",
        description=(
            "Your e-mail address and name if given (both encrypted), a one-way hash of "
            "your password, when you joined and last signed in, your second sign-in factor "
            "if you add one, and your active sessions."
        ),
        category="Contact and sign-in details",
        purpose="Letting you sign in, and sending you reminders if you want them.",
        lawful_basis=LawfulBasis.CONTRACT,
        visibility=(Visibility.OWN, Visibility.ADMIN),
        retention="Until your account is closed.",
        identifiability=Identifiability.DIRECT,
        encrypted=True,
        fields=(
            "accounts.User.email",
            "accounts.User.email_index",
            "accounts.User.display_name",
            "accounts.User.password",
            "accounts.User.password_meets_single_factor",
            "accounts.User.last_login",
            "accounts.User.date_joined",
            "accounts.User.is_active",
            "orgs.Clinician.user",
            "orgs.Clinician.organisation",
            "orgs.Clinician.created_at",
        ),
    ),
    DataItem(
        key="token",
        name="Your code number",
        description=(
            "A random code that your answers are filed under instead of your name. Only "
            "the application, with a key kept outside the database, can find it from your "
            "sign-in."
        ),
        category="Pseudonym",
        purpose="Keeping your answers apart from your name.",
        lawful_basis=LawfulBasis.CONSENT,
        visibility=(Visibility.OWN, Visibility.FOLLOW_UP, Visibility.PRIVACY),
        retention="Until you erase your data.",
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=False,
        fields=(
            "orgs.Participant.token",
            "orgs.Participant.login_link",
            "orgs.Participant.organisation",
            "orgs.Participant.enrolled_on",
        ),
    ),
    DataItem(
        key="workplace",
        name="Where and how you work",
        description=(
            "Your unit, shift pattern and role category, as you tell us, and as they were "
            "on the day of each check-in."
        ),
        category="Work details",
        purpose="Showing trends by department, shift and role, in groups large enough that "
        "nobody can be singled out.",
        lawful_basis=LawfulBasis.CONSENT,
        visibility=(Visibility.OWN, Visibility.FOLLOW_UP, Visibility.AGGREGATE),
        retention=CHECK_IN_RETENTION,
        identifiability=Identifiability.INDIRECT,
        encrypted=False,
        fields=(
            "orgs.Participant.unit",
            "orgs.Participant.shift_type",
            "orgs.Participant.role_category",
            "assessments.Response.unit",
            "assessments.Response.shift_type",
            "assessments.Response.role_category",
        ),
    ),
    DataItem(
        key="answers",
        name="Your answers, scores and results",
        description=(
            "What you answer in each questionnaire, the total score and what band it falls "
            "in, and the day you checked in."
        ),
        category="Health data (special category)",
        purpose="Showing you your result and your trend; group totals for leaders; "
        "follow-up or a safety alert only if you agreed.",
        lawful_basis=LawfulBasis.CONSENT,
        visibility=(
            Visibility.OWN,
            Visibility.FOLLOW_UP,
            Visibility.SAFETY,
            Visibility.AGGREGATE,
        ),
        retention=CHECK_IN_RETENTION,
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=True,
        fields=(
            "assessments.Response.payload",
            "assessments.Response.instrument",
            "assessments.Response.instrument_version",
            "assessments.Response.submitted_on",
            "assessments.Response.checkin",
            "assessments.Response.participant",
            "assessments.CheckIn.participant",
            "assessments.CheckIn.schedule",
            "assessments.CheckIn.period_start",
            "assessments.CheckIn.status",
            "assessments.CheckIn.idempotency_key",
            "assessments.CheckIn.started_on",
            "assessments.CheckIn.submitted_on",
        ),
    ),
    DataItem(
        key="drafts",
        name="Unfinished check-ins",
        description="Answers to a check-in you started but did not submit, so you can resume.",
        category="Health data (special category)",
        purpose="Letting you finish a check-in later.",
        lawful_basis=LawfulBasis.CONSENT,
        visibility=(Visibility.OWN,),
        retention="7 days, or until you submit or erase.",
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=True,
        fields=("assessments.CheckIn.draft",),
    ),
    DataItem(
        key="safety_alerts",
        name="Safety alerts",
        description=(
            "A note that one of your answers suggested you might be at risk, sent to the "
            "follow-up team only if you agreed to safety alerts beforehand."
        ),
        category="Health data (special category)",
        purpose="Making sure someone reaches out when you might be at risk.",
        lawful_basis=LawfulBasis.CONSENT,
        visibility=(Visibility.OWN, Visibility.SAFETY),
        retention="7 years, like other case records, or until you erase your data.",
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=False,
        fields=(
            "assessments.SafetyAlert.participant",
            "assessments.SafetyAlert.response",
            "assessments.SafetyAlert.raised_on",
        ),
    ),
    DataItem(
        key="follow_up",
        name="Follow-up conversations",
        description=(
            "If you ask for follow-up, or a safety alert you agreed to is raised: the case "
            "(why it opened, which result, who in the follow-up team has it, whether it is "
            "closed), the messages between you and the team, anything you choose to share "
            "(such as your name or when to talk), and the team's notes. Messages, notes and "
            "what you share are encrypted with your key."
        ),
        category="Health data (special category)",
        purpose="Reaching out to you when you asked for it or agreed to safety alerts.",
        lawful_basis=LawfulBasis.CONSENT,
        visibility=(Visibility.OWN, Visibility.FOLLOW_UP, Visibility.SAFETY),
        retention="7 years, like other case records, or until you erase your data.",
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=True,
        fields=(
            "followup.Case.organisation",
            "followup.Case.participant",
            "followup.Case.trigger",
            "followup.Case.response",
            "followup.Case.status",
            "followup.Case.assignee",
            "followup.Case.opened_on",
            "followup.Case.signals",
            "followup.Case.last_signal_on",
            "followup.Case.closed_on",
            "followup.Case.close_reason",
            "followup.CaseMessage.case",
            "followup.CaseMessage.sequence",
            "followup.CaseMessage.sender",
            "followup.CaseMessage.kind",
            "followup.CaseMessage.author",
            "followup.CaseMessage.body",
            "followup.CaseMessage.sent_on",
            "followup.CaseMessage.read_on",
            "followup.CaseMessage.idempotency_key",
            "followup.CaseNote.case",
            "followup.CaseNote.author",
            "followup.CaseNote.body",
            "followup.CaseNote.written_at",
            "followup.CaseNote.idempotency_key",
        ),
    ),
    DataItem(
        key="reidentification",
        name="Look-ups of your name",
        description=(
            "Each time someone in the follow-up team asked for the name behind your code "
            "number: who asked, for what purpose and why (encrypted with your key), who "
            "decided, for how long it was allowed, when it was used, whether you were told, "
            "whether and when the privacy officer ended a decision not to tell you, and "
            "the privacy officer's review."
        ),
        category="Audit and oversight records",
        purpose="Making sure your name is only ever looked up with two people's agreement "
        "(or in an emergency, reviewed afterwards), and telling you when it is.",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        visibility=(Visibility.OWN, Visibility.FOLLOW_UP, Visibility.PRIVACY),
        retention="As long as the follow-up case is kept, or until you erase your data.",
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=True,
        fields=(
            "followup.IdentityGrant.organisation",
            "followup.IdentityGrant.participant",
            "followup.IdentityGrant.case",
            "followup.IdentityGrant.kind",
            "followup.IdentityGrant.requested_by",
            "followup.IdentityGrant.purpose",
            "followup.IdentityGrant.reason",
            "followup.IdentityGrant.requested_at",
            "followup.IdentityGrant.status",
            "followup.IdentityGrant.decided_by",
            "followup.IdentityGrant.decided_at",
            "followup.IdentityGrant.decision_note",
            "followup.IdentityGrant.expires_at",
            "followup.IdentityGrant.first_used_at",
            "followup.IdentityGrant.uses",
            "followup.IdentityGrant.notify_participant",
            "followup.IdentityGrant.exception_reason",
            "followup.IdentityGrant.participant_told_on",
            "followup.IdentityGrant.exception_ended_by",
            "followup.IdentityGrant.exception_ended_at",
            "followup.IdentityGrant.reviewed_by",
            "followup.IdentityGrant.reviewed_at",
            "followup.IdentityGrant.review_note",
        ),
    ),
    DataItem(
        key="consents",
        name="Your consent choices",
        description=(
            "Each time you agree, change a choice or withdraw: which notice version, which "
            "choices, and when."
        ),
        category="Consent records",
        purpose="Proving what you agreed to, and respecting it.",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        visibility=(Visibility.OWN, Visibility.PRIVACY),
        retention="As long as you take part, or until you erase your data.",
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=False,
        fields=(
            "consent.ConsentRecord.participant",
            "consent.ConsentRecord.notice",
            "consent.ConsentRecord.event",
            "consent.ConsentRecord.take_part",
            "consent.ConsentRecord.follow_up_contact",
            "consent.ConsentRecord.safety_alert",
            "consent.ConsentRecord.sequence",
            "consent.ConsentRecord.recorded_at",
            "consent.ConsentRecord.method",
        ),
    ),
    DataItem(
        key="reminders",
        name="Reminder settings",
        description="Whether you turned reminder e-mails off, and which reminders were sent.",
        category="Preferences",
        purpose="Reminding you when a check-in is due, and stopping when you ask.",
        lawful_basis=LawfulBasis.CONSENT,
        visibility=(Visibility.OWN,),
        retention="As long as you take part.",
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=False,
        fields=(
            "assessments.ReminderOptOut.participant",
            "assessments.ReminderOptOut.created_on",
            "assessments.ReminderSent.participant",
            "assessments.ReminderSent.schedule",
            "assessments.ReminderSent.period_start",
        ),
    ),
    DataItem(
        key="access_log",
        name="Who looked at your data",
        description=(
            "A tamper-evident log of every access to your data, by whom, in what role, for "
            "what purpose and when. It holds references, never your answers."
        ),
        category="Audit trail",
        purpose="Security, and letting you see every access to your data.",
        lawful_basis=LawfulBasis.LEGAL_OBLIGATION,
        visibility=(Visibility.OWN, Visibility.PRIVACY),
        retention="6 years (the legal minimum for the audit trail).",
        identifiability=Identifiability.PSEUDONYMOUS,
        encrypted=False,
        fields=(),
    ),
)


def digest() -> str:
    """Return a SHA-256 over the inventory, which changes whenever an entry does."""
    encoded = json.dumps([asdict(item) for item in INVENTORY], sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()


def item_as_dict(item: DataItem) -> dict[str, object]:
    """Return one entry with its choices spelled out, for notices and exports."""
    return {
        "key": item.key,
        "name": item.name,
        "description": item.description,
        "category": item.category,
        "purpose": item.purpose,
        "lawful_basis": str(item.lawful_basis.label),
        "visibility": [str(v.label) for v in item.visibility],
        "retention": item.retention,
        "identifiability": str(item.identifiability.label),
        "encrypted": item.encrypted,
    }
