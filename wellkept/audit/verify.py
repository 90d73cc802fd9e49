"""Walking the chain and the checkpoints: what `wellkept audit verify` reports."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass, field

from wellkept.audit import chain, checkpoints
from wellkept.audit.models import AuditEntry


@dataclass(frozen=True)
class Problem:
    entry_id: int
    message: str

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.message}"


@dataclass
class VerifyResult:
    checked: int = 0
    first_id: int | None = None
    last_id: int | None = None
    last_checkpoint_id: int | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        head = f"verified {self.checked} entries up to id {self.last_id or 0}"
        cp = self.last_checkpoint_id if self.last_checkpoint_id is not None else "none"
        state = (
            "intact"
            if self.intact
            else f"{len(self.problems)} problem(s), first at {self.problems[0]}"
        )
        return f"{head}, last checkpoint id {cp}: {state}"


def _equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def _read_checkpoints(result: VerifyResult) -> dict[int, str]:
    """Return authentic checkpoints as {entry id: mac}; report forged or damaged lines."""
    sink = checkpoints.readable_sink()
    found: dict[int, str] = {}
    if sink is None:
        return found
    for number, checkpoint in enumerate(sink.read(), start=1):
        if checkpoint is None:
            result.problems.append(Problem(0, f"checkpoint line {number} is unreadable"))
            continue
        if not checkpoint.is_authentic():
            result.problems.append(
                Problem(checkpoint.entry_id, f"checkpoint line {number} has a forged HMAC")
            )
            continue
        earlier = found.get(checkpoint.entry_id)
        if earlier is not None and earlier != checkpoint.mac:
            # Two genuine checkpoints for one id: the chain was cut back past
            # this id and grown again. Keeping only the last one would let a
            # rewritten history verify as intact.
            result.problems.append(
                Problem(
                    checkpoint.entry_id,
                    f"checkpoint line {number} contradicts an earlier checkpoint of the same "
                    "entry: the chain was cut and rewritten",
                )
            )
            continue
        found[checkpoint.entry_id] = checkpoint.mac
    if found:
        result.last_checkpoint_id = max(found)
    return found


def chain_verify(
    *,
    since_checkpoint: bool = False,
    batch_size: int = 5000,
    progress: Callable[[int], object] | None = None,
) -> VerifyResult:
    """Walk the whole chain (or from the last checkpoint) and report every break."""
    result = VerifyResult()
    marks = _read_checkpoints(result)
    key = chain.chain_key()
    compute = chain.compute_mac

    start_id = 1
    prev_mac = ""
    rows = AuditEntry.objects.order_by("id")
    if since_checkpoint and result.last_checkpoint_id is not None:
        # The checkpointed entry itself is checked too: it anchors the walk.
        start_id = result.last_checkpoint_id
        rows = rows.filter(id__gte=start_id)
        prev_mac = ""
    expected_id = start_id
    anchored = not since_checkpoint or result.last_checkpoint_id is None
    seen_marks: set[int] = set()

    for row in rows.values_list(*chain.FIELDS, "mac").iterator(chunk_size=batch_size):
        entry_id, stored_prev, stored_mac = row[0], row[-2], row[-1]
        if entry_id != expected_id:
            result.problems.append(
                Problem(
                    expected_id,
                    f"missing: ids {expected_id}..{entry_id - 1} are absent (deleted)",
                )
            )
        if anchored and not _equal(stored_prev, prev_mac):
            result.problems.append(
                Problem(
                    entry_id,
                    "does not follow the entry before it (deleted, reordered or inserted)",
                )
            )
        anchored = True
        if not _equal(compute(row[:-1], key=key), stored_mac):
            result.problems.append(Problem(entry_id, "MAC does not match (edited or forged)"))
        mark = marks.get(entry_id)
        if mark is not None:
            seen_marks.add(entry_id)
            if not _equal(mark, stored_mac):
                result.problems.append(Problem(entry_id, "differs from its checkpoint"))
        prev_mac = stored_mac
        expected_id = entry_id + 1
        result.checked += 1
        if result.first_id is None:
            result.first_id = entry_id
        result.last_id = entry_id
        if progress is not None and result.checked % batch_size == 0:
            progress(batch_size)

    for mark_id in sorted(marks):
        if mark_id in seen_marks or mark_id < start_id:
            continue
        last = result.last_id or 0
        if mark_id > last:
            message = (
                f"truncated: a checkpoint vouches for entry {mark_id}, the chain ends at {last}"
            )
        else:
            message = "checkpointed entry is missing"
        result.problems.append(Problem(mark_id, message))
    return result
