"""Walking both chains and the checkpoints: what `wellkept audit verify` reports."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from wellkept.audit import chain, checkpoints, heads
from wellkept.audit.models import AuditEntry, PseudonymousEntry


@dataclass(frozen=True)
class Problem:
    """One thing wrong, with where it is: an entry id, or 0 for the checkpoints and sinks."""

    entry_id: int
    message: str
    where: str = ""

    def __str__(self) -> str:
        place = self.where or (f"entry {self.entry_id}" if self.entry_id else "checkpoints")
        return f"{place}: {self.message}"


@dataclass
class VerifyResult:
    checked: int = 0
    first_id: int | None = None
    last_id: int | None = None
    pseudonymous_checked: int = 0
    last_checkpoint: int | None = None
    # False on a new installation where `audit init` has not run yet.
    started: bool = True
    problems: list[Problem] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = (
            f"verified {self.checked} entries up to id {self.last_id or 0} and "
            f"{self.pseudonymous_checked} pseudonymous entries"
        )
        cp = self.last_checkpoint if self.last_checkpoint is not None else "none"
        state = (
            "intact"
            if self.intact
            else f"{len(self.problems)} problem(s), first at {self.problems[0]}"
        )
        return f"{head}, last checkpoint {cp}: {state}"


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _walk_identified(
    result: VerifyResult,
    *,
    start_id: int,
    batch_size: int,
    progress: Callable[[int], object] | None,
) -> None:
    key = chain.chain_key()
    compute = chain.compute_mac
    rows = AuditEntry.objects.order_by("id")
    if start_id > 1:
        rows = rows.filter(id__gte=start_id)
    expected_id = start_id
    # From a checkpoint, the anchoring entry's own prev_mac is not checked.
    anchored = start_id == 1
    prev_mac = ""
    for row in rows.values_list(*chain.FIELDS, "mac").iterator(chunk_size=batch_size):
        entry_id, stored_prev, stored_mac = row[0], row[-2], row[-1]
        if entry_id != expected_id:
            result.problems.append(
                Problem(
                    expected_id, f"missing: ids {expected_id}..{entry_id - 1} are absent (deleted)"
                )
            )
        if anchored and not _equal(stored_prev, prev_mac):
            result.problems.append(
                Problem(
                    entry_id, "does not follow the entry before it (deleted, reordered or inserted)"
                )
            )
        anchored = True
        if not _equal(compute(row[:-1], key=key), stored_mac):
            result.problems.append(Problem(entry_id, "MAC does not match (edited or forged)"))
        prev_mac = stored_mac
        expected_id = entry_id + 1
        result.checked += 1
        if result.first_id is None:
            result.first_id = entry_id
        result.last_id = entry_id
        if progress is not None and result.checked % batch_size == 0:
            progress(batch_size)


def _walk_pseudonymous(result: VerifyResult, *, batch_size: int) -> dict[int, str]:
    """Open every link, put the entries back in order, check the chain; return position -> MAC."""
    key = chain.pseudonymous_key()
    by_position: dict[int, tuple[int, str, str]] = {}
    rows = PseudonymousEntry.objects.order_by("id").values_list(
        *chain.PSEUDONYMOUS_FIELDS, "link", "mac"
    )
    for row in rows.iterator(chunk_size=batch_size):
        entry_id, link, stored_mac = row[0], row[-2], row[-1]
        where = f"pseudonymous entry {entry_id}"
        result.pseudonymous_checked += 1
        try:
            position, prev, _ = chain.unseal_head(link, context=heads.link_context(entry_id))
        except chain.SealError:
            result.problems.append(
                Problem(
                    0, "its sealed link does not open (edited, or copied from another row)", where
                )
            )
            continue
        expected = chain.pseudonymous_mac(row[:-2], position=position, prev_mac=prev, key=key)
        if not _equal(expected, stored_mac):
            result.problems.append(Problem(0, "MAC does not match (edited or forged)", where))
            continue
        if position in by_position:
            result.problems.append(
                Problem(0, f"claims position {position}, which another entry holds", where)
            )
            continue
        by_position[position] = (entry_id, prev, stored_mac)
    macs: dict[int, str] = {}
    prev_mac = ""
    last = max(by_position, default=0)
    missing: list[int] = []
    for position in range(1, last + 1):
        found = by_position.get(position)
        if found is None:
            missing.append(position)
            prev_mac = ""
            continue
        entry_id, prev, mac = found
        if prev_mac and not _equal(prev, prev_mac):
            result.problems.append(
                Problem(
                    0,
                    "does not follow the entry before it (replaced or inserted)",
                    f"pseudonymous entry {entry_id}",
                )
            )
        prev_mac = mac
        macs[position] = mac
    if missing:
        result.problems.append(
            Problem(
                0,
                f"positions {checkpoints._ranges(missing)} of {last} are absent (deleted)",
                "pseudonymous chain",
            )
        )
    try:
        head_position, head_mac = heads.pseudonymous_head()
    except chain.SealError:
        result.problems.append(
            Problem(0, "its sealed head does not open (edited)", "pseudonymous chain")
        )
    else:
        if head_position != last or (last and not _equal(head_mac, macs.get(last, ""))):
            result.problems.append(
                Problem(
                    0,
                    f"the recorded head ({head_position}) is not where the entries end ({last})",
                    "pseudonymous chain",
                )
            )
    return macs


def chain_verify(
    *,
    since_checkpoint: bool = False,
    batch_size: int = 5000,
    progress: Callable[[int], object] | None = None,
) -> VerifyResult:
    """Walk both chains (the identified one from the last checkpoint if asked) and the sinks."""
    result = VerifyResult()
    evidence = checkpoints.read_evidence()
    latest = evidence.latest
    start_id = 1
    if latest is not None:
        result.last_checkpoint = latest.seq
        audit_head = latest.heads.get(heads.IDENTIFIED)
        if since_checkpoint and audit_head is not None and audit_head.position:
            start_id = audit_head.position
    _walk_identified(result, start_id=start_id, batch_size=batch_size, progress=progress)
    pseudo_macs = _walk_pseudonymous(result, batch_size=batch_size)

    if not evidence.initialised:
        if result.checked or result.pseudonymous_checked:
            evidence.problems.append(
                "no checkpoint sink holds a checkpoint, but the trail holds entries: the sinks "
                "were deleted, emptied or never created. Restore them from a copy; "
                "`wellkept audit init` refuses a trail that is not empty"
            )
        elif not evidence.problems:
            result.started = False
            evidence.problems.append(
                "the audit trail was never started here: run `wellkept audit init` on this new "
                "installation"
            )
    else:

        def walked(positions: set[int]) -> dict[int, str]:
            # The walk above opened every link already: no second pass.
            return {p: pseudo_macs[p] for p in positions if p in pseudo_macs}

        sources = [
            checkpoints.HeadSource(s.name, s.current, walked, s.sealed)
            if s.name == heads.PSEUDONYMOUS
            else s
            for s in checkpoints.head_sources()
        ]
        since_seq = latest.seq if since_checkpoint and latest is not None else 0
        checkpoints.compare_heads(evidence, sources=sources, since_seq=since_seq)
    result.problems.extend(Problem(0, message) for message in evidence.problems)
    result.notices.extend(evidence.notices)
    return result
