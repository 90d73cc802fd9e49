"""WSGI entry point. In production it refuses to start when a system check fails."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")

application = get_wsgi_application()


def _refuse_unsafe_start() -> None:
    from django.conf import settings
    from django.core import checks

    if not settings.PRODUCTION:
        return
    problems = [m for m in checks.run_checks(include_deployment_checks=True) if m.is_serious()]
    if problems:
        lines = "\n".join(f"  {m.id}: {m.msg}" for m in problems)
        raise SystemExit(f"wellkept refuses to start in production:\n{lines}")


_refuse_unsafe_start()
