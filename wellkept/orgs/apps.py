from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "wellkept.orgs"
    label = "orgs"
    verbose_name = "Organisations, people and tokens"

    def ready(self) -> None:
        from wellkept.access.guards import register_organisation_choice
        from wellkept.access.people import register_people
        from wellkept.orgs import scopes
        from wellkept.orgs.selectors import PolicyPeople, organisation_choice

        # The view guards (access, a layer below) find a page's organisation here.
        register_organisation_choice(organisation_choice)
        # The policy learns roles, organisations and own tokens from here.
        register_people(PolicyPeople())
        scopes.register()
