from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "wellkept.consent"
    label = "consent"
    verbose_name = "Notices and consent"

    def ready(self) -> None:
        from wellkept.consent import scopes

        scopes.register()
