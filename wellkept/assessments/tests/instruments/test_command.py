"""``wellkept instruments``: list, validate with clear errors and a non-zero exit, export FHIR."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from fhir.resources.questionnaire import Questionnaire

from wellkept.access.actions import Action
from wellkept.access.decorators import ATTRIBUTE, ViewPolicy
from wellkept.access.purposes import Purpose
from wellkept.access.resources import ResourceKind
from wellkept.assessments.instruments.loader import DEFINITIONS
from wellkept.assessments.management.commands.instruments import Command

from .conftest import WriteDefinition


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    # An instance, so the command runs before the app is in INSTALLED_APPS.
    call_command(Command(), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_it_declares_a_configuration_read_policy() -> None:
    assert getattr(Command, ATTRIBUTE) == ViewPolicy(
        "policy",
        action=Action.READ,
        resource=ResourceKind.ORG_CONFIG,
        purpose=Purpose.SERVICE_ADMINISTRATION,
    )


def test_it_lists_code_version_items_range_and_title() -> None:
    out, _ = run("list")
    lines = out.splitlines()
    assert lines[0].split() == ["code", "version", "items", "range", "title"]
    assert lines[4].split()[:4] == ["phq9", "1.0", "9+1", "0-27"]
    assert lines[4].endswith("Patient Health Questionnaire (PHQ-9)")
    assert lines[5].split()[:4] == ["who5", "1.0", "5", "0-100"]
    assert len(lines) == 6


def test_it_validates_the_shipped_files() -> None:
    paths = sorted(str(path) for path in DEFINITIONS.glob("*.toml"))
    out, err = run("validate", *paths)
    assert err == ""
    assert f"{paths[3]}: ok (phq9@1.0, 9+1 items)" in out.splitlines()


def test_it_prints_the_problems_and_fails(write_definition: WriteDefinition) -> None:
    good = write_definition()
    bad = write_definition({'safety_items = ["toy_2"]': 'safety_items = ["toy_3"]'}, name="x.toml")
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError, match=r"^1 of 2 definition files have problems\.$"):
        call_command(Command(), "validate", str(good), str(bad), stdout=out, stderr=err)
    assert out.getvalue() == f"{good}: ok (toy@1.0, 2 items)\n"
    assert err.getvalue() == (
        "x.toml has 2 problems:\n"
        "  - the file must be named toy-1.0.toml to match its code 'toy' and version '1.0'.\n"
        "  - scoring.safety_items names toy_3, which is not an item of this instrument.\n"
    )


def test_it_refuses_a_changed_copy_of_a_shipped_version(tmp_path: Path) -> None:
    text = (DEFINITIONS / "phq9-1.0.toml").read_text(encoding="utf-8")
    changed = tmp_path / "phq9-1.0.toml"
    changed.write_text(text.replace('label = "Mild"', 'label = "Light"'), encoding="utf-8")
    with pytest.raises(CommandError):
        run("validate", str(changed))
    unchanged = tmp_path / "copy" / "phq9-1.0.toml"
    unchanged.parent.mkdir()
    unchanged.write_text(text, encoding="utf-8")
    out, _ = run("validate", str(unchanged))
    assert out.endswith("ok (phq9@1.0, 9+1 items)\n")


def test_it_suggests_a_new_version_for_a_changed_definition(tmp_path: Path) -> None:
    text = (DEFINITIONS / "gad7-1.0.toml").read_text(encoding="utf-8")
    changed = tmp_path / "gad7-1.0.toml"
    changed.write_text(text.replace('label = "Severe"', 'label = "High"'), encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(Command(), "validate", str(changed), stdout=StringIO(), stderr=err)
    assert err.getvalue() == (
        "gad7-1.0.toml: gad7@1.0 is already shipped with different content; give the changed "
        "definition a new version (for example gad7-1.1.toml).\n"
    )


def test_it_exports_a_valid_fhir_questionnaire() -> None:
    out, _ = run("export", "phq9")
    resource = Questionnaire.model_validate(json.loads(out))
    assert resource.version == "1.0"
    assert len(resource.item or []) == 11


def test_it_exports_a_named_version() -> None:
    out, _ = run("export", "gad7", "--version", "1.0", "--format", "fhir-json")
    assert json.loads(out)["id"] == "gad7-1.0"


def test_it_names_the_known_codes_for_an_unknown_instrument() -> None:
    with pytest.raises(CommandError, match=r"No instrument has the code 'phq8'\. Known codes:"):
        run("export", "phq8")


def test_it_names_the_known_versions_for_an_unknown_version() -> None:
    with pytest.raises(CommandError, match=r"WHO-5 has no version '9\.9'\. Known versions: 1\.0\."):
        run("export", "who5", "--version", "9.9")


@pytest.mark.skipif(
    not apps.is_installed("wellkept.assessments"),
    reason="wellkept.assessments is not in INSTALLED_APPS yet, so Django cannot find the command",
)
def test_it_is_found_by_name_once_the_app_is_installed() -> None:
    out = StringIO()
    call_command("instruments", "list", stdout=out)
    assert "phq9" in out.getvalue()
