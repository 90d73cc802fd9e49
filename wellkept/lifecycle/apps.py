from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "wellkept.lifecycle"
    label = "lifecycle"
    verbose_name = "Erasure, retention and backups"
