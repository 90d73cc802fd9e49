"""Which tests the PostgreSQL suite of `.ci/run` needs: the ones that use a database.

A test that never opens a database connection (instrument scoring, the
templates, the settings, a command run in a process of its own, which
gets its own SQLite file and never inherits DATABASE_URL) runs the same
code on either engine. The SQLite suite runs every test; the PostgreSQL
suite, with WELLKEPT_TESTS_DATABASE_ONLY=1, only those whose result can
depend on the engine, so CI does not pay twice for the rest.

A test marked ``one_engine`` runs in the SQLite suite only, too: the same
code runs on both engines in a smaller test beside it, and what the big one
adds (the demo at its full size) is the same on either.

So do the page tests (modules named ``test_*pages.py`` or ``test_*views.py``):
they drive views through the test client, and what they add to the tests of
the services and selectors those views call is the page itself (template,
form, status, redirect, what is shown to whom), which no engine changes.
What an engine can change (constraints, locks, transactions, the audit
entry written with the change) is in the services' and selectors' own
modules, and those run on both.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

# pytest-django's fixtures that open the test database; any fixture that
# needs the database requests one of these, so it is in a test's closure.
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
    }
)
SWITCH = "WELLKEPT_TESTS_DATABASE_ONLY"
PAGE_MODULE = re.compile(r"^test_\w*(pages|views)\.py$")


class Marked(Protocol):
    @property
    def fixturenames(self) -> Sequence[str]: ...

    def get_closest_marker(self, name: str) -> object | None: ...


def uses_database(item: Marked) -> bool:
    """True when the test is marked ``django_db`` or any fixture it uses opens the database."""
    if item.get_closest_marker("django_db") is not None:
        return True
    return bool(DATABASE_FIXTURES.intersection(getattr(item, "fixturenames", ())))


def database_only() -> bool:
    value = os.environ.get(SWITCH, "")
    if value not in {"", "0", "1"}:
        raise ValueError(f"{SWITCH} must be 1 (only tests that use a database) or 0, not {value!r}")
    return value == "1"


def is_page_test(item: Marked) -> bool:
    """True for a test in a page test module (``test_*pages.py``, ``test_*views.py``)."""
    path = getattr(item, "path", None)
    return path is not None and bool(PAGE_MODULE.match(Path(path).name))


def needed(item: Marked) -> bool:
    """Whether the PostgreSQL suite needs the test: it uses a database, is no page test,
    and is not ``one_engine``."""
    return (
        uses_database(item)
        and item.get_closest_marker("one_engine") is None
        and not is_page_test(item)
    )


def split(items: Iterable[Marked]) -> tuple[list[Marked], list[Marked]]:
    """Return (kept, left out) under the switch: every test when it is off."""
    items = list(items)
    if not database_only():
        return items, []
    return [i for i in items if needed(i)], [i for i in items if not needed(i)]
