"""The practice's pages, one list per audience (mounted by ``wellkept/urls.py``)."""

from django.urls import URLPattern, path

from wellkept.practice.views import practice, privacy, privacy_documents

app_name = "practice"

# /practice/: the practice's staff (therapists, supervisors, front desk, billing).
practice_patterns: list[URLPattern] = [
    path("clients/", practice.client_list, name="client_list"),
    path("clients/new/", practice.client_new, name="client_new"),
    path("clients/<uuid:pk>/", practice.client_detail, name="client"),
    path("clients/<uuid:pk>/edit/", practice.client_edit, name="client_edit"),
    path("clients/<uuid:pk>/assign/", practice.client_assign, name="client_assign"),
    path("clients/<uuid:pk>/unassign/", practice.client_unassign, name="client_unassign"),
    # Notes (issue 18, part 3).
    path("clients/<uuid:pk>/notes/", practice.note_list, name="notes"),
    path("clients/<uuid:pk>/notes/new/", practice.note_new, name="note_new"),
    path("clients/<uuid:pk>/notes/<uuid:note_pk>/", practice.note_detail, name="note"),
    path("clients/<uuid:pk>/notes/<uuid:note_pk>/edit/", practice.note_edit, name="note_edit"),
    path("clients/<uuid:pk>/notes/<uuid:note_pk>/sign/", practice.note_sign, name="note_sign"),
    path(
        "clients/<uuid:pk>/notes/<uuid:note_pk>/cosign/",
        practice.note_cosign,
        name="note_cosign",
    ),
    path(
        "clients/<uuid:pk>/notes/<uuid:note_pk>/addenda/",
        practice.addendum_new,
        name="addendum_new",
    ),
    path("notes/cosign/", practice.cosign_queue, name="cosign_queue"),
    path("clients/<uuid:pk>/psychotherapy-notes/", practice.pnote_list, name="pnotes"),
    path(
        "clients/<uuid:pk>/psychotherapy-notes/<uuid:note_pk>/edit/",
        practice.pnote_edit,
        name="pnote_edit",
    ),
    path(
        "clients/<uuid:pk>/psychotherapy-notes/<uuid:note_pk>/delete/",
        practice.pnote_delete,
        name="pnote_delete",
    ),
    # The schedule (issue 18, part 2).
    path("schedule/", practice.schedule_week, name="schedule"),
    path("schedule/day/", practice.schedule_day, name="schedule_day"),
    path("schedule/new/", practice.appointment_new, name="appointment_new"),
    path("schedule/feed/", practice.feed_create, name="feed_create"),
    path("schedule/feed/revoke/", practice.feed_revoke, name="feed_revoke"),
    path("schedule/<uuid:pk>/", practice.appointment_detail, name="appointment"),
    path("schedule/<uuid:pk>/move/", practice.appointment_move, name="appointment_move"),
    path("schedule/<uuid:pk>/cancel/", practice.appointment_cancel, name="appointment_cancel"),
    path("schedule/<uuid:pk>/mark/", practice.appointment_mark, name="appointment_mark"),
    path("calendar/<str:token>.ics", practice.calendar_feed, name="calendar_feed"),
    # Treatment plans (issue 18, part 4).
    path("clients/<uuid:pk>/plan/", practice.plan_home, name="plan"),
    path("clients/<uuid:pk>/plan/new/", practice.plan_new, name="plan_new"),
    path("clients/<uuid:pk>/plan/<uuid:plan_pk>/", practice.plan_version, name="plan_version"),
    path("clients/<uuid:pk>/plan/<uuid:plan_pk>/edit/", practice.plan_edit, name="plan_edit"),
    path("clients/<uuid:pk>/plan/<uuid:plan_pk>/sign/", practice.plan_sign, name="plan_sign"),
    path(
        "clients/<uuid:pk>/plan/<uuid:plan_pk>/client-sign/",
        practice.plan_client_sign,
        name="plan_client_sign",
    ),
    path("clients/<uuid:pk>/plan/<uuid:plan_pk>/close/", practice.plan_close, name="plan_close"),
    path("plans/reviews/", practice.plan_reviews, name="plan_reviews"),
    # Measurement-based care (issue 18, part 4).
    path("clients/<uuid:pk>/measures/", practice.measures_home, name="measures"),
    path("clients/<uuid:pk>/measures/assign/", practice.measure_assign, name="measure_assign"),
    path(
        "clients/<uuid:pk>/measures/record/<slug:code>/",
        practice.measure_record,
        name="measure_record",
    ),
    path("measures/alerts/", practice.measure_alerts, name="measure_alerts"),
    # Discharge (issue 18, part 6).
    path("clients/<uuid:pk>/discharge/", practice.client_discharge, name="client_discharge"),
    path("clients/<uuid:pk>/readmit/", practice.client_readmit, name="client_readmit"),
    # Billing (issue 18, part 5).
    path("billing/", practice.billing_queue, name="billing"),
    path("billing/fees/", practice.fee_list, name="billing_fees"),
    path(
        "billing/appointments/<uuid:pk>/charge/",
        practice.appointment_charge,
        name="billing_charge",
    ),
    path("billing/clients/<uuid:pk>/", practice.client_account, name="billing_account"),
    path("billing/clients/<uuid:pk>/invoice/", practice.invoice_new, name="billing_invoice"),
    path(
        "billing/clients/<uuid:pk>/invoices/<uuid:invoice_pk>.pdf",
        practice.invoice_download,
        name="billing_invoice_pdf",
    ),
    path("billing/clients/<uuid:pk>/payment/", practice.payment_new, name="billing_payment"),
    path(
        "billing/clients/<uuid:pk>/adjustment/",
        practice.adjustment_new,
        name="billing_adjustment",
    ),
    path(
        "billing/clients/<uuid:pk>/superbill/",
        practice.superbill_export,
        name="billing_superbill",
    ),
    # Couples and family cases (issue 18).
    path("cases/", practice.case_list, name="cases"),
    path("cases/new/", practice.case_new, name="case_new"),
    path("cases/<uuid:pk>/", practice.case_detail, name="case"),
    path("cases/<uuid:pk>/book/", practice.case_book, name="case_book"),
    path("cases/<uuid:pk>/members/", practice.case_member_add, name="case_member_add"),
    path(
        "cases/<uuid:pk>/members/<uuid:client_pk>/remove/",
        practice.case_member_remove,
        name="case_member_remove",
    ),
    path("cases/<uuid:pk>/notes/new/", practice.joint_note_new, name="joint_note_new"),
    path("cases/<uuid:pk>/notes/<uuid:note_pk>/", practice.joint_note_detail, name="joint_note"),
    path(
        "cases/<uuid:pk>/notes/<uuid:note_pk>/sign/",
        practice.joint_note_sign,
        name="joint_note_sign",
    ),
    # Practice loose ends: ending a measure assignment.
    path(
        "clients/<uuid:pk>/measures/assignments/<uuid:assignment_pk>/end/",
        practice.measure_assignment_end,
        name="measure_assignment_end",
    ),
    # Practice loose ends: acknowledging a measure alert.
    path(
        "measures/alerts/<uuid:alert_pk>/acknowledge/",
        practice.measure_alert_acknowledge,
        name="measure_alert_acknowledge",
    ),
]

