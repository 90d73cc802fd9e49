from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "wellkept.web"
    label = "web"
    verbose_name = "Web foundations"

    def ready(self) -> None:
        from wellkept.web import checks  # noqa: F401  (registers the checks)
