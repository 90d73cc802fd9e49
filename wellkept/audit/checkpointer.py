"""The background writer that keeps checkpoints within a second of every commit.

Each process that writes to the trail runs one daemon thread. After an
identified entry commits, ``commit_seen()`` wakes it; it waits a moment to
gather the commits that follow (WELLKEPT_AUDIT_CHECKPOINT_GATHER, a fraction
of a second), then writes one checkpoint of the current heads, so a burst of
commits costs one checkpoint, and none waits longer than
WELLKEPT_AUDIT_CHECKPOINT_SECONDS. The request that committed never waits for
it: its cost is setting a flag.

It also writes a heartbeat checkpoint whenever none was written for
WELLKEPT_AUDIT_CHECKPOINT_HEARTBEAT_SECONDS, whatever moved. That is what
covers the pseudonymous chain: a participant's commit never wakes the
writer, because a checkpoint written a moment after it would say when the
participant acted (docs/security.md, "No timing link").

At interpreter exit (a command ending) pending work is written at once.
WELLKEPT_AUDIT_CHECKPOINT_SECONDS=0 switches the thread off (tests, which
write checkpoints explicitly); production refuses that (check wellkept.E032).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time

from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)


class _Checkpointer:
    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._pending = False
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._not_initialised_logged = False
        self.written = 0
        self.failures = 0

    # -- what the rest of the code calls -----------------------------------

    def commit_seen(self) -> None:
        if not self._enabled():
            return
        with self._lock:
            self._pending = True
            self._ensure_thread()
            self._lock.notify_all()

    def ensure_running(self) -> None:
        """Start the thread (for heartbeats) without asking for a checkpoint."""
        if not self._enabled():
            return
        with self._lock:
            self._ensure_thread()

    def flush(self) -> None:
        """Write a pending checkpoint now (at exit, and in tests)."""
        with self._lock:
            pending, self._pending = self._pending, False
        if pending:
            self._write(heartbeat=None)

    def stop(self, *, flush: bool = True) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
            thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=5)
        if flush:
            self.flush()
        with self._lock:
            self._thread = None
            self._stopping = False
            # Not flushed means given up: nothing left for the exit handler.
            self._pending = False

    # -- the thread ---------------------------------------------------------

    @staticmethod
    def _enabled() -> bool:
        return float(settings.WELLKEPT_AUDIT_CHECKPOINT_SECONDS) > 0

    def _ensure_thread(self) -> None:
        # After a fork (gunicorn workers) the parent's thread does not exist here.
        if self._thread is not None and self._thread.is_alive() and self._pid == os.getpid():
            return
        self._pid = os.getpid()
        self._thread = threading.Thread(target=self._run, name="wellkept-checkpointer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            heartbeat = float(settings.WELLKEPT_AUDIT_CHECKPOINT_HEARTBEAT_SECONDS)
            gather = min(
                float(settings.WELLKEPT_AUDIT_CHECKPOINT_GATHER),
                float(settings.WELLKEPT_AUDIT_CHECKPOINT_SECONDS),
            )
            # Heartbeats fall on a wall-clock grid (every N seconds since the
            # epoch), never N seconds after something happened here: the
            # thread may have been started by a participant's first action.
            now = time.time()
            beat_at = (int(now // heartbeat) + 1) * heartbeat
            with self._lock:
                if not self._pending and not self._stopping:
                    self._lock.wait(timeout=max(0.0, beat_at - now))
                if self._stopping:
                    return
                pending = self._pending
            if pending:
                # Gather the commits right behind this one into one checkpoint
                # (a stop cuts the wait short; stop() writes what is pending).
                with self._lock:
                    if self._lock.wait_for(lambda: self._stopping, timeout=gather):
                        return
                    self._pending = False
                self._write(heartbeat=None)
            elif time.time() >= beat_at:
                # Written when the newest checkpoint (from any process) is at
                # least half a beat old: which depends on identified commits
                # and the clock only.
                self._write(heartbeat=heartbeat / 2)

    def _write(self, *, heartbeat: float | None) -> None:
        from wellkept.audit.checkpoints import NotInitialised, checkpoint_write

        try:
            if checkpoint_write(heartbeat_seconds=heartbeat) is not None:
                self.written += 1
        except NotInitialised as exc:
            if not self._not_initialised_logged:
                self._not_initialised_logged = True
                logger.error("audit checkpoints are not being written: %s", exc)
        except Exception as exc:
            # Never the message's data: the type and the sentence only.
            self.failures += 1
            logger.error("audit checkpoint failed (%s): %s", type(exc).__name__, exc)
        finally:
            if threading.current_thread() is self._thread:
                close_old_connections()


checkpointer = _Checkpointer()


def commit_seen() -> None:
    """After an identified audit entry commits: a checkpoint follows within the second."""
    checkpointer.commit_seen()


@atexit.register
def _at_exit() -> None:
    # A command that wrote entries and ends at once still leaves a checkpoint.
    # Only when Django is set up (settings import on demand).
    try:
        if checkpointer._pending and checkpointer._enabled():
            checkpointer.flush()
    except Exception:  # noqa: S110 - the process is ending; the log has the details
        pass


def ensure_running() -> None:
    """After a pseudonymous entry commits: only make sure heartbeats are being written."""
    checkpointer.ensure_running()
