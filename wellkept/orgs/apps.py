from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "wellkept.orgs"
    label = "orgs"
    verbose_name = "Organisations, people and tokens"
