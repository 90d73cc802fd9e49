from django.apps import AppConfig


class LifecycleConfig(AppConfig):
    name = "wellkept.lifecycle"
    label = "lifecycle"
    verbose_name = "Erasure, retention and backups"

    def ready(self) -> None:
        from wellkept.lifecycle import tombstones

        tombstones.register_checkpoint_head()
