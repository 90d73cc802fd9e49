"""The pre-commit hooks run what CI's lint step runs, no more and no less."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def lint_commands(makefile: str) -> list[str]:
    """Return the recipe lines of the Makefile's ``lint`` target, with $(BIN) spelled out."""
    match = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert match, "the Makefile has no lint target"
    return [line.strip().replace("$(BIN)/", ".venv/bin/") for line in match[1].splitlines()]


def field(config: str, name: str) -> list[str]:
    """Return every value of ``name:`` in the (flat, block-style) YAML, in order."""
    return [value.strip() for value in re.findall(rf"^\s*-?\s*{name}:(.*)$", config, re.MULTILINE)]


def hook_commands(config: str) -> list[str]:
    """Return the entries of the local pre-commit hooks, in order."""
    entries = field(config, "entry")
    assert field(config, "repo") == ["local"], "hooks must not download anything"
    assert field(config, "language") == ["system"] * len(entries)
    # The whole tree, as CI checks it, not only the staged files.
    assert field(config, "pass_filenames") == ["false"] * len(entries)
    return entries


def test_the_hooks_run_exactly_the_lint_targets_commands() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    config = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert hook_commands(config) == lint_commands(makefile)


def test_a_lint_command_missing_from_the_hooks_is_noticed() -> None:
    makefile = "lint: venv\n\t$(BIN)/ruff check .\n\t$(BIN)/lint-imports\n\nformat: venv\n"
    config = (
        "repos:\n  - repo: local\n    hooks:\n      - id: r\n"
        "        entry: .venv/bin/ruff check .\n        language: system\n"
        "        pass_filenames: false\n"
    )
    assert lint_commands(makefile) == [".venv/bin/ruff check .", ".venv/bin/lint-imports"]
    assert hook_commands(config) != lint_commands(makefile)
