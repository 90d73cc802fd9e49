"""The programme's pages, one list per audience (mounted by ``wellkept/urls.py``)."""

from django.urls import URLPattern, path

from wellkept.assessments.views import manage, participant

app_name = "assessments"

# /me/programme/: the clinician's check-ins and history.
participant_patterns: list[URLPattern] = [
    path("", participant.programme, name="programme"),
    path("join/", participant.join, name="join"),
    path("history/", participant.history, name="history"),
    path("check-in/<slug:slug>/start/", participant.checkin_start, name="start"),
    path("check-in/<uuid:pk>/step/<int:step>/", participant.checkin_step, name="step"),
    path("check-in/<uuid:pk>/discard/", participant.checkin_discard, name="discard"),
    path("check-in/<uuid:pk>/result/", participant.checkin_result, name="result"),
]

# /me/reminders/: the link in reminder e-mails. Its own namespace
# ("reminders"), as before the audiences, so reverse("reminders:...") holds.
reminder_patterns: list[URLPattern] = [
    path("unsubscribe/<str:signed>/", participant.unsubscribe, name="unsubscribe"),
]

# /manage/programmes/: the system administrator's set-up, namespace "programmes".
manage_patterns: list[URLPattern] = [
    path("", manage.programme_list, name="list"),
    path("new/", manage.programme_create, name="create"),
    path("<uuid:programme_id>/", manage.programme_detail, name="detail"),
    path("<uuid:programme_id>/edit/", manage.programme_edit, name="edit"),
    path("<uuid:programme_id>/open/", manage.programme_open, name="open"),
    path("<uuid:programme_id>/close/", manage.programme_close, name="close"),
    path("<uuid:programme_id>/check-ins/new/", manage.schedule_add, name="schedule_add"),
    path(
        "<uuid:programme_id>/check-ins/<uuid:schedule_id>/",
        manage.schedule_edit,
        name="schedule_edit",
    ),
    path(
        "<uuid:programme_id>/check-ins/<uuid:schedule_id>/remove/",
        manage.schedule_remove,
        name="schedule_remove",
    ),
    path("<uuid:programme_id>/support/new/", manage.resource_add, name="resource_add"),
    path(
        "<uuid:programme_id>/support/<uuid:resource_id>/",
        manage.resource_edit,
        name="resource_edit",
    ),
    path(
        "<uuid:programme_id>/support/<uuid:resource_id>/remove/",
        manage.resource_remove,
        name="resource_remove",
    ),
]
