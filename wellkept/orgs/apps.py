from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "wellkept.orgs"
    label = "orgs"
    verbose_name = "Organisations, people and tokens"

    def ready(self) -> None:
        from wellkept.access.guards import register_organisation_choice
        from wellkept.orgs.selectors import organisation_choice

        # The view guards (access, a layer below) find a page's organisation here.
        register_organisation_choice(organisation_choice)
