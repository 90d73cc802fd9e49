"""Crash safety: SIGKILL the app server again and again while writers submit through it.

The real server (gunicorn, two workers) runs as a separate process group on
its own SQLite database and key file: started first by the production
command, then, after each kill, forked from a process that has loaded the
project once (tests/crash/warm.py), so the fifty restarts do not each pay
for importing Django three times. Writer threads send invitations (an
encrypted e-mail address each) through the system administrator's form over
HTTP while the server is killed with SIGKILL at random moments (a random
time after each server's first acknowledged write, so kills land among
writes in flight) and started again. Afterwards every invitation whose
response the client fully received must be in the database and decrypt,
``PRAGMA integrity_check`` must say ok, and, once the audit app exists,
``wellkept audit verify`` must exit 0.

Unacknowledged writes may or may not be there: the client never learnt.
Set WELLKEPT_CRASH_SEED to replay the same kill timings.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import logging
import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

pytestmark = [
    pytest.mark.crash,
    pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups"),
]

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[2]
DBTOOL = Path(__file__).with_name("dbtool.py")
WARM = Path(__file__).with_name("warm.py")

KILLS = 50
WRITERS = 4
# How long the server serves writes after its first acknowledged one, before
# the next SIGKILL, in seconds.
UPTIME = (0.0, 0.4)
ACKNOWLEDGEMENT_TIMEOUT = 30.0
BOOT_TIMEOUT = 30.0
REQUEST_TIMEOUT = 15.0

INVITATIONS_PATH = "/manage/invitations/"
NEW_INVITATION_PATH = "/manage/invitations/new/"
LOGIN_PATH = "/accounts/login/"
MFA_PATH = "/accounts/2fa/authenticate/"
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


# --- The checker -----------------------------------------------------------


def missing_acknowledged(acknowledged: Iterable[str], readable: Iterable[str]) -> set[str]:
    """Return the acknowledged writes that are not stored readably: each one is data loss."""
    return set(acknowledged) - set(readable)


def test_the_checker_catches_a_missing_acknowledged_write() -> None:
    stored = {"crash-1@example.org", "crash-2@example.org", "crash-4@example.org"}
    # An unacknowledged write that made it (crash-4) is fine; one acknowledged
    # write that is not there (crash-3), or does not decrypt, is not.
    assert missing_acknowledged({"crash-1@example.org", "crash-2@example.org"}, stored) == set()
    assert missing_acknowledged({"crash-1@example.org", "crash-3@example.org"}, stored) == {
        "crash-3@example.org"
    }
    assert missing_acknowledged({"crash-1@example.org"}, set()) == {"crash-1@example.org"}


# --- Processes ---------------------------------------------------------------


def server_environment(var_dir: Path) -> dict[str, str]:
    """The environment of every process of the run: its own database and keys, nothing else."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WELLKEPT_", "GUNICORN_", "DJANGO_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "PYTHONPATH"}
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "wellkept.settings",
        "PYTHONPATH": str(REPO),
        "WELLKEPT_VAR_DIR": str(var_dir),
        "WELLKEPT_SQLITE_PATH": str(var_dir / "wellkept.sqlite3"),
        "WELLKEPT_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "WELLKEPT_LOG_LEVEL": "WARNING",
    }


