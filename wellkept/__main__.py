"""The ``wellkept`` console command: Django's management commands with our settings."""

from __future__ import annotations

import os
import sys

# Commands that must run whatever state the key file is in: they create,
# inspect or report on it, or never touch data.
_WITHOUT_KEY_CHECK = {"keys", "check", "help", "version", "makemigrations", "collectstatic"}


def _command(argv: list[str]) -> str | None:
    for arg in argv[1:]:
        if not arg.startswith("-"):
            return arg
    return None


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        command = _command(sys.argv)
        if command is not None and command not in _WITHOUT_KEY_CHECK:
            import django

            django.setup()
            from wellkept.startup import refusal

            # In development too: a missing key file where data keys exist,
            # or an unreadable one, would otherwise start a server that fails
            # every sign-in (production's other checks run with the command).
            reason = refusal(production_checks=False)
            if reason is not None:
                sys.stderr.write(f"wellkept refuses to start: {reason}\n")
                sys.exit(1)
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A configuration mistake deserves a sentence, not a traceback.
        sys.stderr.write(f"wellkept: configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
