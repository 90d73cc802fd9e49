"""The declared layers (pyproject.toml ``[tool.importlinter]``) hold, and the check can fail.

``make lint`` runs import-linter over the real tree. These tests run the
same command over a copy of the package with one upward import committed
into it, so a contract that had quietly stopped checking anything (a
renamed package, an ignore pattern that swallows everything) fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
UPWARD = "from wellkept.orgs.models import Organisation  # noqa: F401\n"


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter from ``project``, resolving ``wellkept`` to the copy there."""
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", "--config", "pyproject.toml"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the package and its contract, without what import-linter never reads."""
    shutil.copytree(
        ROOT / "wellkept",
        tmp_path / "wellkept",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def commit_upward_import(copy: Path, module: str) -> None:
    path = copy / module
    path.write_text(UPWARD + path.read_text(encoding="utf-8"), encoding="utf-8")


def test_it_keeps_the_layers_of_the_real_tree() -> None:
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_it_fails_when_the_vault_imports_orgs(copy: Path) -> None:
    commit_upward_import(copy, "wellkept/vault/services.py")

    result = lint_imports(copy)

    assert result.returncode != 0
    assert "wellkept.vault is not allowed to import wellkept.orgs" in result.stdout
    assert "wellkept.vault.services -> wellkept.orgs.models" in result.stdout


def test_it_fails_when_two_independent_siblings_import_each_other(copy: Path) -> None:
    path = copy / "wellkept/insights/models.py"
    path.write_text(
        "from wellkept.followup.models import Case  # noqa: F401\n"
        + path.read_text(encoding="utf-8"),
        encoding="utf-8",
    )

    result = lint_imports(copy)

    assert result.returncode != 0
    assert "wellkept.insights.models -> wellkept.followup.models" in result.stdout


def test_the_unchanged_copy_passes(copy: Path) -> None:
    # The failures above come from the import committed, not from the copying.
    result = lint_imports(copy)

    assert result.returncode == 0, result.stdout + result.stderr
