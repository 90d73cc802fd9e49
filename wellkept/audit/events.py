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
    RETENTION_PURGED = "retention.purged", "Expired data deleted by retention"
    RETENTION_RUN = "retention.run", "Retention run finished"
    LEGAL_HOLD_SET = "legal_hold.set", "Legal hold set"
    LEGAL_HOLD_LIFTED = "legal_hold.lifted", "Legal hold lifted"
    SUBJECT_REQUEST_RECORDED = "subject_request.recorded", "Data-subject request recorded"
    SUBJECT_REQUEST_APPROVED = "subject_request.approved", "Data-subject request approved"
    SUBJECT_REQUEST_REFUSED = "subject_request.refused", "Data-subject request refused"
    DATA_SEEDED = "data.seeded", "Synthetic data seeded"
    CONFIG_CHANGED = "config.changed", "Configuration changed"
    BREAKGLASS_OPENED = "breakglass.opened", "Break-glass access opened"
    BREAKGLASS_ALLOWED = (
        "breakglass.allowance_granted",
        "Another break-glass opening allowed before review",
    )
    FOLLOWUP_CASE_OPENED = "followup.case_opened", "Follow-up case opened"
    FOLLOWUP_CASE_ASSIGNED = "followup.case_assigned", "Follow-up case assigned"
    FOLLOWUP_CASE_CLOSED = "followup.case_closed", "Follow-up case closed"
    FOLLOWUP_NOTE_ADDED = "followup.note_added", "Case note written"
    FOLLOWUP_MESSAGE_SENT = "followup.message_sent", "Follow-up message sent"
    FOLLOWUP_IDENTITY_SHARED = "followup.identity_shared", "Participant shared who they are"
    FOLLOWUP_CONVERSATION_ASKED = "followup.conversation_asked", "Conversation asked for"
    FOLLOWUP_DECLINED = "followup.declined", "Follow-up declined"
    FOLLOWUP_OVERDUE_TOLD = (
        "followup.overdue_told",
        "Wellbeing officers told of cases nobody has taken",
    )
    REIDENTIFICATION_REQUESTED = "reidentification.requested", "Re-identification requested"
    REIDENTIFICATION_APPROVED = "reidentification.approved", "Re-identification approved"
    REIDENTIFICATION_REFUSED = "reidentification.refused", "Re-identification refused"
    REIDENTIFICATION_USED = "reidentification.used", "Identity behind a token read"
    REIDENTIFICATION_EXCEPTION = (
        "reidentification.notice_exception",
        "Participant not told (exception recorded)",
    )
    REIDENTIFICATION_TOLD = "reidentification.participant_told", "Participant told of a look-up"
    REIDENTIFICATION_EXCEPTION_ENDED = (
        "reidentification.notice_exception_ended",
        "Exception ended: the participant is told",
    )
    GRANT_REVIEWED = "grant.reviewed", "Grant or break-glass reviewed"
    AUDIT_EXPORTED = "audit.exported", "Audit trail exported"
    AUDIT_VERIFIED = "audit.verified", "Audit trail verified"
    AUDIT_INITIALISED = "audit.initialised", "Audit trail started"
    BACKUP_CREATED = "backup.created", "Encrypted backup created"
    BACKUP_RESTORED = "backup.restored", "Backup restored"
    BACKUP_RESTORE_OVERRIDE = (
        "backup.restore_tombstone_override",
        "Backup restored without a verified tombstone journal (override)",
    )
    BACKUP_DRILLED = "backup.drilled", "Restore drill run"
    PRACTICE_CLIENT_CREATED = "practice.client_created", "Client taken in"
    PRACTICE_CLIENT_UPDATED = "practice.client_updated", "Client's details changed"
    PRACTICE_CLIENT_ASSIGNED = "practice.client_assigned", "Client given a therapist"
    PRACTICE_CLIENT_UNASSIGNED = "practice.client_unassigned", "Therapist's assignment ended"
    PRACTICE_CLIENT_ERASED = "practice.client_erased", "Client's record erased"
    PRACTICE_SUPERVISION_STARTED = "practice.supervision_started", "Clinical supervision started"
    # Issue 18, part 3: progress notes and psychotherapy notes.
    PRACTICE_NOTE_CREATED = "practice.note_created", "Progress note started"
    PRACTICE_NOTE_UPDATED = "practice.note_updated", "Draft progress note changed"
    PRACTICE_NOTE_SIGNED = "practice.note_signed", "Progress note signed"
    PRACTICE_NOTE_COSIGNED = "practice.note_cosigned", "Progress note co-signed by the supervisor"
    PRACTICE_ADDENDUM_ADDED = "practice.addendum_added", "Addendum added to a signed note"
    PRACTICE_PNOTE_WRITTEN = "practice.pnote_written", "Psychotherapy note written or changed"
    PRACTICE_PNOTE_DELETED = "practice.pnote_deleted", "Psychotherapy note deleted by its author"
    PRACTICE_SERVICE_CODES_LOADED = "practice.service_codes_loaded", "Service codes loaded"
    PRACTICE_APPOINTMENT_BOOKED = "practice.appointment_booked", "Appointment booked"
    PRACTICE_APPOINTMENT_CHANGED = "practice.appointment_changed", "Appointment moved"
    PRACTICE_APPOINTMENT_STATUS_CHANGED = (
        "practice.appointment_status_changed",
        "Appointment marked attended, late-cancelled or missed",
    )
    PRACTICE_APPOINTMENT_CANCELLED = "practice.appointment_cancelled", "Appointment cancelled"
    PRACTICE_APPOINTMENT_REMINDED = "practice.appointment_reminded", "Appointment reminder sent"
    PRACTICE_CALENDAR_FEED_CREATED = "practice.calendar_feed_created", "Calendar feed created"
    PRACTICE_CALENDAR_FEED_REVOKED = "practice.calendar_feed_revoked", "Calendar feed revoked"
    # Treatment plans (issue 18, part 4).
    PRACTICE_PLAN_CREATED = "practice.plan_created", "Treatment plan version started"
    PRACTICE_PLAN_UPDATED = "practice.plan_updated", "Draft treatment plan changed"
    PRACTICE_PLAN_SIGNED = "practice.plan_signed", "Treatment plan signed by the therapist"
    PRACTICE_PLAN_CLIENT_SIGNED = (
        "practice.plan_client_signed",
        "Treatment plan signed by the client in session",
    )
    PRACTICE_PLAN_CLOSED = "practice.plan_closed", "Treatment plan closed"
    PRACTICE_PLAN_REVIEW_REMINDED = (
        "practice.plan_review_reminded",
        "Therapist reminded of a plan review",
    )
    # Measurement-based care (issue 18, part 4).
    PRACTICE_MEASURE_ASSIGNED = "practice.measure_assigned", "Measure assigned to a client"
    PRACTICE_MEASURE_RECORDED = (
        "practice.measure_recorded",
        "Client's answers to a measure recorded",
    )
    PRACTICE_MEASURE_ALERT_RAISED = (
        "practice.measure_alert_raised",
        "Therapist alerted: a measure needs attention",
    )
    PRACTICE_MEASURE_ASSIGNMENT_ENDED = (
        "practice.measure_assignment_ended",
        "Measure assignment ended",
    )
    PRACTICE_MEASURE_ALERT_ACKNOWLEDGED = (
        "practice.measure_alert_acknowledged",
        "Therapist acknowledged a measure alert",
    )
    # Issue 18, part 6: discharge, retention and break-glass.
    PRACTICE_CLIENT_DISCHARGED = "practice.client_discharged", "Client discharged"
    PRACTICE_CLIENT_READMITTED = "practice.client_readmitted", "Client re-admitted"
    # Billing (issue 18, part 5).
    PRACTICE_FEE_SET = "practice.fee_set", "Fee for a service code set"
    PRACTICE_CHARGE_CREATED = "practice.charge_created", "Session charged"
    PRACTICE_ADJUSTMENT_ADDED = "practice.adjustment_added", "Account adjusted"
    PRACTICE_INVOICE_ISSUED = "practice.invoice_issued", "Invoice issued"
    PRACTICE_INVOICE_EXPORTED = "practice.invoice_exported", "Invoice downloaded as a PDF"
    PRACTICE_PAYMENT_RECORDED = "practice.payment_recorded", "Payment recorded"
    PRACTICE_SUPERBILL_EXPORTED = "practice.superbill_exported", "Superbill exported"
    # Couples and family cases (issue 18).
    PRACTICE_CASE_CREATED = "practice.case_created", "Couple or family case opened"
    PRACTICE_CASE_MEMBER_ADDED = "practice.case_member_added", "Client added to a case"
    PRACTICE_CASE_MEMBER_REMOVED = "practice.case_member_removed", "Client removed from a case"
    PRACTICE_CASE_THERAPIST_ADDED = "practice.case_therapist_added", "Therapist added to a case"
    PRACTICE_CASE_THERAPIST_REMOVED = (
        "practice.case_therapist_removed",
        "Therapist's work with a case ended",
    )
    PRACTICE_CASE_APPOINTMENT_BOOKED = (
        "practice.case_appointment_booked",
        "Joint appointment booked for a case",
    )
    PRACTICE_JOINT_NOTE_CREATED = (
        "practice.joint_note_created",
        "Joint progress note written (a copy per member)",
    )
    PRACTICE_JOINT_NOTE_SIGNED = "practice.joint_note_signed", "Joint progress note signed"
    # Telehealth (issue 19).
    PRACTICE_TELEHEALTH_CONSENT_RECORDED = (
        "practice.telehealth_consent_recorded",
        "Client's telehealth consent recorded",
    )
    PRACTICE_TELEHEALTH_CONSENT_WITHDRAWN = (
        "practice.telehealth_consent_withdrawn",
        "Client's telehealth consent withdrawn",
    )
    PRACTICE_VIDEO_SESSION_CONFIRMED = (
        "practice.video_session_confirmed",
        "Client's location and emergency contact confirmed for a video session",
    )
    PRACTICE_VIDEO_LINKS_ISSUED = "practice.video_links_issued", "Video session links issued"
    # Consent documents (issue 19).
    PRACTICE_DOCUMENT_PUBLISHED = (
        "practice.document_published",
        "New version of a consent document published",
    )
    PRACTICE_DOCUMENT_REQUESTED = (
        "practice.document_requested",
        "Client asked to sign a consent document",
    )
    PRACTICE_DOCUMENT_SIGNED = "practice.document_signed", "Consent document signed"
    PRACTICE_DOCUMENT_WITHDRAWN = (
        "practice.document_withdrawn",
        "Signed consent document withdrawn",
    )
    PRACTICE_DOCUMENT_RECEIPT = (
        "practice.document_receipt",
        "Receipt of a signed consent document downloaded",
    )
    PRACTICE_VIDEO_LINK_EMAILED = (
        "practice.video_link_emailed",
        "Video session link e-mailed to the client",
    )
    # Release of information (issue 19).
    DISCLOSURE_AUTHORISATION_SIGNED = (
        "disclosure.authorisation_signed",
        "Client signed an authorisation to release information",
    )
    DISCLOSURE_AUTHORISATION_REVOKED = (
        "disclosure.authorisation_revoked",
        "Authorisation to release information revoked",
    )
    DISCLOSURE_LEGAL_BASIS_RECORDED = (
        "disclosure.legal_basis_recorded",
        "Legal basis for a disclosure without authorisation recorded",
    )
    DISCLOSURE_MADE = "disclosure.made", "Client information disclosed to a recipient"
    DISCLOSURE_DOWNLOADED = (
        "disclosure.downloaded",
        "Disclosure package downloaded by its recipient",
    )
    # Issue 19: the client portal's invitations.
    PORTAL_INVITED = "portal.invited", "Client invited to the portal"
    PORTAL_INVITATION_REVOKED = "portal.invitation_revoked", "Portal invitation revoked"
    PORTAL_INVITATION_ACCEPTED = "portal.invitation_accepted", "Portal invitation accepted"
    # Issue 19: secure messaging.
    MESSAGE_THREAD_STARTED = "message.thread_started", "Message thread started"
    MESSAGE_SENT = "message.sent", "Secure message sent"
    MESSAGE_AUTO_REPLIED = "message.auto_replied", "Out-of-hours automatic reply sent"
    MESSAGE_ATTACHMENT_DOWNLOADED = "message.attachment_downloaded", "Message attachment downloaded"
    MESSAGES_ERASED = "message.erased", "A client's message threads erased"
    PORTAL_GUARDIAN_INVITED = "portal.guardian_invited", "Guardian invited to the portal"
    PORTAL_GUARDIAN_SHARING_CHANGED = (
        "portal.guardian_sharing_changed",
        "What a minor's guardians see changed",
    )
    PORTAL_GUARDIAN_ACCESS_ENDED = "portal.guardian_access_ended", "Guardian's portal access ended"
    # Issue 19: the portal's appointment requests and client cancellations.
    PORTAL_REQUEST_MADE = "portal.request_made", "Appointment requested in the portal"
    PORTAL_REQUEST_ACCEPTED = "portal.request_accepted", "Portal appointment request accepted"
    PORTAL_REQUEST_DECLINED = "portal.request_declined", "Portal appointment request declined"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
