"""Note templates as data: one versioned TOML file per template (SOAP, DAP, BIRP, ...).

A note records the template's code and version it was written with, so a
later version of a template (a section renamed or added) never changes how
an old note reads. The files are checked strictly when loaded: a misspelt
key is an error, never a silent default, because a template that silently
lost a required section would let incomplete notes be signed.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFINITIONS = Path(__file__).resolve().parent / "definitions"
_CODE = re.compile(r"[a-z][a-z0-9]*")
_VERSION = re.compile(r"[0-9]+\.[0-9]+")
_SECTION = re.compile(r"[a-z][a-z0-9_]*")


class TemplateFileError(ValueError):
    """A template file that cannot be used, with a sentence saying why."""


class UnknownTemplate(LookupError):
    """No shipped template has this code and version."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _SectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str
    label: str = Field(min_length=1, max_length=80)
    required: bool
    help: str = Field(min_length=1, max_length=300)

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not _SECTION.fullmatch(value):
            raise ValueError(f"{value!r} is not a section id; write it like presenting_problem")
        return value


class _TemplateSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    code: str
    version: str
    title: str = Field(min_length=1, max_length=80)
    kind: Literal["progress", "intake", "discharge"]
    sections: list[_SectionSpec] = Field(min_length=1)

    @field_validator("code")
    @classmethod
    def _code_shape(cls, value: str) -> str:
        if not _CODE.fullmatch(value):
            raise ValueError(f"{value!r} is not a template code; write it like soap")
        return value

    @field_validator("version")
    @classmethod
    def _version_shape(cls, value: str) -> str:
        if not _VERSION.fullmatch(value):
            raise ValueError(f"{value!r} is not a version; write it like 1.0")
        return value


@dataclass(frozen=True)
class Section:
    id: str
    label: str
    required: bool
    help: str


@dataclass(frozen=True)
class NoteTemplate:
    code: str
    version: str
    title: str
    kind: str
    sections: tuple[Section, ...]

    @property
    def key(self) -> str:
        return f"{self.code}-{self.version}"


def load_template(path: Path) -> NoteTemplate:
    """Read, validate and return one template file, or raise TemplateFileError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TemplateFileError(f"{path.name}: cannot be read as TOML ({exc}).") from None
    try:
        spec = _TemplateSpec.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}" for e in exc.errors()
        )
        raise TemplateFileError(f"{path.name}: {problems}.") from None
    ids = [s.id for s in spec.sections]
    if len(ids) != len(set(ids)):
        raise TemplateFileError(f"{path.name}: two sections share an id.")
    if path.stem != f"{spec.code}-{spec.version}":
        raise TemplateFileError(
            f"{path.name}: the file must be named {spec.code}-{spec.version}.toml."
        )
    return NoteTemplate(
        code=spec.code,
        version=spec.version,
        title=spec.title,
        kind=spec.kind,
        sections=tuple(
            Section(id=s.id, label=s.label, required=s.required, help=s.help) for s in spec.sections
        ),
    )


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@functools.cache
def _catalogue() -> dict[tuple[str, str], NoteTemplate]:
    # Loaded once per process: the files ship with the code. A broken file
    # raises and is not cached, so the error repeats loudly.
    found: dict[tuple[str, str], NoteTemplate] = {}
    for path in sorted(DEFINITIONS.glob("*.toml")):
        template = load_template(path)
        found[(template.code, template.version)] = template
    return found


def templates() -> list[NoteTemplate]:
    """The latest version of every shipped template, by title."""
    latest: dict[str, NoteTemplate] = {}
    for template in sorted(_catalogue().values(), key=lambda t: _version_key(t.version)):
        latest[template.code] = template
    return sorted(latest.values(), key=lambda t: t.title)


def get_template(code: str, version: str | None = None) -> NoteTemplate:
    """Return a shipped template (its latest version unless one is named)."""
    if version is None:
        for template in templates():
            if template.code == code:
                return template
        raise UnknownTemplate(f"No note template has the code {code!r}.")
    try:
        return _catalogue()[(code, version)]
    except KeyError:
        raise UnknownTemplate(f"No note template {code!r} version {version!r}.") from None
