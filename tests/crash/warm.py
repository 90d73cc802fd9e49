"""Start the crash test's server warm: gunicorn forked from a process that has loaded Django.

Run by tests/crash/test_sigkill.py with the server's environment. It loads
the project once (settings, apps, URLs, the WSGI application) and then, for
each line ``start <log file>`` on its standard input, forks a gunicorn
master in a process group of its own (as ``start_new_session`` gives the
cold server), bound to a fresh loopback port, and answers
``<pid> <port>``. The test SIGKILLs that group as it kills a cold server.

What the fork skips is importing Python modules, half a second of CPU per
process and nothing to do with durability: the master and its two workers
are new processes, each worker opens its own database connection and runs
the same start-up refusal check as a cold worker (``wellkept.wsgi``), and
SIGKILL ends them with whatever they had in flight. This process holds no
database connection when it forks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from typing import Any


def serve(listener: socket.socket, log_path: str) -> None:
    """Become a gunicorn master with two workers on ``listener``; never returns."""
    from gunicorn.app.base import BaseApplication

    from wellkept.startup import refuse_unsafe_start
    from wellkept.wsgi import application

    os.setpgid(0, 0)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    # The starter's pipes are not the server's: it reads nothing, writes its log.
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.close(log)
    fd = listener.fileno()
    os.set_inheritable(fd, True)

    class Warm(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", [f"fd://{fd}"])
            self.cfg.set("workers", 2)
            self.cfg.set("control_socket_disable", True)
            self.cfg.set("accesslog", None)

        def load(self) -> Any:
            # What importing wellkept.wsgi does in a cold worker.
            refuse_unsafe_start()
            return application

    try:
        Warm().run()
    finally:
        os._exit(1)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")
    import gunicorn.app.base  # noqa: F401  (loaded once, before any fork)
    from django.db import connections
    from django.test import Client

    import wellkept.wsgi  # noqa: F401  (settings, apps, the refusal check)

    # One request loads what a worker loads on its first: the URL
    # configuration, the middleware, the sign-in page's templates.
    status = Client().get("/accounts/login/").status_code
    if status != 200:
        sys.exit(f"the warm-up request answered {status}")
    connections.close_all()
    # Exited servers are reaped at once; the test watches their process groups.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    for line in sys.stdin:
        command, _, log_path = line.strip().partition(" ")
        if command != "start":
            continue
        listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        pid = os.fork()
        if pid == 0:
            serve(listener, log_path)
        # Both sides set the group, so it exists before the test hears the pid.
        with contextlib.suppress(OSError):
            os.setpgid(pid, pid)
        port = listener.getsockname()[1]
        listener.close()
        sys.stdout.write(f"{pid} {port}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
