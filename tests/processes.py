"""Running Wellkept in a process of its own, with an environment that names only its own files."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def environment(var_dir: Path, **extra: str) -> dict[str, str]:
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WELLKEPT_", "DJANGO_")) and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    return {
        **inherited,
        "PYTHONPATH": str(REPO),
        "WELLKEPT_VAR_DIR": str(var_dir),
        "WELLKEPT_SQLITE_PATH": str(var_dir / "wellkept.sqlite3"),
        **extra,
    }


def python(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
