"""Reading both chains in tests: what was written since a mark, whichever chain it went to.

A participant's own events go to the pseudonymous chain, which has no order
to read back (that is its point), so "since" there means "not there before".
"""

from __future__ import annotations

from dataclasses import dataclass

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
