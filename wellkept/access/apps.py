from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "wellkept.access"
    label = "access"
    verbose_name = "Access policy"

    def ready(self) -> None:
        from wellkept.access.resources import _register_builtin_scopes

        _register_builtin_scopes()
