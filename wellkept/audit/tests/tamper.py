"""Tampering the way someone with database access would: triggers off, raw SQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection

from wellkept.audit import triggers


@contextmanager
def triggers_dropped() -> Iterator[Any]:
    triggers.drop(connection)
    try:
        with connection.cursor() as cursor:
            yield cursor
    finally:
        triggers.create(connection)


def ids() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM audit_auditentry ORDER BY id")
        return [row[0] for row in cursor.fetchall()]
