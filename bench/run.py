"""Run every Wellkept benchmark: `make bench` (or `python bench/run.py [NAME ...]`).

Each benchmark measures its baseline in the same run and prints ratios, since
the machines we run on are shared and noisy.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

BENCHMARKS = ["bench_vault", "bench_audit", "bench_checkin", "bench_insights", "bench_backup"]


def setup_django(workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellkept.settings")
    os.environ["WELLKEPT_VAR_DIR"] = str(workdir)
    os.environ.setdefault("WELLKEPT_SQLITE_PATH", str(workdir / "bench.sqlite3"))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    names = argv or BENCHMARKS
    with tempfile.TemporaryDirectory(prefix="wellkept-bench-") as tmp:
        setup_django(Path(tmp))
        for name in names:
            module = importlib.import_module(name)
            module.run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
