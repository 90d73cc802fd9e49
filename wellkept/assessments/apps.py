from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "wellkept.assessments"
    label = "assessments"
    verbose_name = "Programmes, instruments and check-ins"

    def ready(self) -> None:
        from django.core import checks

        from wellkept.assessments import scopes, services
        from wellkept.assessments.system_checks import check_instrument_files
        from wellkept.consent.hooks import CONSENT_WITHDRAWN

        scopes.register()
        checks.register(check_instrument_files)
        CONSENT_WITHDRAWN.connect(services.on_consent_withdrawn)
