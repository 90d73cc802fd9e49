"""The one catalogue of audit events: every value is documented in docs/audit-events.md."""

from __future__ import annotations

from django.db import models


class EventType(models.TextChoices):
    AUTH_LOGIN = "auth.login", "Signed in"
    AUTH_LOGIN_FAILED = "auth.login_failed", "Sign-in refused"
    AUTH_LOGOUT = "auth.logout", "Signed out"
    MFA_ENROLLED = "mfa.enrolled", "Second factor added"
    MFA_REMOVED = "mfa.removed", "Second factor removed"
    MFA_RECOVERY_CODES_VIEWED = "mfa.recovery_codes_viewed", "Recovery codes viewed"
    MFA_RECOVERY_CODES_REGENERATED = "mfa.recovery_codes_regenerated", "Recovery codes replaced"
    SESSION_TIMEOUT = "session.timeout", "Session timed out"
    ACCOUNT_INVITED = "account.invited", "Invitation sent"
    ACCOUNT_INVITATION_ACCEPTED = "account.invitation_accepted", "Invitation accepted"
    ACCOUNT_INVITATION_REVOKED = "account.invitation_revoked", "Invitation revoked"
    RECORD_READ = "record.read", "Record read"
    RECORD_CREATE = "record.create", "Record created"
    RECORD_UPDATE = "record.update", "Record updated"
    RECORD_DELETE = "record.delete", "Record deleted"
    RECORD_EXPORT = "record.export", "Record exported"
    AGGREGATE_VIEW = "aggregate.view", "Aggregate viewed"
    ACCESS_DENIED = "access.denied", "Access denied"
    ACCESS_PURPOSE_REFUSED = "access.purpose_refused", "Prohibited purpose refused"
    GRANT_CREATED = "grant.created", "Grant created"
    GRANT_REVOKED = "grant.revoked", "Grant revoked"
    KEY_ROTATED = "key.rotated", "Key-encryption key rotated"
    KEY_RETIRED = "key.retired", "Key-encryption key retired"
    KEY_SHREDDED = "key.shredded", "Data key shredded"
    CONSENT_GIVEN = "consent.given", "Consent given"
    CONSENT_CHANGED = "consent.changed", "Consent choices changed"
    CONSENT_WITHDRAWN = "consent.withdrawn", "Consent withdrawn"
    NOTICE_PUBLISHED = "notice.published", "Participation notice published"
    CHECKIN_SUBMITTED = "checkin.submitted", "Check-in submitted"
    SAFETY_ALERT_RAISED = "safety.alert_raised", "Safety alert raised"
    REMINDER_SENT = "reminder.sent", "Check-in reminders sent"
    REMINDER_UNSUBSCRIBED = "reminder.unsubscribed", "Reminders turned off"
    SUBJECT_ERASED = "subject.erased", "Participant's data erased"
    DATA_SEEDED = "data.seeded", "Synthetic data seeded"
    CONFIG_CHANGED = "config.changed", "Configuration changed"
    BREAKGLASS_OPENED = "breakglass.opened", "Break-glass access opened"
    AUDIT_EXPORTED = "audit.exported", "Audit trail exported"
    AUDIT_VERIFIED = "audit.verified", "Audit trail verified"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
