from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "wellkept.portal"
    label = "portal"
    verbose_name = "The client portal: invitations and a client's own pages"

    def ready(self) -> None:
        from wellkept.portal import scopes

        scopes.register()
