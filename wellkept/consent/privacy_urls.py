"""The privacy officer's pages, mounted at /privacy/."""

from django.urls import URLPattern, path

from wellkept.consent import privacy_views as views

app_name = "privacy"

urlpatterns: list[URLPattern] = [
    path("processing/", views.processing, name="processing"),
    path("processing.json", views.processing_json, name="processing_json"),
    path("consents/", views.consents, name="consents"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/publish/", views.notice_publish_view, name="notice_publish"),
]
