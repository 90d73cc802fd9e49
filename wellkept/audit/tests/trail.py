"""Reading both chains in tests: what was written since a mark, whichever chain it went to.

A participant's own events go to the pseudonymous chain, which has no order
to read back (that is its point), so "since" there means "not there before".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from wellkept.audit import services as audit_services
from wellkept.audit.models import AuditEntry, PseudonymousEntry

Entry = AuditEntry | PseudonymousEntry

# What would tie a pseudonymous entry to a sign-in: a time, the request, the
# login, the order. None of them may exist in that chain.
LINKING_FIELDS = frozenset({"created_at", "ip", "user_agent", "request_id", "actor_id", "prev_mac"})


@dataclass(frozen=True)
class Mark:
    identified: int
    pseudonymous: frozenset[int]


def mark() -> Mark:
    last = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    return Mark(last, frozenset(PseudonymousEntry.objects.values_list("id", flat=True)))


def written_since(since: Mark) -> list[Entry]:
    """Identified entries in order, then the pseudonymous ones (in no order)."""
    identified: list[Entry] = list(
        AuditEntry.objects.filter(id__gt=since.identified).order_by("id")
    )
    fresh = PseudonymousEntry.objects.exclude(id__in=since.pseudonymous).order_by("id")
    return identified + list(fresh)


def everything() -> list[Entry]:
    return written_since(Mark(0, frozenset()))


class Watch:
    """Each entry as ``audit_record`` writes it, so a sweep checks every call without a query.

    A sweep of thousands of decisions would read both tables twice per
    decision (``mark`` and ``written_since``); on PostgreSQL those round
    trips were most of its time. The watch hands each call's entries over
    as they are written, and ``confirm`` then proves, in one read, that the
    tables hold exactly those entries and nothing else: an entry written
    past the watch (another path to the tables) fails it.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self._start = mark()
        self._fresh: list[Entry] = []
        self._taken: list[Entry] = []
        original = audit_services.audit_record

        def watched(**kwargs: Any) -> Entry:
            entry = original(**kwargs)
            self._fresh.append(entry)
            return entry

        monkeypatch.setattr(audit_services, "audit_record", watched)

    def take(self) -> list[Entry]:
        """The entries written since the last take, in the order written."""
        fresh, self._fresh = self._fresh, []
        self._taken.extend(fresh)
        return fresh

    def confirm(self) -> None:
        """Assert the tables hold every entry taken, as taken, and none other since the start."""
        self.take()
        stored = {(type(e), e.pk): e for e in written_since(self._start)}
        taken = {(type(e), e.pk): e for e in self._taken}
        assert stored.keys() == taken.keys(), "entries written past the watch, or never stored"
        for key, entry in taken.items():
            kept = stored[key]
            assert (kept.event, kept.outcome, kept.purpose, kept.target, kept.mac) == (
                entry.event,
                entry.outcome,
                entry.purpose,
                entry.target,
                entry.mac,
            )
