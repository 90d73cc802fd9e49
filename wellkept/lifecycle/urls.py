from django.urls import path

from wellkept.lifecycle import views

app_name = "lifecycle"

urlpatterns = [
    path("", views.mydata, name="mydata"),
    path("download/my-data.json", views.export_json, name="export_json"),
    path("download/my-data.fhir.json", views.export_fhir, name="export_fhir"),
    path("reminders/", views.reminders, name="reminders"),
    path("erase/", views.erase, name="erase"),
]
