"""Turn pydantic's validation errors into one plain sentence per problem, naming the field."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

# Lists whose entries are easier to find by their own name than by position.
NAMED_LISTS = {"items": "id", "bands": "code", "suggestions": "code"}


def field_path(loc: Sequence[int | str], data: object) -> str:
    """Return a path like items[8].loinc (phq9_9), from a pydantic location and the raw file."""
    parts: list[str] = []
    label = ""
    node: object = data
    for step in loc:
        if step == "[key]":
            continue
        if isinstance(step, int):
            parts.append(f"[{step}]")
        else:
            parts.append(f".{step}" if parts else step)
        node = _child(node, step)
        if isinstance(step, int) and len(parts) == 2 and isinstance(node, Mapping):
            name = node.get(NAMED_LISTS.get(str(loc[0]), ""))
            if isinstance(name, str):
                label = f" ({name})"
    return "".join(parts) + label if parts else "the file"


def _child(node: object, step: int | str) -> object:
    if isinstance(node, Mapping):
        return node.get(step)
    if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
        return node[step]
    return None


def describe(value: object) -> str:
    """Return how a TOML value reads to the person who wrote it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def sentence(error: ErrorDetails, data: object) -> str:
    """Return one sentence for one pydantic error."""
    where = field_path(error["loc"], data)
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    given = describe(error.get("input"))
    if kind == "missing":
        return f"{where} is required but missing."
    if kind == "extra_forbidden":
        return f"{where} is not a field of this format; check the spelling or remove it."
    if kind in {"int_type", "int_from_float"}:
        return f"{where} must be a whole number, not {given}."
    if kind == "string_type":
        return f"{where} must be text in quotes, not {given}."
    if kind == "bool_type":
        return f"{where} must be true or false, not {given}."
    if kind == "list_type":
        return f"{where} must be a list, not {given}."
    if kind in {"dict_type", "model_type"}:
        return f"{where} must be a table, not {given}."
    if kind == "literal_error":
        return f"{where} must be {ctx.get('expected')}, not {given}."
    if kind == "too_short":
        return f"{where} needs at least {ctx.get('min_length')} entry."
    if kind == "greater_than_equal":
        return f"{where} must be {ctx.get('ge')} or more, not {given}."
    if kind == "value_error" and "error" in ctx:
        return f"{where}: {ctx['error']}."
    return f"{where}: {error['msg']}."


def sentences(exc: ValidationError, data: object) -> list[str]:
    """Return one sentence per problem in a pydantic ValidationError."""
    return [sentence(error, data) for error in exc.errors()]
