"""wellkept migrate: Django's migrate, run as the tables' owner when one is configured.

With WELLKEPT_DATABASE_OWNER_URL set (PostgreSQL), the migrations run on the
owner's connection and the application role (DATABASE_URL's) is then granted
what it needs and no more: see wellkept.audit.dbroles.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DEFAULT_DB_ALIAS

from wellkept.access.actions import Action
from wellkept.access.decorators import policy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.audit.dbroles import as_owner


# Declared like a view: this command changes the database's schema and grants.
@policy(
    action=Action.UPDATE, resource=ResourceKind.ORG_CONFIG, purpose=Purpose.SERVICE_ADMINISTRATION
)
class Command(DjangoMigrate):
    def handle(self, *args: Any, **options: Any) -> Any:
        if options.get("database", DEFAULT_DB_ALIAS) != DEFAULT_DB_ALIAS:
            return super().handle(*args, **options)
        with as_owner() as app_role:
            result = super().handle(*args, **options)
        if app_role and options.get("verbosity", 1):
            self.stdout.write(
                f"Ran as the owner; {app_role} may append to the audit trail and never change it."
            )
        return result
