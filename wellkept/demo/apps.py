from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The synthetic demo hospital and bulk seeding: top layer, built on the ordinary services."""

    name = "wellkept.demo"
    label = "demo"
    verbose_name = "Demo and synthetic data"
