from django.urls import path

from wellkept.assessments import reminder_views

app_name = "reminders"

urlpatterns = [
    path("unsubscribe/<str:signed>/", reminder_views.unsubscribe, name="unsubscribe"),
]
