"""gunicorn settings for Wellkept: `gunicorn -c python:wellkept.gunicorn_conf wellkept.wsgi`.

The master checks before it binds a port or starts a worker: a refused start
(wellkept.startup) stops gunicorn with the sentence and exit 1, instead of
workers that exit and respawn forever with the port held. Without this file
the WSGI module still refuses, and gunicorn stops its master when the first
worker fails to boot.
"""

from __future__ import annotations

import os
import sys
from typing import Any

# Workers are forked from a master that has checked; each loads the app itself.
preload_app = False
# The access log would hold invitation and reset links' first request paths
# (docs/admin-guide.md, "Reverse proxy and access logs").
accesslog = None


def on_starting(server: Any) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")
    import django

    django.setup()
    from django.db import connections

    from wellkept.startup import refusal

    reason = refusal()
    # The checks may have opened a database connection: workers forked from
    # this master must not share its socket.
    connections.close_all()
    if reason is not None:
        sys.stderr.write(f"wellkept refuses to start:\n{reason}\n")
        sys.stderr.flush()
        sys.exit(1)
