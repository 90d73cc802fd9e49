from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "wellkept.practice"
    label = "practice"
    verbose_name = "The confidential practice: clients and their therapists"

    def ready(self) -> None:
        from wellkept.access.policy import register_break_glass_check
        from wellkept.practice import checks as checks
        from wellkept.practice import scopes, scopes_families
        from wellkept.practice.selectors.breakglass import live_opening_check

        scopes.register()
        scopes_families.register()
        # Break-glass on a client's record: the policy asks here for a live opening.
        register_break_glass_check(live_opening_check)
