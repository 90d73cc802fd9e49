from django.urls import path

from wellkept.lifecycle import privacy_views, views

app_name = "lifecycle"

urlpatterns = [
    path("", views.mydata, name="mydata"),
    path("download/my-data.json", views.export_json, name="export_json"),
    path("download/my-data.fhir.json", views.export_fhir, name="export_fhir"),
    path("reminders/", views.reminders, name="reminders"),
    path("erase/", views.erase, name="erase"),
    # Anyone holding a receipt checks it against this key.
    path("receipt-key/", privacy_views.receipt_key, name="receipt_key"),
    # The privacy officer's side (404 for everyone else).
    path("privacy/retention/", privacy_views.retention, name="retention"),
    path("privacy/retention/set/", privacy_views.retention_update, name="retention_update"),
    path("privacy/holds/", privacy_views.hold_set, name="hold_set"),
    path("privacy/holds/<uuid:pk>/lift/", privacy_views.hold_lift, name="hold_lift"),
    path(
        "privacy/receipts/<uuid:pk>.json",
        privacy_views.receipt_download,
        name="receipt_download",
    ),
    path("privacy/requests/", privacy_views.subject_request, name="subject_request"),
    path("privacy/requests/new/", privacy_views.subject_request_new, name="subject_request_new"),
    # References are taken as typed (not <uuid:>), so that a malformed one is
    # refused by the accessor and recorded like any other probe.
    path(
        "privacy/requests/<str:pk>/",
        privacy_views.subject_request_detail,
        name="subject_request_detail",
    ),
    path(
        "privacy/requests/<str:pk>/approve/",
        privacy_views.subject_request_approve,
        name="subject_request_approve",
    ),
    path(
        "privacy/requests/<str:pk>/refuse/",
        privacy_views.subject_request_refuse,
        name="subject_request_refuse",
    ),
    path(
        "privacy/requests/<str:pk>/export.json",
        privacy_views.subject_export_json,
        name="subject_export_json",
    ),
    path(
        "privacy/requests/<str:pk>/export.fhir.json",
        privacy_views.subject_export_fhir,
        name="subject_export_fhir",
    ),
    path(
        "privacy/requests/<str:pk>/erase/",
        privacy_views.subject_erase,
        name="subject_erase",
    ),
]
