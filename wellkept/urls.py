from django.urls import include, path

urlpatterns = [
    path("", include("wellkept.web.urls")),
    path("programme/", include("wellkept.assessments.urls")),
    path("programme/consent/", include("wellkept.consent.urls")),
    path("my-data/", include("wellkept.lifecycle.urls")),
    path("reminders/", include("wellkept.assessments.reminder_urls")),
    path("manage/programmes/", include("wellkept.assessments.programme_admin_urls")),
    path("privacy/", include("wellkept.consent.privacy_urls")),
    path("insights/", include("wellkept.insights.urls")),
    path("follow-up/", include("wellkept.followup.urls")),
    path("accounts/", include("wellkept.accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("api/v1/", include("wellkept.insights.api_urls")),
]
