"""Release of information's addresses: ``/practice/clients/`` and ``/privacy/disclosures/``."""

from django.urls import URLPattern, path

from wellkept.disclosures.views import practice, privacy

practice_patterns: list[URLPattern] = [
    path("<uuid:pk>/release/", practice.client_home, name="client_home"),
    path(
        "<uuid:pk>/release/authorisation/new/",
        practice.authorisation_new,
        name="authorisation_new",
    ),
    path(
        "<uuid:pk>/release/authorisation/<uuid:authorisation>/revoke/",
        practice.authorisation_revoke,
        name="authorisation_revoke",
    ),
    path("<uuid:pk>/release/legal-basis/new/", practice.legal_basis_new, name="legal_basis_new"),
    path("<uuid:pk>/release/new/", practice.disclosure_new, name="disclosure_new"),
    path("<uuid:pk>/disclosures/", practice.accounting, name="accounting"),
    path("released/<str:token>/", practice.release, name="release"),
    path("released/<str:token>/download/", practice.release_download, name="release_download"),
]

privacy_patterns: list[URLPattern] = [
    path("", privacy.practice_accounting, name="practice_accounting"),
]
