"""Run every Wellkept benchmark: `make bench` (or `python bench/run.py [--full] [NAME ...]`).

Each benchmark measures its baseline in the same run and prints ratios, since
the machines we run on are shared and noisy.

Each benchmark runs in a process of its own, on a database of its own: a new
SQLite file in a new temporary folder (with its own key file, checkpoints and
backups), or, when DATABASE_URL names a PostgreSQL server, a new database on
it that is dropped afterwards. So nothing one benchmark writes (the audit
benchmark's chain, a backup's restore) can reach another, and a failure is
reported without stopping the rest. On SQLite each fresh database is a copy
of one migrated once per run (migrating takes about 12 s of CPU, and a copy
of an empty schema is the same database); on PostgreSQL each is migrated.

What this runner expects of a benchmark: a module ``bench/<name>.py`` with a
function ``run() -> None`` taking no arguments. It is called once, after
Django is set up with Wellkept's settings on a migrated, empty database; it
prints its own results and reports a failure by raising (or by SystemExit
with a message). Sizes come from environment variables the module reads and
documents (``WELLKEPT_BENCH_*``). This runner sets defaults for some of them
so that the whole run fits in 15 minutes on a 2-core machine; ``--full``
leaves them to the modules (the 10-million-response dashboard row alone then
spends about 11 minutes building its baseline table), and any variable
already set in the environment wins either way.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    "bench_vault",
    "bench_audit",
    "bench_checkin",
    "bench_insights",
    "bench_backup",
    "bench_practice",
]
# What fits in 15 minutes on 2 cores, for each benchmark that reads a size.
QUICK = {
    "WELLKEPT_BENCH_INSIGHTS_SIZES": "10000,100000,1000000",
    "WELLKEPT_BENCH_BACKUP_CHECKINS": "250000",
    "WELLKEPT_BENCH_BACKUP_PARTICIPANTS": "8000",
}


def setup_django(workdir: Path) -> None:
    """Set Django up on a fresh database whose files live in ``workdir``, and migrate it."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")
    os.environ["WELLKEPT_VAR_DIR"] = str(workdir)
    # Forced, never defaulted: a path left in the environment must not point
    # a benchmark at a developer's database.
    os.environ["WELLKEPT_SQLITE_PATH"] = str(workdir / "bench.sqlite3")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def migrate_template(workdir: Path) -> None:
    """In a process of its own: migrate an empty SQLite database for the run's benchmarks."""
    setup_django(workdir)
    from django.db import connection

    with connection.cursor() as cursor:
        # Everything in the main file, so a copy of the file is the database.
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


def run_one(name: str, workdir: Path) -> None:
    """In the benchmark's own process: set Django up, then call the module's run()."""
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    setup_django(workdir)
    importlib.import_module(name).run()


def child_environment(workdir: Path, *, full: bool) -> dict[str, str]:
    """The benchmark's environment: no Wellkept setting of the caller's but the sizes."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WELLKEPT_") or key.startswith("WELLKEPT_BENCH_")
    }
    if not full:
        for key, value in QUICK.items():
            env.setdefault(key, value)
    env["WELLKEPT_VAR_DIR"] = str(workdir)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@contextlib.contextmanager
def fresh_database(name: str) -> Iterator[str | None]:
    """Yield a DATABASE_URL for a new, empty PostgreSQL database (None for SQLite)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        yield None
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    database = f"wellkept_{name}_{uuid.uuid4().hex[:8]}"
    server = urlunsplit(parts._replace(scheme="postgresql"))
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        yield urlunsplit(parts._replace(path=f"/{database}"))
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )


def run_all(names: list[str], *, full: bool) -> int:
    with contextlib.ExitStack() as stack:
        template: Path | None = None
        if not os.environ.get("DATABASE_URL"):
            template = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wellkept-")))
            env = child_environment(template, full=full)
            command = [sys.executable, str(Path(__file__).resolve()), "--migrate", str(template)]
            if subprocess.run(command, env=env, check=False).returncode != 0:  # noqa: S603
                print("migrating the benchmarks' database failed")
                return 1
        return _run_each(names, full=full, template=template)


def _run_each(names: list[str], *, full: bool, template: Path | None) -> int:
    timings: list[tuple[str, float, int]] = []
    for name in names:
        print(f"\n== {name} (its own process and a fresh database)", flush=True)
        started = time.perf_counter()
        with (
            tempfile.TemporaryDirectory(prefix=f"wellkept-{name}-") as tmp,
            fresh_database(name) as database_url,
        ):
            env = child_environment(Path(tmp), full=full)
            if database_url is not None:
                env["DATABASE_URL"] = database_url
            if template is not None:
                copy = Path(tmp) / "bench.sqlite3"
                shutil.copyfile(template / "bench.sqlite3", copy)
                copy.chmod(0o600)
            command = [sys.executable, str(Path(__file__).resolve()), "--one", name, tmp]
            code = subprocess.run(command, env=env, check=False).returncode  # noqa: S603
        timings.append((name, time.perf_counter() - started, code))
    print("\n== summary")
    for name, seconds, code in timings:
        outcome = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"  {name:<16} {seconds:7.1f} s  {outcome}")
    total = sum(seconds for _name, seconds, _code in timings)
    failed = [name for name, _seconds, code in timings if code != 0]
    print(f"  {'total':<16} {total:7.1f} s" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help="benchmarks to run (all)")
    parser.add_argument(
        "--full",
        action="store_true",
        help="the modules' own sizes (10 million dashboard responses, a million backed-up "
        "check-ins), not the defaults that fit in 15 minutes",
    )
    parser.add_argument("--one", nargs=2, metavar=("NAME", "DIR"), help=argparse.SUPPRESS)
    parser.add_argument("--migrate", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.migrate:
        migrate_template(Path(args.migrate))
        return 0
    if args.one:
        run_one(args.one[0], Path(args.one[1]))
        return 0
    sys.path.insert(0, str(HERE))
    unknown = [name for name in args.names if importlib.util.find_spec(name) is None]
    if unknown:
        parser.error(f"no such benchmark: {', '.join(unknown)} (known: {', '.join(BENCHMARKS)})")
    return run_all(args.names or BENCHMARKS, full=args.full)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
