from django.urls import path

from wellkept.assessments import programme_admin_views as views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/", views.programme_create, name="create"),
    path("<uuid:programme_id>/", views.programme_detail, name="detail"),
    path("<uuid:programme_id>/edit/", views.programme_edit, name="edit"),
    path("<uuid:programme_id>/open/", views.programme_open, name="open"),
    path("<uuid:programme_id>/close/", views.programme_close, name="close"),
    path("<uuid:programme_id>/check-ins/new/", views.schedule_add, name="schedule_add"),
    path(
        "<uuid:programme_id>/check-ins/<uuid:schedule_id>/",
        views.schedule_edit,
        name="schedule_edit",
    ),
    path(
        "<uuid:programme_id>/check-ins/<uuid:schedule_id>/remove/",
        views.schedule_remove,
        name="schedule_remove",
    ),
    path("<uuid:programme_id>/support/new/", views.resource_add, name="resource_add"),
    path(
        "<uuid:programme_id>/support/<uuid:resource_id>/",
        views.resource_edit,
        name="resource_edit",
    ),
    path(
        "<uuid:programme_id>/support/<uuid:resource_id>/remove/",
        views.resource_remove,
        name="resource_remove",
    ),
]
