from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wellkept.accounts"
    label = "accounts"
    verbose_name = "Accounts and authentication"
