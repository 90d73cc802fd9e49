"""docs/audit-events.md documents exactly the event catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from wellkept.audit.events import EventType

DOC = Path(__file__).resolve().parents[3] / "docs" / "audit-events.md"


def documented() -> set[str]:
    rows = re.findall(r"^\|\s*`([a-z_]+\.[a-z_]+)`\s*\|", DOC.read_text(), flags=re.MULTILINE)
    return set(rows)


def test_it_documents_every_event_type() -> None:
    missing = set(EventType.values) - documented()
    assert not missing, f"add these to docs/audit-events.md: {sorted(missing)}"


def test_it_documents_no_unknown_event_type() -> None:
    unknown = documented() - set(EventType.values)
    assert not unknown, f"docs/audit-events.md lists events that do not exist: {sorted(unknown)}"
