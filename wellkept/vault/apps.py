from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "wellkept.vault"
    label = "vault"
    verbose_name = "Key vault"

    def ready(self) -> None:
        from wellkept.vault import checks  # noqa: F401  (registers the checks)
