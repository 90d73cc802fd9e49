"""bench/run.py: every benchmark in its own process on a fresh database; failures reported.

`make bench` once failed after 47 minutes because the audit benchmark left
rows in a database shared with the backup benchmark, whose restore then
refused the chain. Two throwaway benchmarks prove the isolation: the first
leaves a table behind and fails, the second must not see that table, and
the run must go on to it and end by naming the failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LEAVES_A_MESS = """
def run():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE left_behind (x integer)")
    print("left a table behind")
    raise SystemExit("broken on purpose")
"""

EXPECTS_A_CLEAN_DATABASE = """
def run():
    import os

    from django.db import connection

    assert "left_behind" not in connection.introspection.table_names(), "shared database"
    assert "WELLKEPT_SQLITE_PATH" not in os.environ or os.environ["WELLKEPT_SQLITE_PATH"] != (
        os.environ.get("CALLER_DATABASE")
    )
    print("found a clean database")
"""


def test_each_benchmark_runs_on_a_fresh_database_and_a_failure_is_reported(tmp_path: Path) -> None:
    (tmp_path / "bench_mess.py").write_text(LEAVES_A_MESS)
    (tmp_path / "bench_clean.py").write_text(EXPECTS_A_CLEAN_DATABASE)
    caller_database = str(tmp_path / "developer.sqlite3")
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
        # A developer's own settings must not reach a benchmark.
        "WELLKEPT_SQLITE_PATH": caller_database,
        "CALLER_DATABASE": caller_database,
    }
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "bench_mess", "bench_clean"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = result.stdout + result.stderr
    assert "left a table behind" in out
    assert "found a clean database" in out, out
    assert result.returncode == 1
    assert "bench_mess" in out.split("== summary")[1].split("FAILED")[0]
    assert "failed: bench_mess" in out
    assert not Path(caller_database).exists()


def test_it_names_an_unknown_benchmark() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "bench_nothing"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "no such benchmark: bench_nothing" in result.stderr
