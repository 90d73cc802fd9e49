from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "wellkept.disclosures"
    label = "disclosures"
    verbose_name = "Release of information and the accounting of disclosures"

    def ready(self) -> None:
        from wellkept.disclosures import selectors
        from wellkept.practice.record import RECORD_COLLECTING

        # The client's own record (the portal) lists their disclosures and
        # authorisations; the portal sits beside this app and cannot import it.
        RECORD_COLLECTING.connect(selectors.record_sections)
