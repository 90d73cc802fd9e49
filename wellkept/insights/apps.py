from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "wellkept.insights"
    label = "insights"
    verbose_name = "Insights: aggregates and disclosure control"

    def ready(self) -> None:
        from wellkept.assessments.hooks import RESPONSES_STORED
        from wellkept.consent.hooks import TAKING_PART_CHANGED
        from wellkept.insights import store
        from wellkept.orgs.hooks import PARTICIPANT_MOVED

        # The aggregates move with the answers and the enrolments, in the
        # writer's transaction (wellkept/hooks.py).
        RESPONSES_STORED.connect(store.on_responses_stored)
        TAKING_PART_CHANGED.connect(store.on_taking_part_changed)
        PARTICIPANT_MOVED.connect(store.on_participant_moved)
