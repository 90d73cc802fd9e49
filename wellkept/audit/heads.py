"""The two audit chains as checkpoint heads: where each ends, and what it holds where."""

from __future__ import annotations

from wellkept.audit import chain, checkpoints
from wellkept.audit.models import AuditEntry, PseudonymousEntry, PseudonymousHead

IDENTIFIED = "audit"
PSEUDONYMOUS = "audit-pseudonymous"

# What the sealed pseudonymous head and links are bound to (associated data).
HEAD_CONTEXT = b"wk-audit-pseudonymous-head"
_BATCH = 1000


def link_context(entry_id: int) -> bytes:
    return b"wk-audit-pseudonymous-link|" + str(entry_id).encode("ascii")


def identified_head() -> checkpoints.Head:
    head = AuditEntry.objects.order_by("-id").values_list("id", "mac").first()
    if head is None:
        return checkpoints.Head.empty()
    # Ids are dense from 1, so the last id is also the count.
    return checkpoints.Head(head[0], head[1], head[0])


def identified_macs_at(positions: set[int]) -> dict[int, str]:
    wanted = sorted(positions)
    found: dict[int, str] = {}
    for start in range(0, len(wanted), _BATCH):
        batch = wanted[start : start + _BATCH]
        found.update(AuditEntry.objects.filter(id__in=batch).values_list("id", "mac"))
    return found


def pseudonymous_head() -> tuple[int, str]:
    """Return (position, MAC) of the pseudonymous chain's last entry; (0, "") when empty."""
    sealed = PseudonymousHead.objects.filter(pk=1).values_list("sealed", flat=True).first()
    if sealed is None:
        return 0, ""
    position, mac, _count = chain.unseal_head(sealed, context=HEAD_CONTEXT)
    return position, mac


def pseudonymous_current() -> checkpoints.Head:
    position, mac = pseudonymous_head()
    return checkpoints.Head(position, mac, position)


def pseudonymous_macs_at(positions: set[int]) -> dict[int, str]:
    """Open every link (the order is sealed, so there is no index by position)."""
    wanted = set(positions)
    found: dict[int, str] = {}
    rows = PseudonymousEntry.objects.values_list("id", "link", "mac")
    for entry_id, link, mac in rows.iterator(chunk_size=_BATCH):
        try:
            position, _prev, _ = chain.unseal_head(link, context=link_context(entry_id))
        except chain.SealError:
            continue
        if position in wanted:
            found[position] = mac
    return found


def register() -> None:
    """Every checkpoint records both chains: the pseudonymous one sealed."""
    checkpoints.register_head(IDENTIFIED, current=identified_head, macs_at=identified_macs_at)
    checkpoints.register_head(
        PSEUDONYMOUS, current=pseudonymous_current, macs_at=pseudonymous_macs_at, sealed=True
    )
