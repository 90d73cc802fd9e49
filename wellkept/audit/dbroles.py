"""PostgreSQL least privilege: the owner migrates, the application only appends to the trail.

Two roles (docs/admin-guide.md, "Database roles"):

- the **owner** (WELLKEPT_DATABASE_OWNER_URL) owns every table and runs
  `wellkept migrate`; it is given to the migration step only;
- the **application** (DATABASE_URL) may SELECT, INSERT, UPDATE and DELETE
  ordinary tables, but only SELECT and INSERT the audit tables: no UPDATE,
  DELETE or TRUNCATE, no superuser, no replication. It can neither drop the
  append-only triggers (only an owner can) nor switch them off with
  ``session_replication_role`` (only a superuser can).

After every migration run as the owner, ``grant_application_role`` gives the
application role exactly that (a ``post_migrate`` handler, so tables added by
later migrations are covered too). The production check ``wellkept.E031``
refuses to start as a superuser, as the tables' owner, or as a role that
could change the trail.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate

from wellkept.audit import triggers

# Set while `as_owner()` is active: the role the grants are for.
_application_role: str | None = None
_CREDENTIALS = ("USER", "PASSWORD", "HOST", "PORT")


def become_owner(alias: str = DEFAULT_DB_ALIAS) -> dict[str, Any] | None:
    """Reconnect ``alias`` as the owner; return what ``become_application`` puts back.

    None (and nothing changed) without WELLKEPT_DATABASE_OWNER or off PostgreSQL.
    """
    global _application_role
    owner = settings.WELLKEPT_DATABASE_OWNER
    wrapper = connections[alias]
    if not owner or wrapper.vendor != "postgresql":
        return None
    if wrapper.settings_dict.get("USER") == owner.get("USER"):
        # Already the owner (the test database's set-up runs `migrate` too).
        return None
    saved = {key: wrapper.settings_dict.get(key) for key in _CREDENTIALS}
    wrapper.close()
    wrapper.settings_dict.update({key: owner.get(key) for key in _CREDENTIALS})
    saved["_previous_role"] = _application_role
    _application_role = str(saved["USER"] or "")
    return saved


def become_application(saved: dict[str, Any] | None, alias: str = DEFAULT_DB_ALIAS) -> None:
    """Undo ``become_owner``: close the owner's connection, restore the application's."""
    global _application_role
    if saved is None:
        return
    wrapper = connections[alias]
    wrapper.close()
    _application_role = saved.pop("_previous_role", None)
    wrapper.settings_dict.update(saved)


@contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS) -> Iterator[str | None]:
    """Run the block on the owner's connection; yield the application role it grants to.

    Swaps the connection's credentials and reconnects; the application's
    are put back (and the owner's connection closed) afterwards. Does
    nothing without WELLKEPT_DATABASE_OWNER.
    """
    saved = become_owner(alias)
    try:
        yield None if saved is None else str(saved["USER"] or "")
    finally:
        become_application(saved, alias)


def _quote(connection: Any, name: str) -> str:
    quoted: str = connection.ops.quote_name(name)
    return quoted


def grant_statements(connection: Any, role: str) -> list[str]:
    """What the application role may do after a migration: everything but change the trail."""
    who = _quote(connection, role)
    audit_tables = ", ".join(_quote(connection, t) for t in triggers.TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {_quote(connection, _schema(connection))} TO {who}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA "
        f"{_quote(connection, _schema(connection))} TO {who}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {_quote(connection, _schema(connection))} "
        f"TO {who}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit_tables} FROM {who}",
        # Django reads which migrations ran; only the owner records new ones.
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON django_migrations FROM {who}",
    ]


def _schema(connection: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        return str(cursor.fetchone()[0])


def grant_application_role(connection: Any, role: str) -> None:
    with connection.cursor() as cursor:
        for statement in grant_statements(connection, role):
            cursor.execute(statement)


def _after_migrate(sender: Any, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    # post_migrate is sent once per app; grant once, after the last (ours is
    # cheap and idempotent, but the order of apps is not ours to rely on).
    connection = connections[using]
    role = _application_role
    if connection.vendor != "postgresql" or not role:
        return
    if role == connection.settings_dict.get("USER"):
        return
    grant_application_role(connection, role)


def connect() -> None:
    post_migrate.connect(_after_migrate, dispatch_uid="wellkept.audit.dbroles")


# -- what the production check asks -------------------------------------------


def role_problems(connection: Any) -> list[str]:
    """Sentences for each way the application's role could change the trail (PostgreSQL)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolreplication FROM pg_roles "
            "WHERE rolname = current_user"
        )
        user, superuser, replication = cursor.fetchone()
        problems: list[str] = []
        if superuser:
            problems.append(
                f"The application connects as {user}, a superuser: it could drop the audit "
                "trail's triggers or switch them off with session_replication_role."
            )
        if replication:
            problems.append(f"The application's role {user} has the REPLICATION attribute.")
        for table in triggers.TABLES:
            cursor.execute(
                "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass(%s)",
                [table],
            )
            row = cursor.fetchone()
            if row is None or row[0] is None:
                continue
            owner = row[0]
            cursor.execute("SELECT pg_has_role(current_user, %s, 'USAGE')", [owner])
            if cursor.fetchone()[0]:
                problems.append(
                    f"The application's role {user} owns {table} (or is a member of its owner "
                    f"{owner}): it could drop the append-only triggers."
                )
                continue
            for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                cursor.execute("SELECT has_table_privilege(%s, %s)", [table, privilege])
                if cursor.fetchone()[0]:
                    problems.append(f"The application's role {user} holds {privilege} on {table}.")
    return problems
