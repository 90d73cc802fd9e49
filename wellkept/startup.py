"""Refusing to start: one sentence and a non-zero exit, whatever starts Wellkept.

Used by the ``wellkept`` command (every mode), the WSGI application and the
gunicorn configuration. In every mode a key file that cannot serve the
database stops the start; in production so does every failing system check.
"""

from __future__ import annotations


class StartupRefused(Exception):
    """Wellkept must not start; the message says why and what to do.

    An ordinary exception, not SystemExit, on purpose: gunicorn counts a
    worker that raises while loading the application as one that failed to
    boot and stops the master (exit 3), instead of starting workers forever.
    """


def refusal(*, production_checks: bool = True) -> str | None:
    """Return the sentence(s) why this process must not start, or None."""
    from django.conf import settings
    from django.core import checks

    from wellkept.vault.checks import key_file_problem

    problem = key_file_problem()
    if problem is not None:
        return f"{problem[0]}: {problem[1]}"
    if production_checks and settings.PRODUCTION:
        serious = [m for m in checks.run_checks(include_deployment_checks=True) if m.is_serious()]
        if serious:
            return "\n".join(f"{m.id}: {m.msg}" for m in serious)
    return None


def refuse_unsafe_start() -> None:
    """Raise StartupRefused when this process must not start."""
    reason = refusal()
    if reason is not None:
        raise StartupRefused(f"wellkept refuses to start:\n{reason}")
