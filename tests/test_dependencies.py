"""Every third-party package the code imports is declared, and pinned.

``pip install .`` installs what pyproject.toml declares, not what happens to
be in the developer's virtual environment: an import that only works because
another package pulled its distribution in (as ``fhir.resources`` did) breaks
the first install that resolves differently.
"""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]


def imported_top_level_modules(package: Path, root: Path = ROOT) -> dict[str, list[str]]:
    """Map each top-level module imported by the package's runtime code to where."""
    found: dict[str, list[str]] = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(root)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], []).append(f"{relative}:{node.lineno}")
    return found


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {canonicalize_name(Requirement(spec).name) for spec in project["dependencies"]}


def pinned_distributions() -> set[str]:
    pinned = set()
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            assert str(requirement.specifier).startswith("=="), f"not pinned exactly: {line}"
            pinned.add(canonicalize_name(requirement.name))
    return pinned


def test_it_declares_every_third_party_package_the_code_imports() -> None:
    by_module = importlib.metadata.packages_distributions()
    local = {"wellkept", "__future__"}
    declared = declared_distributions()
    missing = []
    for module, places in sorted(imported_top_level_modules(ROOT / "wellkept").items()):
        if module in local or module in sys.stdlib_module_names:
            continue
        distributions = {canonicalize_name(d) for d in by_module.get(module, [])}
        assert distributions, f"{module} (imported at {places[0]}) is not installed"
        if not distributions & declared:
            missing.append(f"{module} ({', '.join(sorted(distributions))}), at {places[0]}")
    assert missing == [], "imported but not in pyproject.toml's dependencies: " + "; ".join(missing)


def test_it_pins_every_declared_dependency_in_requirements_txt() -> None:
    assert declared_distributions() - pinned_distributions() == set()


def test_the_check_sees_a_missing_declaration(tmp_path: Path) -> None:
    """Prove the scan finds imports, including those inside functions."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("def f():\n    from fhir.resources.bundle import Bundle\n")
    assert imported_top_level_modules(package, tmp_path) == {"fhir": ["pkg/mod.py:2"]}