# Break-glass on a client's record (issue 18): a therapist's emergency access.
practice_patterns += [
    path("emergency/", practice.breakglass_open, name="breakglass_open"),
    path("emergency/<uuid:pk>/", practice.breakglass_record, name="breakglass_record"),
]

# /privacy/practice-break-glass/: the privacy officer reviews those openings.
privacy_patterns: list[URLPattern] = [
    path("", privacy.breakglass_reviews, name="breakglass_reviews"),
    path("<uuid:pk>/", privacy.breakglass_review, name="breakglass_review"),
    path("<uuid:pk>/review/", privacy.breakglass_review_record, name="breakglass_review_record"),
]

# Couples and family cases (issue 18): their therapists, changed from the case's page.
practice_patterns += [
    path("cases/<uuid:pk>/therapists/", practice.case_therapist_add, name="case_therapist_add"),
    path(
        "cases/<uuid:pk>/therapists/<uuid:therapist_pk>/remove/",
        practice.case_therapist_remove,
        name="case_therapist_remove",
    ),
]

# A privacy officer allows one more opening before the review (issue 18).
privacy_patterns += [
    path("<uuid:pk>/allow/", privacy.breakglass_allow, name="breakglass_allow"),
]

# Telehealth (issue 19): the client's telehealth consent, and a video appointment's session.
practice_patterns += [
    path(
        "clients/<uuid:pk>/telehealth-consent/",
        practice.telehealth_consent,
        name="telehealth_consent",
    ),
    path(
        "clients/<uuid:pk>/telehealth-consent/withdraw/",
        practice.telehealth_consent_withdraw,
        name="telehealth_consent_withdraw",
    ),
    path("schedule/<uuid:pk>/video/", practice.video_session, name="video_session"),
    path("schedule/<uuid:pk>/video/email/", practice.video_link_email, name="video_link_email"),
]

# Consent documents (issue 19): a client's documents, asked for and signed in the office.
practice_patterns += [
    path("clients/<uuid:pk>/documents/", practice.client_documents, name="client_documents"),
    path(
        "clients/<uuid:pk>/documents/request/",
        practice.document_request,
        name="document_request",
    ),
    path(
        "clients/<uuid:pk>/documents/<uuid:signature_pk>/sign/",
        practice.document_sign_in_office,
        name="document_sign_in_office",
    ),
    path(
        "clients/<uuid:pk>/documents/<uuid:signature_pk>/receipt/",
        practice.document_receipt,
        name="document_receipt",
    ),
]

# ... and the templates, the privacy officer's (mounted under /privacy/consent-documents/).
documents_privacy_patterns: list[URLPattern] = [
    path("", privacy_documents.document_templates, name="document_templates"),
    path("publish/", privacy_documents.document_publish, name="document_publish"),
]
