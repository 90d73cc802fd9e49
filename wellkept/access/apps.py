from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "wellkept.access"
    label = "access"
    verbose_name = "Access policy"
