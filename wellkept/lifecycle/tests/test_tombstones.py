"""The tombstone journal: signed, chained, append-only, outside the database."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from wellkept.lifecycle.tombstones import (
    Tombstone,
    TombstoneJournalError,
    journal_path,
    journal_position,
    journal_reaches,
    tombstone_append,
    tombstone_digest,
    tombstones_since,
)
from wellkept.vault.keyring import LocalFileKeyring, reset_keyring

T0 = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def journal(tmp_path: Path, settings) -> Path:
    path = tmp_path / "lifecycle" / "tombstones.jsonl"
    settings.WELLKEPT_TOMBSTONE_FILE = path
    return path


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def rewrite(path: Path, rows: list[dict]) -> None:
    path.write_text("".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows))


def test_it_records_a_keyed_digest_and_the_time_but_never_the_token(journal: Path) -> None:
    tombstone_append(token="tok-alpha-canary", at=T0)

    text = journal.read_text()
    assert "tok-alpha-canary" not in text
    assert tombstones_since(None) == [Tombstone(tombstone_digest("tok-alpha-canary"), T0)]


def test_it_gives_one_token_one_digest_and_different_tokens_different_ones() -> None:
    assert tombstone_digest("a") == tombstone_digest("a")
    assert tombstone_digest("a") != tombstone_digest("b")
    assert len(tombstone_digest("a")) == 64


def test_it_keys_the_digest_so_another_keyring_cannot_match_it(settings, tmp_path: Path) -> None:
    digest = tombstone_digest("tok")
    LocalFileKeyring(tmp_path / "other-keyring.json", create=True).current_kek_id()
    settings.WELLKEPT_KEYRING_FILE = tmp_path / "other-keyring.json"
    reset_keyring()

    assert tombstone_digest("tok") != digest


def test_it_creates_the_journal_readable_by_its_owner_only(journal: Path) -> None:
    tombstone_append(token="tok", at=T0)

    assert stat.S_IMODE(journal.stat().st_mode) == 0o600


def test_it_returns_tombstones_at_or_after_a_time_in_order() -> None:
    for hours, token in enumerate(["a", "b", "c"]):
        tombstone_append(token=token, at=T0 + dt.timedelta(hours=hours))

    since = tombstones_since(T0 + dt.timedelta(hours=1))

    assert [t.digest for t in since] == [tombstone_digest("b"), tombstone_digest("c")]
    assert len(tombstones_since(None)) == 3


def test_it_reads_an_absent_journal_as_empty() -> None:
    assert tombstones_since(None) == []
    assert journal_position().lines == 0


def test_it_refuses_a_naive_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        tombstone_append(token="tok", at=dt.datetime(2026, 1, 1))  # noqa: DTZ001


def test_it_detects_an_edited_time(journal: Path) -> None:
    tombstone_append(token="a", at=T0)
    rows = lines(journal)
    rows[0]["at"] = "2020-01-01T00:00:00.000000Z"
    rewrite(journal, rows)

    with pytest.raises(TombstoneJournalError, match=r"Line 1 .* edited or forged"):
        tombstones_since(None)


def test_it_detects_a_forged_line(journal: Path) -> None:
    tombstone_append(token="a", at=T0)
    rows = lines(journal)
    rows.append({**rows[0], "n": 2, "prev": rows[0]["mac"], "digest": "0" * 64})
    rewrite(journal, rows)

    with pytest.raises(TombstoneJournalError, match=r"Line 2 .* edited or forged"):
        tombstones_since(None)


def test_it_detects_a_deleted_line_in_the_middle(journal: Path) -> None:
    for token in ("a", "b", "c"):
        tombstone_append(token=token, at=T0)
    rows = lines(journal)
    rewrite(journal, [rows[0], rows[2]])

    with pytest.raises(TombstoneJournalError, match="does not follow"):
        tombstones_since(None)


def test_it_detects_reordered_lines(journal: Path) -> None:
    for token in ("a", "b"):
        tombstone_append(token=token, at=T0)
    rows = lines(journal)
    rewrite(journal, [rows[1], rows[0]])

    with pytest.raises(TombstoneJournalError, match="does not follow"):
        tombstones_since(None)


def test_it_refuses_to_append_after_a_torn_last_line(journal: Path) -> None:
    tombstone_append(token="a", at=T0)
    with journal.open("ab") as handle:
        handle.write(b'{"n":2,"dig')

    with pytest.raises(TombstoneJournalError, match="incomplete line"):
        tombstone_append(token="b", at=T0)
    with pytest.raises(TombstoneJournalError, match="incomplete line"):
        tombstones_since(None)


def test_it_reports_garbage_as_unreadable_not_a_traceback(journal: Path) -> None:
    journal.parent.mkdir(parents=True)
    journal.write_text("not json\n")

    with pytest.raises(TombstoneJournalError, match=r"Line 1 .* unreadable"):
        tombstones_since(None)


def test_it_knows_whether_the_journal_still_reaches_a_recorded_position(journal: Path) -> None:
    tombstone_append(token="a", at=T0)
    tombstone_append(token="b", at=T0)
    position = journal_position()
    tombstone_append(token="c", at=T0)

    assert position.lines == 2
    assert journal_reaches(position)

    # Cut back past the position: the line it names is gone.
    rewrite(journal, lines(journal)[:1])
    assert not journal_reaches(position)


def _append_many(path: str, keyring: str, start: int) -> None:
    import django

    django.setup()
    from django.conf import settings

    settings.WELLKEPT_TOMBSTONE_FILE = Path(path)
    settings.WELLKEPT_KEYRING_FILE = Path(keyring)
    settings.WELLKEPT_KEYRING_CREATE = False
    for i in range(start, start + 25):
        tombstone_append(token=f"tok-{i}", at=T0)


def test_it_keeps_the_chain_intact_with_several_processes_appending(
    journal: Path, settings
) -> None:
    tombstone_append(token="first", at=T0)  # creates the keyring file the children share
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(
            target=_append_many,
            args=(str(journal), str(settings.WELLKEPT_KEYRING_FILE), 100 * n),
        )
        for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    found = tombstones_since(None)
    assert len(found) == 1 + 4 * 25
    assert {t.digest for t in found} >= {tombstone_digest(f"tok-{300 + i}") for i in range(25)}


# ---- The head, kept in the database too (issue 15) -------------------------------------


@pytest.mark.django_db
def test_each_erasure_moves_the_databases_head_and_a_lost_journal_stops_erasures(hospital):
    from wellkept.assessments.tests.fixtures import SYSTEM
    from wellkept.lifecycle.models import TombstoneHead
    from wellkept.lifecycle.services import participant_erase
    from wellkept.orgs.models import Participant

    participant_erase(actor=SYSTEM, participant=hospital.participants["joe"])
    head = TombstoneHead.objects.get()
    assert (head.lines, head.mac) == (journal_position().lines, journal_position().mac)
    # The journal lost (or put back from an old copy): erasing would start
    # a second history the database's head never saw, so it stops, saying why.
    journal_path().unlink()
    sara = hospital.participants["sara"]
    with pytest.raises(TombstoneJournalError, match="does not reach line 1"):
        participant_erase(actor=SYSTEM, participant=sara)
    assert Participant.objects.filter(pk=sara.pk).exists()


@pytest.mark.django_db
def test_the_head_only_moves_forward():
    from wellkept.lifecycle.models import TombstoneHead
    from wellkept.lifecycle.tombstones import JournalPosition, tombstone_head_checkpoint

    tombstone_head_checkpoint(JournalPosition(5, "e" * 64), T0)
    tombstone_head_checkpoint(JournalPosition(3, "c" * 64), T0)  # a slower, earlier erasure
    assert TombstoneHead.objects.get().lines == 5
    TombstoneHead.objects.all().delete()
    tombstone_head_checkpoint(JournalPosition(6, "d" * 64), T0)
    assert TombstoneHead.objects.get().lines == 6


# ---- The head, in the audit checkpoints too: outside the database and this host -------------


@pytest.fixture
def checkpointed(hospital) -> None:
    """The checkpoint chain started over the hospital's existing trail."""
    from io import StringIO

    from django.core.management import call_command

    call_command("audit", "init", "--adopt", stdout=StringIO())


