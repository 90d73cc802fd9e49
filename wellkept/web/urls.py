from django.urls import path

from wellkept.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("session/status", views.session_status, name="session_status"),
    path("session/keepalive", views.session_keepalive, name="session_keepalive"),
]
