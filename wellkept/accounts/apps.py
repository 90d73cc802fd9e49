from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wellkept.accounts"
    label = "accounts"
    verbose_name = "Accounts and authentication"

    def ready(self) -> None:
        from wellkept.accounts import audit_signals, checks  # noqa: F401  (registers the checks)

        audit_signals.connect()

        from allauth.usersessions.models import UserSession

        from wellkept.accounts.sessions import is_current_session

        # allauth compares its stored key with the cookie's; ours stores a
        # hash (wellkept.accounts.sessions), so the comparison must hash too,
        # or "sign out other sessions" would end this one as well.
        UserSession.is_current = is_current_session
