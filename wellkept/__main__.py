"""The ``wellkept`` console command: Django's management commands with our settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake deserves a sentence, not a traceback.
        sys.stderr.write(f"wellkept: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
