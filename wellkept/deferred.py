"""Work that runs after the response has gone: off the request's clock, the same for everyone.

A public form that takes an address (password reset) must take the same time
whether the address has an account or not. Looking the account up, making
the link and sending the mail are therefore not done in the request at all:
the request hands over one job, the same for every address, and the job runs
once the server has sent the response (``request_finished``), in a worker
thread of this process, so not even the next request on a kept-alive
connection waits for it.

    after_response(functools.partial(password_reset_send, email=email))

What is lost if the process dies before the job runs is a mail the person
can ask for again; nothing here is a record. Outside a request (a command, a
job) the job is handed to the worker at once.

WELLKEPT_DEFERRED_INLINE runs jobs in the requesting thread as soon as the
response is finished instead (the tests' setting: their transactions are
not visible to another thread's connection).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
from collections.abc import Callable
from contextvars import ContextVar

from django.conf import settings
from django.core.signals import request_finished
from django.db import close_old_connections
from django.http import HttpRequest
from django.http.response import HttpResponseBase

logger = logging.getLogger(__name__)

Job = Callable[[], object]
Handler = Callable[[HttpRequest], HttpResponseBase]

_pending: ContextVar[list[Job] | None] = ContextVar("wellkept_deferred", default=None)


class _Worker:
    """One daemon thread per process running handed-over jobs in order."""

    MAX_QUEUED = 1000

    def __init__(self) -> None:
        self._queue: queue.Queue[Job] = queue.Queue(self.MAX_QUEUED)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._lock = threading.Lock()

    def submit(self, job: Job) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._run, name="wellkept-deferred", daemon=True
                )
                self._thread.start()
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            # A flood of requests: dropping a mail is better than holding
            # every request (the person can ask again).
            logger.warning("deferred work dropped: %s jobs waiting", self.MAX_QUEUED)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                run_now(job)
            finally:
                self._queue.task_done()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every handed-over job has run (at exit, and in tests); False on timeout."""
        done = self._queue.all_tasks_done
        with done:
            return done.wait_for(lambda: not self._queue.unfinished_tasks, timeout)


_worker = _Worker()


def run_now(job: Job) -> None:
    try:
        job()
    except Exception as exc:
        # The type only: a message could quote an address.
        logger.error("deferred work failed (%s)", type(exc).__name__)
    finally:
        if threading.current_thread() is not threading.main_thread():
            close_old_connections()


def after_response(job: Job) -> None:
    """Run ``job`` once the current response has been sent (see the module docstring)."""
    jobs = _pending.get()
    if jobs is None:
        _worker.submit(job)
    else:
        jobs.append(job)


def deferred_work(get_response: Handler) -> Handler:
    """Middleware: collect the request's jobs; ``request_finished`` hands them over."""

    def middleware(request: HttpRequest) -> HttpResponseBase:
        _pending.set([])
        return get_response(request)

    return middleware


def _hand_over(**kwargs: object) -> None:
    jobs = _pending.get()
    _pending.set(None)
    if not jobs:
        return
    for job in jobs:
        if getattr(settings, "WELLKEPT_DEFERRED_INLINE", False):
            run_now(job)
        else:
            _worker.submit(job)


request_finished.connect(_hand_over, dispatch_uid="wellkept.deferred")


def wait_idle(timeout: float | None = None) -> bool:
    return _worker.wait_idle(timeout)


@atexit.register
def _drain_at_exit() -> None:
    # A graceful stop sends what was handed over (within reason); a kill loses it.
    _worker.wait_idle(timeout=10)
