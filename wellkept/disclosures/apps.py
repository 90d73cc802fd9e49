from django.apps import AppConfig


class DisclosuresConfig(AppConfig):
    name = "wellkept.disclosures"
    label = "disclosures"
    verbose_name = "Release of information and the accounting of disclosures"
