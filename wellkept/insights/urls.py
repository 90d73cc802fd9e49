"""The dashboards, their exports and the privacy officer's settings, mounted at /insights/."""

from django.urls import URLPattern, path

from wellkept.insights import views

app_name = "insights"

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.pdf", views.export_pdf, name="export_pdf"),
    path("settings/", views.disclosure_settings, name="settings"),
]
