"""Refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) on the pseudonymous chain too."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from wellkept.audit import triggers


def install(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for statement in triggers.create_sql_for(vendor, triggers.PSEUDONYMOUS_TABLE):
        schema_editor.execute(statement, params=None)


def remove(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for statement in triggers.drop_sql_for(vendor, triggers.PSEUDONYMOUS_TABLE):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0007_pseudonymous_chain")]

    operations = [migrations.RunPython(install, remove)]
