from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "wellkept.portal"
    label = "portal"
    verbose_name = "The client portal: invitations and a client's own pages"

    def ready(self) -> None:
        from wellkept.portal import care, scopes, services
        from wellkept.practice.hooks import CLIENT_ERASING

        scopes.register()
        # Erasing a client erases their portal requests and the answers their
        # login recorded (first: those rows point at the login) ...
        CLIENT_ERASING.connect(care.on_client_erasing)
        # ... then their portal login (its address is theirs).
        CLIENT_ERASING.connect(services.on_client_erasing)
