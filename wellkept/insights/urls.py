"""The dashboards, their exports, the privacy officer's settings and the API, one list per audience.

Mounted by ``wellkept/urls.py``; the views stay in ``views.py`` and ``api.py``.
"""

from django.urls import URLPattern, path

from wellkept.insights import api, views

app_name = "insights"

# /team/insights/: leaders' and wellbeing officers' dashboard and its exports.
team_patterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.pdf", views.export_pdf, name="export_pdf"),
]

# /privacy/disclosure/: the privacy officer's disclosure-control settings.
privacy_patterns: list[URLPattern] = [
    path("", views.disclosure_settings, name="settings"),
]

# /api/v1/: Ninja's routes, under Ninja's own namespace.
api_patterns, _, api_namespace = api.urls()