@pytest.mark.django_db
def test_every_checkpoint_records_where_the_journal_ends(hospital, checkpointed):
    from wellkept.assessments.tests.fixtures import SYSTEM
    from wellkept.audit import checkpoints
    from wellkept.lifecycle.services import participant_erase
    from wellkept.lifecycle.tombstones import CHECKPOINT_HEAD, journal_head

    assert checkpoints.latest_head(CHECKPOINT_HEAD) == checkpoints.Head.empty()
    participant_erase(actor=SYSTEM, participant=hospital.participants["joe"])
    participant_erase(actor=SYSTEM, participant=hospital.participants["sara"])
    checkpoints.checkpoint_write()

    end = journal_position()
    assert journal_head() == checkpoints.Head(2, end.mac, 2)
    assert checkpoints.latest_head(CHECKPOINT_HEAD) == checkpoints.Head(2, end.mac, 2)


@pytest.mark.django_db
def test_audit_verify_fails_when_the_journal_is_cut_back_after_a_checkpoint(hospital, checkpointed):
    from io import StringIO

    from django.core.management import call_command

    from wellkept.assessments.tests.fixtures import SYSTEM
    from wellkept.audit import checkpoints
    from wellkept.lifecycle.services import participant_erase

    participant_erase(actor=SYSTEM, participant=hospital.participants["joe"])
    participant_erase(actor=SYSTEM, participant=hospital.participants["sara"])
    checkpoints.checkpoint_write()
    out = StringIO()
    call_command("audit", "verify", stdout=out, stderr=out)
    assert "intact" in out.getvalue()

    # Keep only the first line: a consistent, shorter journal.
    first = journal_path().read_text().splitlines()[0]
    journal_path().write_text(first + "\n")
    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("audit", "verify", stdout=out, stderr=out)
    assert exited.value.code == 1
    assert "tombstones: checkpoint" in out.getvalue()
    assert "vouches for entry 2, but the chain ends at 1" in out.getvalue()


