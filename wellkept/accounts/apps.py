from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wellkept.accounts"
    label = "accounts"
    verbose_name = "Accounts and authentication"

    def ready(self) -> None:
        from wellkept.accounts import audit_signals, checks  # noqa: F401  (registers the checks)

        audit_signals.connect()
