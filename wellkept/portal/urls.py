"""The portal's pages: the client's own under /portal/, the staff's under /practice/."""

from django.urls import URLPattern, path

from wellkept.portal.views import client, documents, practice

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
]

practice_patterns: list[URLPattern] = [
    path("clients/<uuid:pk>/portal/", practice.staff_status, name="staff_status"),
    path("clients/<uuid:pk>/portal/invite/", practice.staff_invite, name="staff_invite"),
    path("clients/<uuid:pk>/portal/revoke/", practice.staff_revoke, name="staff_revoke"),
]