@pytest.mark.django_db
def test_a_journal_and_database_put_back_together_are_refused_against_the_checkpoints(
    hospital, checkpointed
):
    """Both on-host heads lost (an old database and an old journal): the checkpoints remain."""
    from wellkept.assessments.tests.fixtures import SYSTEM
    from wellkept.audit import checkpoints
    from wellkept.lifecycle.models import TombstoneHead
    from wellkept.lifecycle.services import participant_erase
    from wellkept.lifecycle.tombstones import tombstone_heads_recorded
    from wellkept.orgs.models import Participant

    tombstone_append(token="someone-erased-earlier", at=T0)
    old_journal = journal_path().read_bytes()
    participant_erase(actor=SYSTEM, participant=hospital.participants["joe"])
    checkpoints.checkpoint_write()
    journal_path().write_bytes(old_journal)
    TombstoneHead.objects.update(lines=1, mac=journal_position().mac)

    assert [(h.source, h.position.lines) for h in tombstone_heads_recorded()] == [
        ("this installation's database", 1),
        ("the audit checkpoints", 2),
    ]
    sara = hospital.participants["sara"]
    with pytest.raises(TombstoneJournalError, match="the audit checkpoints recorded"):
        participant_erase(actor=SYSTEM, participant=sara)
    assert Participant.objects.filter(pk=sara.pk).exists()


def test_an_unreadable_or_missing_journal_is_an_empty_head_and_a_torn_line_is_skipped(
    journal: Path,
) -> None:
    from wellkept.audit.checkpoints import Head
    from wellkept.lifecycle.tombstones import journal_head, journal_macs_at

    assert journal_head() == Head.empty()
    first = tombstone_append(token="a", at=T0)
    second = tombstone_append(token="b", at=T0)
    assert journal_head() == Head(2, second.mac, 2)
    assert journal_macs_at({1, 2, 7}) == {1: first.mac, 2: second.mac}
    with journal.open("ab") as handle:
        handle.write(b'{"n":3,"dig')  # a crash mid-write
    assert journal_head() == Head(2, second.mac, 2)
    journal.write_text("not json\n")
    assert journal_head() == Head.empty()


# ---- Every way to cut, fork or reorder the journal, searched --------------------------


def _tampered(raw: list[bytes], how: str, at: int) -> list[bytes]:
    """The journal's lines after one kind of tampering; ``at`` picks the line it starts at."""
    k = at % len(raw)
    if how == "cut":  # a consistent, shorter journal: an old copy
        return raw[:k]
    if how == "drop":
        return raw[:k] + raw[k + 1 :]
    if how == "swap" and len(raw) > 1:
        j = (k + 1) % len(raw)
        swapped = list(raw)
        swapped[k], swapped[j] = swapped[j], swapped[k]
        return swapped
    if how == "edit":
        row = json.loads(raw[k])
        row["digest"] = "0" * 64
        return [*raw[:k], json.dumps(row, separators=(",", ":")).encode(), *raw[k + 1 :]]
    # "fork": an old copy that went on to record other erasures, as long as
    # the real journal or longer.
    return raw[:k]


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    erasures=st.integers(min_value=1, max_value=9),
    how=st.sampled_from(["cut", "drop", "swap", "edit", "fork"]),
    at=st.integers(min_value=0, max_value=100),
    fork=st.integers(min_value=0, max_value=4),
)
def test_no_cut_fork_or_reordering_of_the_journal_still_reaches_its_head(
    tmp_path: Path, erasures: int, how: str, at: int, fork: int
) -> None:
    """Whatever an attacker does to the journal, it either fails to verify or misses the head."""
    from django.test import override_settings

    from wellkept.lifecycle.tombstones import JournalPosition

    path = tmp_path / f"{erasures}-{how}-{at}-{fork}" / "tombstones.jsonl"
    with override_settings(WELLKEPT_TOMBSTONE_FILE=path):
        head = JournalPosition(0, "")
        for n in range(erasures):
            head = tombstone_append(token=f"erased-{n}", at=T0)
        # The untouched journal holds every tombstone in order and reaches its head.
        assert [t.digest for t in tombstones_since(None)] == [
            tombstone_digest(f"erased-{n}") for n in range(erasures)
        ]
        assert journal_reaches(head)
        assert journal_position() == head

        raw = path.read_bytes().splitlines()
        changed = _tampered(raw, how, at)
        path.write_bytes(b"".join(line + b"\n" for line in changed))
        if how == "fork":
            for n in range(erasures - len(changed) + fork):
                tombstone_append(token=f"someone-else-{n}", at=T0)
        if path.read_bytes().splitlines() == raw:
            return  # a swap of one line with itself changes nothing
        try:
            tombstones_since(None)
        except TombstoneJournalError:
            return  # caught when read: every restore and erasure reads it first
        assert not journal_reaches(head), (how, at, fork)
