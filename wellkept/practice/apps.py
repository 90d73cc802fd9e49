from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "wellkept.practice"
    label = "practice"
    verbose_name = "The confidential practice: clients and their therapists"

    def ready(self) -> None:
        from wellkept.practice import scopes, scopes_families

        scopes.register()
        scopes_families.register()
