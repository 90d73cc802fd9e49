"""The practice's pages, one list per audience (mounted by ``wellkept/urls.py``)."""

from django.urls import URLPattern, path

from wellkept.practice.views import practice

app_name = "practice"

# /practice/: the practice's staff (therapists, supervisors, front desk, billing).
practice_patterns: list[URLPattern] = [
    path("clients/", practice.client_list, name="client_list"),
    path("clients/new/", practice.client_new, name="client_new"),
    path("clients/<uuid:pk>/", practice.client_detail, name="client"),
    path("clients/<uuid:pk>/edit/", practice.client_edit, name="client_edit"),
    path("clients/<uuid:pk>/assign/", practice.client_assign, name="client_assign"),
    path("clients/<uuid:pk>/unassign/", practice.client_unassign, name="client_unassign"),
]
