"""Production checks for the audit trail: where checkpoints go, and who the database sees."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection

from wellkept.audit import dbroles
from wellkept.audit.sinks import configured_sinks


@checks.register(checks.Tags.security)
def check_checkpoint_sinks(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Two readable sinks, one of them off this host, and the writer switched on."""
    if not settings.PRODUCTION:
        return []
    errors: list[checks.CheckMessage] = []
    try:
        sinks = configured_sinks()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="wellkept.E030")]
    readable = [s for s in sinks if s.readable]
    if len(readable) < 2 or not any(not s.local for s in readable):
        names = ", ".join(s.name for s in sinks) or "none"
        errors.append(
            checks.Error(
                "Audit checkpoints need two sinks `wellkept audit verify` can read, one of them "
                f"on another host; configured: {names}.",
                hint="Set WELLKEPT_AUDIT_CHECKPOINT_SINKS to a file on this host and a database "
                "on another, e.g. file:///var/lib/wellkept/audit/checkpoints.jsonl,"
                "postgres://anchor_writer@anchor.example.org/wellkept_anchor "
                "(docs/admin-guide.md, 'Checkpoint sinks').",
                id="wellkept.E030",
            )
        )
    if settings.WELLKEPT_AUDIT_CHECKPOINT_SECONDS <= 0:
        errors.append(
            checks.Error(
                "Automatic audit checkpoints are off (WELLKEPT_AUDIT_CHECKPOINT_SECONDS=0): the "
                "tail of the trail could be cut unnoticed.",
                hint="Unset WELLKEPT_AUDIT_CHECKPOINT_SECONDS (default 1).",
                id="wellkept.E032",
            )
        )
    return errors


@checks.register(checks.Tags.security)
def check_database_role(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse a PostgreSQL role that could change the audit trail."""
    if not settings.PRODUCTION or connection.vendor != "postgresql":
        return []
    try:
        problems = dbroles.role_problems(connection)
    except DatabaseError as exc:
        return [
            checks.Error(
                f"Could not check the database role the application connects as ({exc}).".strip(),
                hint="Check DATABASE_URL and that the database is reachable.",
                id="wellkept.E031",
            )
        ]
    return [
        checks.Error(
            problem,
            hint="Connect as the application role (docs/admin-guide.md, 'Database roles'): "
            "INSERT and SELECT only on the audit tables, not their owner, no superuser. Run "
            "`wellkept migrate` with WELLKEPT_DATABASE_OWNER_URL to grant exactly that.",
            id="wellkept.E031",
        )
        for problem in problems
    ]
