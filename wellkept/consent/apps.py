from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "wellkept.consent"
    label = "consent"
    verbose_name = "Notices and consent"

    def ready(self) -> None:
        from wellkept.access.policy import register_consent_check
        from wellkept.consent import scopes
        from wellkept.consent.selectors import may_collect_from

        scopes.register()
        # The policy asks this app, through what it registers, whether a
        # participant consents now (access sits below consent).
        register_consent_check(may_collect_from)