def run_tool(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_checked(env: dict[str, str], *args: str) -> str:
    result = run_tool(env, *args)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def process_group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group, from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # The command name may hold spaces and parentheses: split after the last ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


class Server:
    """gunicorn in a process group of its own, started cold the first time and warm after.

    The first start is the production command (``python -m gunicorn``), on a
    socket bound here and handed over. Every later start forks from a
    process that loaded the project once (tests/crash/warm.py): the same
    master and two workers as new processes, without importing Python again,
    which took most of the run's CPU.
    """

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.process: subprocess.Popen | None = None  # the cold server
        self.pid: int | None = None  # the master of the server that runs now
        self.warm: subprocess.Popen | None = None
        self.port = 0
        self.up = threading.Event()
        self.starts = 0
        self.warm_starts = 0
        # (start number, port) of the server that answers now, set together.
        self.current = (0, 0)

    def start_warm_starter(self) -> None:
        """Start tests/crash/warm.py and wait until it has loaded the project."""
        self.warm = subprocess.Popen(
            [sys.executable, str(WARM)],
            cwd=REPO,
            env=self.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log_path.open("ab"),
            text=True,
            start_new_session=True,
        )
        assert self.warm.stdout is not None
        ready = self.warm.stdout.readline().strip()
        assert ready == "ready", f"the warm starter said {ready!r}:\n{self.log_tail()}"

    def stop_warm_starter(self) -> None:
        if self.warm is not None:
            self.warm.kill()
            self.warm.wait(timeout=30)
            self.warm = None

    def _start_cold(self) -> int:
        # Bound here and passed down: no window in which another process could
        # take the port, and nothing left in TIME_WAIT matters.
        listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        try:
            port = listener.getsockname()[1]
            with self.log_path.open("ab") as server_log:
                self.process = subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gunicorn",
                        "wellkept.wsgi:application",
                        "--bind",
                        f"fd://{listener.fileno()}",
                        "--workers",
                        "2",
                        "--no-control-socket",
                    ],
                    cwd=REPO,
                    env=self.env,
                    stdin=subprocess.DEVNULL,
                    stdout=server_log,
                    stderr=subprocess.STDOUT,
                    pass_fds=(listener.fileno(),),
                    start_new_session=True,
                )
        finally:
            listener.close()
        self.pid = self.process.pid
        return port

    def _start_warm(self) -> int:
        assert self.warm is not None
        assert self.warm.stdin is not None
        assert self.warm.stdout is not None
        self.warm.stdin.write(f"start {self.log_path}\n")
        self.warm.stdin.flush()
        pid, port = self.warm.stdout.readline().split()
        self.pid = int(pid)
        self.warm_starts += 1
        return int(port)

    def alive(self) -> bool:
        if self.process is not None:
            return self.process.poll() is None
        return self.pid is not None and bool(process_group_members(self.pid))

    def start(self) -> float:
        """Start the server and wait until it answers; return how long that took."""
        began = time.monotonic()
        port = self._start_cold() if self.warm is None or self.starts == 0 else self._start_warm()
        self.starts += 1
        deadline = began + BOOT_TIMEOUT
        while time.monotonic() < deadline:
            if not self.alive():
                raise AssertionError(f"the server exited at start:\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _, _ = http_request(port, "GET", LOGIN_PATH, {}, timeout=2)
                if status == 200:
                    self.port = port
                    self.current = (self.starts, port)
                    self.up.set()
                    return time.monotonic() - began
            time.sleep(0.05)
        raise AssertionError(f"the server did not answer in {BOOT_TIMEOUT} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers) and wait until it is gone."""
        pid = self.pid
        if pid is None:
            return
        self.up.clear()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)
            self.process = None
        self.pid = None
        # The workers are orphaned by the master's death; make sure none lives on.
        deadline = time.monotonic() + 10
        while process_group_members(pid):
            assert time.monotonic() < deadline, f"processes of group {pid} survive"
            time.sleep(0.01)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


# --- HTTP, with the standard library only ------------------------------------------


def http_request(
    port: int,
    method: str,
    path: str,
    cookies: dict[str, str],
    form: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> tuple[int, str, bytes]:
    """Send one request on a new connection, read the whole response, update ``cookies``.

    Returns status, Location header and body. Raises OSError or
    http.client.HTTPException if the server goes away before the response is complete.
    """
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Connection": "close"}
    if cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.connect()  # ConnectionRefusedError: nothing was sent
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
    finally:
        connection.close()
    for header in response.headers.get_all("Set-Cookie") or []:
        for name, morsel in SimpleCookie(header).items():
            if morsel["max-age"] == "0":
                cookies.pop(name, None)
            else:
                cookies[name] = morsel.value
    return response.status, urlsplit(response.headers.get("Location", "")).path, content


def csrf_token(page: bytes) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no CSRF token in the page"
    return match.group(1).decode()


def totp_code(secret: str, counter: int) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    return format_hotp_value(hotp_value(secret, counter))


@dataclass
class Admin:
    """The system administrator's browser: one signed-in session shared by the writers."""

    email: str
    password: str
    totp_secret: str
    organisation: str
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""
    sign_ins: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def sign_in(self, port: int) -> None:
        """Password, then a TOTP code, then fetch the invitation form's CSRF token."""
        cookies: dict[str, str] = {}
        _, _, page = http_request(port, "GET", LOGIN_PATH, cookies)
        form = {"csrfmiddlewaretoken": csrf_token(page), "login": self.email}
        status, location, _ = http_request(
            port, "POST", LOGIN_PATH, cookies, {**form, "password": self.password}
        )
        assert (status, location) == (302, MFA_PATH), f"sign-in gave {status} {location}"
        for _ in range(3):
            _, _, page = http_request(port, "GET", MFA_PATH, cookies)
            counter = int(time.time()) // 30
            code = totp_code(self.totp_secret, counter)
            form = {"csrfmiddlewaretoken": csrf_token(page), "code": code}
            status, location, _ = http_request(port, "POST", MFA_PATH, cookies, form)
            if status == 302:
                break
            # A code is good once per 30 s step: wait for the next one.
            time.sleep(max(0.0, (counter + 1) * 30 - time.time()) + 0.5)
        assert status == 302, f"the TOTP step gave {status}"
        status, _, page = http_request(port, "GET", INVITATIONS_PATH, cookies)
        assert status == 200, f"the invitations page gave {status}"
        self.token = csrf_token(page)
        self.cookies = cookies
        self.sign_ins += 1

    def session(self) -> tuple[dict[str, str], str]:
        with self.lock:
            return dict(self.cookies), self.token

    def sign_in_again(self, port: int, stale: dict[str, str]) -> None:
        with self.lock:
            if self.cookies == stale:  # not already done by another writer
                self.sign_in(port)


# --- The run -----------------------------------------------------------------


@dataclass
class Tally:
    acknowledged: set[str] = field(default_factory=set)
    interrupted: int = 0  # sent, but the response never (fully) came
    refused: int = 0  # the server was down
    unexpected: list[str] = field(default_factory=list)
    # Acknowledged writes by server start number, so the killer can wait for one.
    acknowledged_by_start: Counter[int] = field(default_factory=Counter)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_acknowledgement(self, start: int, timeout: float) -> bool:
        with self.lock:
            return self.lock.wait_for(lambda: self.acknowledged_by_start[start] > 0, timeout)


def write_invitations(
    server: Server, admin: Admin, tally: Tally, numbers: Iterator[int], stop: threading.Event
) -> None:
    """Submit invitations for fresh addresses until told to stop; tally what happened."""
    while not stop.is_set():
        if not server.up.wait(timeout=0.2):
            continue
        start, port = server.current
        cookies, token = admin.session()
        email = f"crash-{next(numbers)}@example.org"
        form = {
            "csrfmiddlewaretoken": token,
            "email": email,
            "role": "leader",
            "organisation": admin.organisation,
        }
        try:
            # A copy: what the server sets here (its messages cookie) is not kept.
            sent = dict(cookies)
            status, location, _ = http_request(port, "POST", NEW_INVITATION_PATH, sent, form)
        except ConnectionRefusedError:  # down between the kill and ``up`` being cleared
            with tally.lock:
                tally.refused += 1
            time.sleep(0.02)
            continue
        except (OSError, http.client.HTTPException):
            with tally.lock:
                tally.interrupted += 1
            continue
        if status == 302 and location == INVITATIONS_PATH:
            with tally.lock:
                tally.acknowledged.add(email)
                tally.acknowledged_by_start[start] += 1
                tally.lock.notify_all()
        elif status == 302 and location == LOGIN_PATH:
            with contextlib.suppress(OSError, http.client.HTTPException, AssertionError):
                admin.sign_in_again(port, cookies)
        else:
            with tally.lock:
                tally.unexpected.append(f"{email}: {status} {location}")


def stored_invitations(env: dict[str, str]) -> dict[str, list[str]]:
    return json.loads(run_checked(env, str(DBTOOL), "dump"))


def integrity_check(database: Path) -> list[str]:
    connection = sqlite3.connect(database)
    try:
        return [row[0] for row in connection.execute("PRAGMA integrity_check")]
    finally:
        connection.close()


def test_acknowledged_writes_survive_sigkill(tmp_path: Path, record_property) -> None:
    seed = int(os.environ.get("WELLKEPT_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    rng = random.Random(seed)
    record_property("seed", seed)
    began = time.monotonic()

    var_dir = tmp_path / "var"
    var_dir.mkdir()
    env = server_environment(var_dir)
    database = var_dir / "wellkept.sqlite3"
    run_checked(env, "-m", "wellkept", "migrate", "--no-input", "-v", "0")
    run_checked(env, "-m", "wellkept", "audit", "init")
    admin = Admin(**json.loads(run_checked(env, str(DBTOOL), "setup")))

    server = Server(env, tmp_path / "server.log")
    tally = Tally()
    stop = threading.Event()
    counter = itertools.count(1)
    counter_lock = threading.Lock()

    def numbers() -> Iterator[int]:
        while True:
            with counter_lock:
                yield next(counter)

    writers = [
        threading.Thread(
            target=write_invitations,
            args=(server, admin, tally, numbers(), stop),
            name=f"writer-{i}",
            daemon=True,
        )
        for i in range(WRITERS)
    ]
    kills = 0
    boot_times: list[float] = []
    try:
        boot_times.append(server.start())
        server.start_warm_starter()
        admin.sign_in(server.port)
        for writer in writers:
            writer.start()
        while True:
            # Each server takes at least one write, so every kill lands among
            # warm workers that are writing, not in a boot.
            start, _ = server.current
            assert tally.wait_for_acknowledgement(start, ACKNOWLEDGEMENT_TIMEOUT), (
                f"no write acknowledged in {ACKNOWLEDGEMENT_TIMEOUT} s:\n{server.log_tail()}"
            )
            time.sleep(rng.uniform(*UPTIME))
            server.kill()
            kills += 1
            if kills == KILLS:
                break
            boot_times.append(server.start())
        stop.set()
        for writer in writers:
            writer.join(timeout=REQUEST_TIMEOUT + 5)
    finally:
        stop.set()
        server.kill()
        server.stop_warm_starter()
    assert not any(writer.is_alive() for writer in writers), "a writer is stuck"
    run_seconds = time.monotonic() - began

    integrity = integrity_check(database)
    stored = stored_invitations(env)
    # What the next start does first: a checkpoint, which also copies to one
    # sink a checkpoint a kill left in the other only.
    run_checked(env, "-m", "wellkept", "audit", "checkpoint")
    verify = run_tool(env, "-m", "wellkept", "audit", "verify")
    summary = {
        "seed": seed,
        "kills": kills,
        "server_starts": server.starts,
        "warm_starts": server.warm_starts,
        "acknowledged": len(tally.acknowledged),
        "stored": len(stored["emails"]),
        "stored_unacknowledged": len(set(stored["emails"]) - tally.acknowledged),
        "interrupted": tally.interrupted,
        "refused": tally.refused,
        "sign_ins": admin.sign_ins,
        "max_boot_seconds": round(max(boot_times), 2),
        "mean_boot_seconds": round(sum(boot_times) / len(boot_times), 2),
        "run_seconds": round(run_seconds, 1),
        "audit_verify": (verify.stdout.strip().splitlines() or [f"exit {verify.returncode}"])[-1],
    }
    for key, value in summary.items():
        record_property(key, value)
    # Logged before the checks, so a failure's report shows the run too.
    log.warning("crash run: %s", json.dumps(summary))

    # The database file is whole.
    assert integrity == ["ok"]

    # Every acknowledged write is there and decrypts; the check would see one that is not.
    assert stored["unreadable"] == [], f"rows that do not decrypt: {stored['unreadable']}"
    missing = missing_acknowledged(tally.acknowledged, stored["emails"])
    assert not missing, f"acknowledged but lost (seed {seed}): {sorted(missing)}"
    never_sent = "crash-0@example.org"  # the writers count from 1
    assert missing_acknowledged({*tally.acknowledged, never_sent}, stored["emails"]) == {never_sent}

    # One cold start (the production command), every other one warm.
    assert server.warm_starts == server.starts - 1 == KILLS - 1

    # The audit chain verifies.
    assert verify.returncode == 0, f"audit verify:\n{verify.stdout}\n{verify.stderr}"

    # The run proves something: writes were acknowledged and kills hit writes in flight.
    assert tally.unexpected == [], f"unexpected responses: {tally.unexpected[:20]}"
    assert len(tally.acknowledged) >= KILLS, "too few writes were acknowledged"
    assert tally.interrupted > 0, "no kill interrupted a write in flight"
