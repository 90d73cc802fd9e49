from django.urls import path

from wellkept.assessments import views

app_name = "assessments"

urlpatterns = [
    path("", views.programme, name="programme"),
    path("join/", views.join, name="join"),
    path("history/", views.history, name="history"),
    path("check-in/<slug:slug>/start/", views.checkin_start, name="start"),
    path("check-in/<uuid:pk>/step/<int:step>/", views.checkin_step, name="step"),
    path("check-in/<uuid:pk>/discard/", views.checkin_discard, name="discard"),
    path("check-in/<uuid:pk>/result/", views.checkin_result, name="result"),
]
