from __future__ import annotations

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "wellkept.audit"
    label = "audit"
    verbose_name = "Audit trail"

    def ready(self) -> None:
        from wellkept.audit import checks, dbroles, heads  # noqa: F401  (registers the checks)

        heads.register()
        dbroles.connect()
