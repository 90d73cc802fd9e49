"""The dashboards, their exports, the privacy officer's settings and the API, one list per audience.

Mounted by ``wellkept/urls.py``; views by audience in ``views/``, the JSON API in ``api.py``.
"""

from django.urls import URLPattern, path

from wellkept.insights import api
from wellkept.insights.views import privacy, team

app_name = "insights"

# /team/insights/: leaders' and wellbeing officers' dashboard and its exports.
team_patterns: list[URLPattern] = [
    path("", team.dashboard, name="dashboard"),
    path("export.csv", team.export_csv, name="export_csv"),
    path("export.pdf", team.export_pdf, name="export_pdf"),
]

# /privacy/disclosure/: the privacy officer's disclosure-control settings.
privacy_patterns: list[URLPattern] = [
    path("", privacy.disclosure_settings, name="settings"),
]

# /api/v1/: Ninja's routes, under Ninja's own namespace.
api_patterns, _, api_namespace = api.urls()
