from django.apps import AppConfig


class FollowupConfig(AppConfig):
    name = "wellkept.followup"
    label = "followup"
    verbose_name = "Follow-up cases, messages and re-identification"

    def ready(self) -> None:
        from wellkept.access.policy import register_identity_grant_check
        from wellkept.assessments.hooks import SAFETY_ALERT_RAISED
        from wellkept.followup import scopes, services
        from wellkept.followup.grants import identity_grant_check

        scopes.register()
        register_identity_grant_check(identity_grant_check)
        # A safety alert opens (or joins) a case in the check-in's transaction.
        SAFETY_ALERT_RAISED.connect(services.on_safety_alert_raised)
