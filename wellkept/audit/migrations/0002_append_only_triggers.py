"""Refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) on the audit table."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from wellkept.audit import triggers


def install(apps: Any, schema_editor: Any) -> None:
    for statement in triggers.create_sql_for(schema_editor.connection.vendor, triggers.TABLE):
        schema_editor.execute(statement, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    for statement in triggers.drop_sql_for(schema_editor.connection.vendor, triggers.TABLE):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(install, remove)]
