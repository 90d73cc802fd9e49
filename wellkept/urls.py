from django.urls import include, path

urlpatterns = [
    path("", include("wellkept.web.urls")),
    path("accounts/", include("wellkept.accounts.urls")),
    path("accounts/", include("allauth.urls")),
]
