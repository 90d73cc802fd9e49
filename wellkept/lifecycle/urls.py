"""Lifecycle's pages, one list per audience (mounted by ``wellkept/urls.py``).

Both lists keep the namespace "lifecycle" they shared before the audiences.
"""

from django.urls import URLPattern, path

from wellkept.lifecycle.views import participant, privacy

app_name = "lifecycle"

# /me/data/: the participant's own data, downloads, reminders and erasure.
participant_patterns: list[URLPattern] = [
    path("", participant.mydata, name="mydata"),
    path("download/my-data.json", participant.export_json, name="export_json"),
    path("download/my-data.fhir.json", participant.export_fhir, name="export_fhir"),
    path("reminders/", participant.reminders, name="reminders"),
    path("erase/", participant.erase, name="erase"),
]

# /privacy/: retention, legal holds, deletion receipts and data-subject requests.
privacy_patterns: list[URLPattern] = [
    # Public: anyone holding a receipt checks it against this key.
    path("receipt-key/", privacy.receipt_key, name="receipt_key"),
    path("retention/", privacy.retention, name="retention"),
    path("retention/set/", privacy.retention_update, name="retention_update"),
    path("holds/", privacy.hold_set, name="hold_set"),
    path("holds/<uuid:pk>/lift/", privacy.hold_lift, name="hold_lift"),
    path("receipts/<uuid:pk>.json", privacy.receipt_download, name="receipt_download"),
    path("requests/", privacy.subject_request, name="subject_request"),
    path("requests/new/", privacy.subject_request_new, name="subject_request_new"),
    # References are taken as typed (not <uuid:>), so that a malformed one is
    # refused by the accessor and recorded like any other probe.
    path("requests/<str:pk>/", privacy.subject_request_detail, name="subject_request_detail"),
    path(
        "requests/<str:pk>/approve/",
        privacy.subject_request_approve,
        name="subject_request_approve",
    ),
    path(
        "requests/<str:pk>/refuse/",
        privacy.subject_request_refuse,
        name="subject_request_refuse",
    ),
    path(
        "requests/<str:pk>/export.json",
        privacy.subject_export_json,
        name="subject_export_json",
    ),
    path(
        "requests/<str:pk>/export.fhir.json",
        privacy.subject_export_fhir,
        name="subject_export_fhir",
    ),
    path("requests/<str:pk>/erase/", privacy.subject_erase, name="subject_erase"),
]
