"""Note templates as data: the shipped files load, and a broken file says what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from wellkept.practice import notetemplates
from wellkept.practice.notetemplates import TemplateFileError, UnknownTemplate, load_template

GOOD = """\
code = "soap"
version = "2.0"
title = "SOAP"
kind = "progress"

[[sections]]
id = "plan"
label = "Plan"
required = true
help = "Next steps."
"""


def write(tmp_path: Path, text: str, name: str = "soap-2.0.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_it_ships_the_five_templates_with_sections():
    shipped = {t.code: t for t in notetemplates.templates()}
    assert set(shipped) == {"soap", "dap", "birp", "intake", "discharge"}
    assert [s.id for s in shipped["soap"].sections] == [
        "subjective",
        "objective",
        "assessment",
        "plan",
    ]
    assert all(t.version == "1.0" for t in shipped.values())
    assert not next(s for s in shipped["intake"].sections if s.id == "formulation").required


def test_it_finds_a_template_by_code_and_version():
    assert notetemplates.get_template("dap", "1.0").title == "DAP progress note"
    with pytest.raises(UnknownTemplate):
        notetemplates.get_template("dap", "9.9")
    with pytest.raises(UnknownTemplate):
        notetemplates.get_template("freeform")


def test_it_loads_a_valid_file(tmp_path):
    template = load_template(write(tmp_path, GOOD))
    assert template.key == "soap-2.0"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("required = true", 'required = "yes"'), "required"),
        (GOOD + 'colour = "blue"\n', "colour"),
        (GOOD.replace('kind = "progress"', 'kind = "diary"'), "kind"),
        (GOOD.replace('id = "plan"', 'id = "Plan!"'), "section id"),
        (GOOD + GOOD[GOOD.index("[[sections]]") :], "share an id"),
        ("code = ", "TOML"),
    ],
)
def test_it_refuses_a_broken_file_saying_why(tmp_path, text, message):
    with pytest.raises(TemplateFileError, match=message):
        load_template(write(tmp_path, text))


def test_it_refuses_a_file_named_unlike_its_code_and_version(tmp_path):
    with pytest.raises(TemplateFileError, match=r"soap-2\.0\.toml"):
        load_template(write(tmp_path, GOOD, name="soap.toml"))
