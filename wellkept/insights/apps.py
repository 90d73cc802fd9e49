from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "wellkept.insights"
    label = "insights"
    verbose_name = "Insights: aggregates and disclosure control"
