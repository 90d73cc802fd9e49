"""Checkpoints: a chain of signed statements of where the trail ends, kept outside it.

Cutting a table's tail leaves a shorter chain that is still internally
consistent; only a copy of the head kept elsewhere shows it. A checkpoint
says "at this time, chain X ended at position P with MAC M after C entries"
for every registered chain, and is itself chained: a sequence number, the
previous checkpoint's MAC, and an HMAC under a key derived from the audit
secret. Every checkpoint goes to every configured sink (wellkept.audit.sinks);
`wellkept audit verify` reads them back, compares the sinks with each other
and the heads with the tables.

The interface other apps use (docs/security.md, "Checkpointing another
chain"):

- ``register_head(name, current=..., macs_at=..., sealed=False)`` once, from
  ``AppConfig.ready()``: ``current()`` returns the chain's ``Head`` now,
  ``macs_at(positions)`` the MAC the database (or journal) holds at each
  position. Every checkpoint from then on carries that head; `verify`
  checks it.
- ``checkpoint_soon()`` after a commit that moved it: a checkpoint follows
  within WELLKEPT_AUDIT_CHECKPOINT_SECONDS.

A sealed head (the pseudonymous chain) is encrypted with a fresh nonce in
every checkpoint, and never decides whether or when one is written, so the
checkpoints say nothing about when that chain moved.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection

from wellkept import clock
from wellkept.audit import chain
from wellkept.audit.sinks import Sink, SinkError, SinkMissing, configured_sinks

logger = logging.getLogger(__name__)

FORMAT = "wk-checkpoint-v2"
GENESIS = "genesis"
CHECKPOINT = "checkpoint"
REWIND = "rewind"
KINDS = (GENESIS, CHECKPOINT, REWIND)
_KEYS = {"v", "seq", "prev", "at", "kind", "heads", "sealed", "note", "mac"}
# pg_advisory_lock key for writers: "wk-cpnt" as a bigint, apart from the chain lock.
WRITER_LOCK_KEY = int.from_bytes(b"wk-cpnt", "big")


@dataclass(frozen=True)
class Head:
    """Where a chain ends: the last position, its MAC, and how many entries it holds."""

    position: int
    mac: str
    count: int

    @classmethod
    def empty(cls) -> Head:
        return cls(0, "", 0)


@dataclass(frozen=True)
class HeadSource:
    name: str
    current: Callable[[], Head]
    macs_at: Callable[[set[int]], dict[int, str]]
    sealed: bool


_sources: dict[str, HeadSource] = {}


def register_head(
    name: str,
    *,
    current: Callable[[], Head],
    macs_at: Callable[[set[int]], dict[int, str]],
    sealed: bool = False,
) -> None:
    """Add a chain whose head every checkpoint from now on records (see the module docstring)."""
    _sources[name] = HeadSource(name, current, macs_at, sealed)


def head_sources() -> list[HeadSource]:
    return list(_sources.values())


def checkpoint_soon() -> None:
    """Once the caller's transaction commits, a checkpoint follows within the second.

    For a public head only: a sealed one is covered by the heartbeat, since
    a checkpoint that follows its commits would say when they happened.
    """
    from django.db import transaction

    from wellkept.audit.checkpointer import commit_seen

    transaction.on_commit(commit_seen)


def latest_head(name: str) -> Head | None:
    """The head ``name`` has in the newest authentic checkpoint any sink holds; None if none.

    Reads one line of each sink, so it is cheap enough to ask before every
    write that must not run behind what the checkpoints saw.
    """
    newest, _ = _newest(configured_sinks())
    return None if newest is None else newest.head(name)


class NotInitialised(SinkError):
    """No sink holds a checkpoint: `wellkept audit init` has not been run."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    prev: str
    at: str
    kind: str
    heads: dict[str, Head]
    sealed: dict[str, str]
    note: str = ""
    mac: str = ""

    def _body(self) -> dict[str, Any]:
        return {
            "v": FORMAT,
            "seq": self.seq,
            "prev": self.prev,
            "at": self.at,
            "kind": self.kind,
            "heads": {k: [h.position, h.mac, h.count] for k, h in sorted(self.heads.items())},
            "sealed": dict(sorted(self.sealed.items())),
            "note": self.note,
        }

    def expected_mac(self) -> str:
        payload = json.dumps(self._body(), sort_keys=True, separators=(",", ":"))
        return hmac.new(chain.checkpoint_key(), payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def signed(self) -> Checkpoint:
        return Checkpoint(
            self.seq,
            self.prev,
            self.at,
            self.kind,
            self.heads,
            self.sealed,
            self.note,
            self.expected_mac(),
        )

    def is_authentic(self) -> bool:
        return hmac.compare_digest(self.expected_mac().encode(), self.mac.encode())

    def to_line(self) -> str:
        return json.dumps({**self._body(), "mac": self.mac}, sort_keys=True, separators=(",", ":"))

    def seal_context(self, name: str) -> bytes:
        return f"wk-checkpoint|{name}|{self.seq}".encode()

    def head(self, name: str) -> Head | None:
        """The named head, opening it when sealed; None when this checkpoint lacks it."""
        if name in self.heads:
            return self.heads[name]
        blob = self.sealed.get(name)
        if blob is None:
            return None
        position, mac, count = chain.unseal_head(blob, context=self.seal_context(name))
        return Head(position, mac, count)

    def names(self) -> set[str]:
        return set(self.heads) | set(self.sealed)


class BadLine(ValueError):
    """A sink line that is not a checkpoint."""


def parse(line: str) -> Checkpoint:
    """Read one line strictly: unknown or missing keys, wrong types and bad kinds are refused."""
    try:
        data = json.loads(line)
    except ValueError:
        raise BadLine("not JSON") from None
    if not isinstance(data, dict) or set(data) != _KEYS or data["v"] != FORMAT:
        raise BadLine("not a Wellkept checkpoint")
    try:
        heads = {
            str(name): Head(int(v[0]), str(v[1]), int(v[2])) for name, v in data["heads"].items()
        }
        sealed = {str(name): str(v) for name, v in data["sealed"].items()}
        checkpoint = Checkpoint(
            seq=int(data["seq"]),
            prev=str(data["prev"]),
            at=str(data["at"]),
            kind=str(data["kind"]),
            heads=heads,
            sealed=sealed,
            note=str(data["note"]),
            mac=str(data["mac"]),
        )
    except (TypeError, ValueError, IndexError, AttributeError):
        raise BadLine("malformed fields") from None
    if checkpoint.kind not in KINDS or checkpoint.seq < 1:
        raise BadLine("malformed fields")
    return checkpoint


def seq_of(line: str) -> int | None:
    try:
        return parse(line).seq
    except BadLine:
        return None


def _now_text() -> str:
    return clock.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


# -- writing -------------------------------------------------------------------


@contextmanager
def _writer_lock() -> Iterator[None]:
    """One checkpoint writer at a time, across processes (and hosts on PostgreSQL)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [WRITER_LOCK_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [WRITER_LOCK_KEY])
        return
    lock_path = Path(settings.WELLKEPT_AUDIT_CHECKPOINT_FILE).parent / ".checkpoint.lock"
    lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _current_heads(checkpoint_seq: int) -> tuple[dict[str, Head], dict[str, str]]:
    heads: dict[str, Head] = {}
    sealed: dict[str, str] = {}
    for source in head_sources():
        head = source.current()
        if source.sealed:
            context = f"wk-checkpoint|{source.name}|{checkpoint_seq}".encode()
            sealed[source.name] = chain.seal_head(
                head.position, head.mac, head.count, context=context
            )
        else:
            heads[source.name] = head
    return heads, sealed


def _deliver(sinks: list[Sink], checkpoint: Checkpoint) -> None:
    line = checkpoint.to_line()
    for sink in sinks:
        try:
            sink.append(checkpoint.seq, line)
        except SinkError as exc:
            # The others still get it; `verify` reports the sink that lags.
            logger.error(
                "audit checkpoint %s not written to %s: %s", checkpoint.seq, sink.name, exc
            )


def _newest(sinks: list[Sink]) -> tuple[Checkpoint | None, dict[str, int]]:
    """Return the newest authentic checkpoint any readable sink holds, and each sink's last seq."""
    newest: Checkpoint | None = None
    reached: dict[str, int] = {}
    for sink in sinks:
        if not sink.readable:
            continue
        try:
            line = sink.last()
        except SinkMissing:
            # Reported by `verify`, and by the writer when no sink holds one.
            continue
        except SinkError as exc:
            logger.error("audit checkpoint sink %s cannot be read: %s", sink.name, exc)
            continue
        if line is None:
            reached[sink.name] = 0
            continue
        try:
            found = parse(line)
        except BadLine:
            logger.error("the last line of checkpoint sink %s is damaged", sink.name)
            continue
        if not found.is_authentic():
            logger.error("the last line of checkpoint sink %s fails its MAC", sink.name)
            continue
        reached[sink.name] = found.seq
        if newest is None or found.seq > newest.seq:
            newest = found
    return newest, reached


def _catch_up(sinks: list[Sink], newest: Checkpoint, reached: dict[str, int]) -> None:
    """Copy to a sink the checkpoints it missed (a crash between two sinks' writes).

    Only lines that authenticate are copied, from the sink that holds them,
    so nothing is vouched for that was not vouched for before. A sink that
    lost lines by tampering is set right as well; the log says so, and
    `verify` run before this write would have reported it.
    """
    leader = next((s for s in sinks if s.readable and reached.get(s.name) == newest.seq), None)
    if leader is None:
        return
    for sink in sinks:
        behind = reached.get(sink.name)
        if behind is None or behind >= newest.seq or sink is leader:
            continue
        try:
            missing = [line for line in leader.lines(after=behind) if parse(line).is_authentic()]
            for line in missing:
                sink.append(parse(line).seq, line)
        except (SinkError, BadLine) as exc:
            logger.error("checkpoint sink %s could not be brought up to date: %s", sink.name, exc)
            continue
        logger.warning(
            "checkpoint sink %s lacked checkpoints %s..%s; copied them from %s",
            sink.name,
            behind + 1,
            newest.seq,
            leader.name,
        )


def checkpoint_write(
    *, heartbeat_seconds: float | None = None, force: bool = False
) -> Checkpoint | None:
    """Write the next checkpoint to every sink, if anything public moved (or ``force``).

    With ``heartbeat_seconds``: write when the newest checkpoint is older
    than that, whatever moved (sealed heads are re-sealed, so a reader
    cannot tell whether they moved). Raises NotInitialised when no sink
    holds a checkpoint yet.
    """
    sinks = configured_sinks()
    with _writer_lock():
        newest, reached = _newest(sinks)
        if newest is None:
            raise NotInitialised(
                "No checkpoint sink holds a checkpoint: the audit trail was never started "
                "here (run `wellkept audit init` on a new installation), or every sink was "
                "lost (run `wellkept audit verify`)."
            )
        _catch_up(sinks, newest, reached)
        seq = newest.seq + 1
        heads, sealed = _current_heads(seq)
        if not force:
            age = (clock.now() - parse_time(newest.at)).total_seconds()
            beat_due = heartbeat_seconds is not None and age >= heartbeat_seconds
            moved = any(newest.heads.get(name) != head for name, head in heads.items())
            if not (moved or beat_due):
                return None
        checkpoint = Checkpoint(
            seq=seq, prev=newest.mac, at=_now_text(), kind=CHECKPOINT, heads=heads, sealed=sealed
        ).signed()
        _deliver(sinks, checkpoint)
    return checkpoint


def checkpoint_initialise() -> Checkpoint:
    """Create every sink and write the genesis checkpoint; refuse unless all are empty.

    Only `wellkept audit init` calls this, after checking that the tables
    are empty too.
    """
    sinks = configured_sinks()
    with _writer_lock():
        holding = []
        for sink in sinks:
            if not sink.readable:
                continue
            try:
                if sink.last() is not None:
                    holding.append(sink.name)
            except SinkMissing:
                continue
        if holding:
            raise SinkError(
                "These checkpoint sinks already hold checkpoints: " + ", ".join(holding) + ". "
                "A trail is started only once; run `wellkept audit verify` to see its state."
            )
        for sink in sinks:
            sink.create()
        heads = {s.name: Head.empty() for s in head_sources() if not s.sealed}
        genesis = Checkpoint(seq=1, prev="", at=_now_text(), kind=GENESIS, heads=heads, sealed={})
        sealed = {
            s.name: chain.seal_head(0, "", 0, context=genesis.seal_context(s.name))
            for s in head_sources()
            if s.sealed
        }
        genesis = Checkpoint(
            seq=1, prev="", at=genesis.at, kind=GENESIS, heads=heads, sealed=sealed
        ).signed()
        _deliver(sinks, genesis)
    return genesis


def checkpoint_rewind(*, note: str) -> Checkpoint:
    """Record that the tables were put back to an earlier state on purpose (a restore).

    The next checkpoint may then hold heads behind the ones before it;
    `verify` treats entries past the rewound heads as lost with the restore
    (and says how many), not as a cut tail. Everything before stays checked.
    """
    sinks = configured_sinks()
    with _writer_lock():
        newest, reached = _newest(sinks)
        if newest is None:
            raise NotInitialised("No checkpoint sink holds a checkpoint to continue from.")
        _catch_up(sinks, newest, reached)
        seq = newest.seq + 1
        heads, sealed = _current_heads(seq)
        checkpoint = Checkpoint(
            seq=seq,
            prev=newest.mac,
            at=_now_text(),
            kind=REWIND,
            heads=heads,
            sealed=sealed,
            note=note[:300],
        ).signed()
        _deliver(sinks, checkpoint)
    return checkpoint


# -- reading and checking ------------------------------------------------------


@dataclass
class SinkReading:
    name: str
    checkpoints: dict[int, Checkpoint] = field(default_factory=dict)
    state: str = "ok"  # ok, missing, empty, unreadable


@dataclass
class Evidence:
    """What the sinks say, and every problem found in them (sentences)."""

    readings: list[SinkReading] = field(default_factory=list)
    merged: list[Checkpoint] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def initialised(self) -> bool:
        return bool(self.merged)

    @property
    def latest(self) -> Checkpoint | None:
        return self.merged[-1] if self.merged else None


def _read_sink(sink: Sink, evidence: Evidence) -> SinkReading:
    reading = SinkReading(sink.name)
    try:
        lines = sink.lines()
    except SinkMissing:
        reading.state = "missing"
        return reading
    except SinkError as exc:
        reading.state = "unreadable"
        evidence.problems.append(f"checkpoint sink {sink.name} cannot be read: {exc}")
        return reading
    if not lines:
        reading.state = "empty"
        return reading
    for number, line in enumerate(lines, start=1):
        try:
            checkpoint = parse(line)
        except BadLine as exc:
            evidence.problems.append(f"checkpoint sink {sink.name}, line {number}: {exc}")
            continue
        if not checkpoint.is_authentic():
            evidence.problems.append(
                f"checkpoint sink {sink.name}, checkpoint {checkpoint.seq}: its MAC does not "
                "match (forged or edited)"
            )
            continue
        earlier = reading.checkpoints.get(checkpoint.seq)
        if earlier is not None and earlier.mac != checkpoint.mac:
            evidence.problems.append(
                f"checkpoint sink {sink.name} holds two different checkpoints numbered "
                f"{checkpoint.seq}: the checkpoint chain was rewritten"
            )
            continue
        reading.checkpoints[checkpoint.seq] = checkpoint
    _check_sequence(reading, evidence)
    return reading


def _ranges(numbers: Iterable[int]) -> str:
    ordered = sorted(numbers)
    spans: list[str] = []
    start = prev = ordered[0]
    for n in ordered[1:]:
        if n == prev + 1:
            prev = n
            continue
        spans.append(f"{start}" if start == prev else f"{start}..{prev}")
        start = prev = n
    spans.append(f"{start}" if start == prev else f"{start}..{prev}")
    return ", ".join(spans)


def _check_sequence(reading: SinkReading, evidence: Evidence) -> None:
    found = reading.checkpoints
    if not found:
        return
    last = max(found)
    absent = [n for n in range(1, last + 1) if n not in found]
    if 1 not in found:
        evidence.problems.append(
            f"checkpoint sink {reading.name} does not begin with the trail's first checkpoint "
            f"(checkpoints {_ranges(absent)} are missing): it was cut, or replaced"
        )
    elif absent:
        evidence.problems.append(
            f"checkpoint sink {reading.name} lacks checkpoints {_ranges(absent)}: lines were "
            "removed, or writes to it failed (the application log says which)"
        )
    if 1 in found and found[1].kind != GENESIS:
        evidence.problems.append(f"checkpoint sink {reading.name} does not begin with a genesis")
    for seq in sorted(found):
        previous = found.get(seq - 1)
        if previous is not None and not hmac.compare_digest(
            found[seq].prev.encode(), previous.mac.encode()
        ):
            evidence.problems.append(
                f"checkpoint sink {reading.name}, checkpoint {seq} does not follow checkpoint "
                f"{seq - 1}: the checkpoint chain was spliced"
            )


def read_evidence(sinks: list[Sink] | None = None) -> Evidence:
    """Read every readable sink and compare them; heads are not checked here.

    Under the writers' lock, so a checkpoint being written to one sink and
    not yet to the next is not mistaken for a sink left behind.
    """
    with _writer_lock():
        return _read_evidence(sinks)


def _read_evidence(sinks: list[Sink] | None) -> Evidence:
    evidence = Evidence()
    readable = [s for s in (configured_sinks() if sinks is None else sinks) if s.readable]
    if not readable:
        evidence.problems.append(
            "no checkpoint sink can be read back (only write-only sinks are configured): "
            "configure a file or database sink in WELLKEPT_AUDIT_CHECKPOINT_SINKS"
        )
        return evidence
    evidence.readings = [_read_sink(sink, evidence) for sink in readable]
    holding = [r for r in evidence.readings if r.checkpoints]
    if not holding:
        return evidence
    for reading in evidence.readings:
        if reading.state == "missing":
            evidence.problems.append(
                f"checkpoint sink {reading.name} is missing, while another holds the trail's "
                "checkpoints: it was deleted (restore it from a copy; never re-initialise)"
            )
        elif reading.state == "empty":
            evidence.problems.append(
                f"checkpoint sink {reading.name} is empty, while another holds the trail's "
                "checkpoints: it was emptied or replaced"
            )
    merged: dict[int, Checkpoint] = {}
    for reading in holding:
        for seq, checkpoint in reading.checkpoints.items():
            other = merged.get(seq)
            if other is None:
                merged[seq] = checkpoint
            elif other.mac != checkpoint.mac:
                evidence.problems.append(
                    f"checkpoint sinks disagree about checkpoint {seq}: one of them was rewritten"
                )
    top = max(merged)
    for reading in holding:
        last = max(reading.checkpoints)
        if last < top:
            evidence.problems.append(
                f"checkpoint sink {reading.name} ends at checkpoint {last}, another reaches "
                f"{top}: it was rolled back, or the last writes to it failed (the application "
                "log says which; the next checkpoint copies them over)"
            )
    evidence.merged = [merged[seq] for seq in sorted(merged)]
    return evidence


@dataclass
class HeadCheck:
    """One head position a checkpoint vouches for, to compare with the database."""

    seq: int
    name: str
    head: Head
    lost: bool  # past a later rewind: entries given up with a restore


def head_checks(evidence: Evidence) -> list[HeadCheck]:
    """Every (checkpoint, head) pair to compare, with heads past a later rewind marked lost."""
    checks: list[HeadCheck] = []
    floor: dict[str, int] = {}
    for checkpoint in reversed(evidence.merged):
        for name in sorted(checkpoint.names()):
            try:
                head = checkpoint.head(name)
            except chain.SealError:
                evidence.problems.append(
                    f"checkpoint {checkpoint.seq}: its sealed head of {name} does not open"
                )
                continue
            if head is None:
                continue
            lost = name in floor and head.position > floor[name]
            checks.append(HeadCheck(checkpoint.seq, name, head, lost))
            if checkpoint.kind == REWIND:
                floor[name] = min(floor.get(name, head.position), head.position)
    checks.reverse()
    _check_monotonic(evidence, checks)
    return checks


def _check_monotonic(evidence: Evidence, checks: list[HeadCheck]) -> None:
    kinds = {c.seq: c.kind for c in evidence.merged}
    last: dict[str, HeadCheck] = {}
    for check in checks:
        before = last.get(check.name)
        if (
            before is not None
            and check.head.position < before.head.position
            and kinds.get(check.seq) != REWIND
        ):
            evidence.problems.append(
                f"checkpoint {check.seq} puts the end of {check.name} back from "
                f"{before.head.position} to {check.head.position} without a recorded restore"
            )
        last[check.name] = check


def compare_heads(
    evidence: Evidence, *, sources: list[HeadSource] | None = None, since_seq: int = 0
) -> None:
    """Check every vouched head against what each chain's source holds now."""
    sources = head_sources() if sources is None else sources
    by_name = {s.name: s for s in sources}
    checks = [c for c in head_checks(evidence) if c.seq >= since_seq]
    lost: dict[str, int] = {}
    wanted: dict[str, set[int]] = {}
    for check in checks:
        if check.lost:
            continue
        if check.head.position:
            wanted.setdefault(check.name, set()).add(check.head.position)
    held = {
        name: by_name[name].macs_at(positions)
        for name, positions in wanted.items()
        if name in by_name
    }
    currents = {name: source.current() for name, source in by_name.items()}
    reported: set[tuple[str, int]] = set()
    for check in checks:
        source = by_name.get(check.name)
        if source is None:
            continue
        if check.lost:
            lost[check.name] = max(lost.get(check.name, 0), check.head.position)
            continue
        position = check.head.position
        if not position or (check.name, position) in reported:
            continue
        mac = held.get(check.name, {}).get(position)
        current = currents[check.name]
        if mac is None:
            reported.add((check.name, position))
            where = "is empty" if current.position == 0 else f"ends at {current.position}"
            evidence.problems.append(
                f"{check.name}: checkpoint {check.seq} vouches for entry {position}, but the "
                f"chain {where}: entries were removed after the checkpoint was written"
            )
        elif not hmac.compare_digest(mac.encode(), check.head.mac.encode()):
            reported.add((check.name, position))
            evidence.problems.append(
                f"{check.name}: entry {position} differs from what checkpoint {check.seq} "
                "vouched for: the chain was cut and rewritten"
            )
    for name, position in lost.items():
        evidence.notices.append(
            f"{name}: entries up to {position} were vouched for before a recorded restore; "
            "those past the restored end were lost with it"
        )
