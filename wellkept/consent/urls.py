from django.urls import path

from wellkept.consent import privacy_views, views

app_name = "consent"

urlpatterns = [
    path("", views.manage, name="manage"),
    path("update/", views.update, name="update"),
    path("withdraw/", views.withdraw, name="withdraw"),
    path("withdrawn/", views.withdrawn, name="withdrawn"),
    path("receipt/<uuid:pk>.json", views.receipt, name="receipt"),
    path("notice/<int:version>/", privacy_views.notice_version, name="notice_version"),
]
