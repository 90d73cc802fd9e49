"""WSGI entry point. It refuses to load when the key file is unusable or, in production,
when a system check fails."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")

application = get_wsgi_application()

from wellkept.startup import refuse_unsafe_start  # noqa: E402 - needs the settings loaded above

# Raises StartupRefused: under gunicorn the worker then fails to boot and the
# master stops with it (wellkept.gunicorn_conf refuses even earlier).
refuse_unsafe_start()
