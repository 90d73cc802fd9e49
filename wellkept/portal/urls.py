"""The portal's pages: the client's own under /portal/, the staff's under /practice/."""

from django.urls import URLPattern, path

from wellkept.portal.views import (
    care,
    client,
    documents,
    guardian,
    practice,
    practice_care,
    record,
)

client_patterns: list[URLPattern] = [
    path("", client.home, name="home"),
    path("appointments/", client.appointments, name="appointments"),
    path("invoices/", client.invoices, name="invoices"),
    path("invoices/<uuid:pk>.pdf", client.invoice_download, name="invoice_pdf"),
    path("access/", client.access_log, name="access_log"),
    # Forms to sign (issue 19): the client's consent documents.
    path("forms/", documents.forms, name="forms"),
    path("forms/<uuid:pk>/", documents.form_sign, name="form_sign"),
    path("forms/<uuid:pk>/receipt/", documents.form_receipt, name="form_receipt"),
    path("forms/<uuid:pk>/withdraw/", documents.form_withdraw, name="form_withdraw"),
    path("invitation/accept/", client.invitation_accept, name="invitation_accept"),
    path("invitation/<str:token>/", client.invitation_open, name="invitation_open"),
    # Issue 19: appointment requests, moves and cancellations.
    path("requests/", care.requests, name="requests"),
    path("appointments/<uuid:pk>/", care.appointment, name="appointment"),
    path("appointments/<uuid:pk>/cancel/", care.appointment_cancel, name="appointment_cancel"),
    path("questionnaires/", care.questionnaires, name="questionnaires"),
    path(
        "questionnaires/results/<uuid:pk>/",
        care.questionnaire_result,
        name="questionnaire_result",
    ),
    path("questionnaires/<slug:code>/", care.questionnaire_answer, name="questionnaire_answer"),
]

practice_patterns: list[URLPattern] = [
    path("clients/<uuid:pk>/portal/", practice.staff_status, name="staff_status"),
    path("clients/<uuid:pk>/portal/invite/", practice.staff_invite, name="staff_invite"),
    path("clients/<uuid:pk>/portal/revoke/", practice.staff_revoke, name="staff_revoke"),
    # Issue 19: the clients' portal appointment requests.
    path("portal/requests/", practice_care.request_list, name="staff_requests"),
    path("portal/requests/<uuid:pk>/", practice_care.request_detail, name="staff_request"),
    path(
        "portal/requests/<uuid:pk>/accept/",
        practice_care.request_accept,
        name="staff_request_accept",
    ),
    path(
        "portal/requests/<uuid:pk>/decline/",
        practice_care.request_decline,
        name="staff_request_decline",
    ),
]

# The client's own record and accounting of disclosures (issue 19, record part).
client_patterns += [
    path("record/", record.record_page, name="record"),
    path("record/record.json", record.record_json, name="record_json"),
    path("record/fhir-r5.json", record.record_fhir, name="record_fhir"),
    path("disclosures/", record.disclosures, name="disclosures"),
]

# A minor's guardians (issue 19): their own pages, and the therapist's page.
client_patterns += [
    path("guardian/", guardian.guardian_home, name="guardian_home"),
    path("guardian/appointments/", guardian.guardian_appointments, name="guardian_appointments"),
    path("guardian/invoices/", guardian.guardian_invoices, name="guardian_invoices"),
]
practice_patterns += [
    path("clients/<uuid:pk>/portal/guardians/", guardian.guardians, name="guardians"),
    path(
        "clients/<uuid:pk>/portal/guardians/sharing/",
        guardian.guardian_sharing,
        name="guardian_sharing",
    ),
    path(
        "clients/<uuid:pk>/portal/guardians/<uuid:guardian>/invite/",
        guardian.guardian_invite,
        name="guardian_invite",
    ),
    path(
        "clients/<uuid:pk>/portal/guardians/<uuid:guardian>/end/",
        guardian.guardian_end,
        name="guardian_end",
    ),
]
