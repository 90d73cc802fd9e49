"""The portal's pages: the client's own under /portal/, the staff's under /practice/."""

from django.urls import URLPattern, path

from wellkept.portal.views import care, client, practice, practice_care

client_patterns: list[URLPattern] = [
    path("", client.home, name="home"),
    path("appointments/", client.appointments, name="appointments"),
    path("invoices/", client.invoices, name="invoices"),
    path("invoices/<uuid:pk>.pdf", client.invoice_download, name="invoice_pdf"),
    path("access/", client.access_log, name="access_log"),
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
