from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "wellkept.accounts"
    label = "accounts"
    verbose_name = "Accounts and authentication"

    def ready(self) -> None:
        from wellkept.accounts import audit_signals, checks  # noqa: F401  (registers the checks)

        audit_signals.connect()

        from wellkept.access.guards import register_second_factor_types
        from wellkept.accounts.selectors import user_second_factor_types

        # The view guards (access, a layer below) learn a person's second
        # factors from here.
        register_second_factor_types(user_second_factor_types)

        from wellkept.accounts import scopes

        scopes.register()

        from allauth.usersessions.models import UserSession, UserSessionManager

        from wellkept.accounts.sessions import is_current_session, record_user_session

        # allauth keeps a list of each person's sessions under the cookie's
        # key, in clear; ours stores a hash (wellkept.accounts.sessions). Its
        # one writer, and its one comparison with the cookie, use the stored
        # form too, or a copied table would open sessions again and "sign
        # out other sessions" would end this one as well.
        UserSessionManager.create_from_request = record_user_session
        UserSession.is_current = is_current_session
