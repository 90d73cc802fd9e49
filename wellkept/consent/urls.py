"""Consent's pages, one list per audience (mounted by ``wellkept/urls.py``)."""

from django.urls import URLPattern, path

from wellkept.consent.views import participant, privacy

app_name = "consent"

# /me/consent/: the participant's choices, receipts and the notice as published.
participant_patterns: list[URLPattern] = [
    path("", participant.manage, name="manage"),
    path("update/", participant.update, name="update"),
    path("withdraw/", participant.withdraw, name="withdraw"),
    path("withdrawn/", participant.withdrawn, name="withdrawn"),
    path("receipt/<uuid:pk>.json", participant.receipt, name="receipt"),
    path("notice/<int:version>/", participant.notice_version, name="notice_version"),
]

# /privacy/: the privacy officer's record of processing, consents and notices,
# under the namespace "privacy" they had before the audiences.
privacy_patterns: list[URLPattern] = [
    path("processing/", privacy.processing, name="processing"),
    path("processing.json", privacy.processing_json, name="processing_json"),
    path("consents/", privacy.consents, name="consents"),
    path("notices/", privacy.notice_list, name="notices"),
    path("notices/publish/", privacy.notice_publish_view, name="notice_publish"),
]
