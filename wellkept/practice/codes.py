"""Diagnosis codes from the ICD-10-CM release, never typed free-hand.

A diagnosis on a note or a superbill is a code of the CDC's ICD-10-CM
classification, checked against the release the ``simple-icd-10-cm``
package ships (the April 2026 release for version 1.5.0), and only a
billable one: a code with nothing more specific below it. A payer refuses
a category ("F43.1") where a full code ("F43.10") exists, so the therapist
is told which codes to choose from instead. The description shown is the
release's, so it cannot drift from the code.

The classification takes about three seconds to load, so it is loaded on
first use, once per process, not when the app starts.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from dataclasses import dataclass
from typing import Any

# Chapters a psychotherapy practice codes from most: mental and behavioural
# disorders (F) and factors influencing health status (Z: relationship,
# family and social problems). Listed first in search results.
PREFERRED_CHAPTERS = ("F", "Z")
SEARCH_LIMIT = 20
# Longer queries are not codes or descriptions; refusing them keeps search cheap.
MAX_QUERY = 80
_CODE_SHAPE = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


class CodeError(ValueError):
    """A code that cannot go on a record; the message says what to choose instead."""


@dataclass(frozen=True)
class Diagnosis:
    """One billable ICD-10-CM code and the release's description of it."""

    code: str
    description: str

    def __str__(self) -> str:
        return f"{self.code} {self.description}"


def release() -> str:
    """Name the classification release in use, for the record and the superbill."""
    version = importlib.metadata.version("simple-icd-10-cm")
    return f"ICD-10-CM April 2026 release (simple-icd-10-cm {version})"


@functools.cache
def _classification() -> Any:
    import simple_icd_10_cm

    return simple_icd_10_cm


def normalise(raw: str) -> str:
    """Return the code in the release's dotted form ("f329" -> "F32.9"), unchecked."""
    code = re.sub(r"\s+", "", raw or "").upper()
    if len(code) > 3 and "." not in code:
        code = f"{code[:3]}.{code[3:]}"
    return code


def diagnosis(raw: str) -> Diagnosis:
    """Return the billable diagnosis ``raw`` names, or raise CodeError saying what to do."""
    code = normalise(raw)
    if not code:
        raise CodeError("Enter an ICD-10-CM code, for example F43.10, or search by words.")
    cm = _classification()
    if not _CODE_SHAPE.match(code) or not cm.is_valid_item(code):
        raise CodeError(
            f"{raw.strip()[:MAX_QUERY]!r} is not a code of the {release()}. "
            "Search by words to find the right one."
        )
    if not cm.is_category_or_subcategory(code):
        raise CodeError(f"{code} is a chapter or block, not a diagnosis: choose a code within it.")
    if not cm.is_leaf(code):
        children = cm.get_children(code)
        shown = ", ".join(children[:6]) + (", …" if len(children) > 6 else "")
        raise CodeError(
            f"{code} ({cm.get_description(code)}) has more specific codes; "
            f"a claim needs one of them: {shown}."
        )
    return Diagnosis(code=code, description=cm.get_description(code))


def _words(text: str) -> list[str]:
    # Hyphens, slashes and commas count as spaces: "post-traumatic" is found
    # by "post traumatic" and the other way round.
    return re.sub(r"[-\u2013/,()]", " ", text.lower()).split()


@dataclass(frozen=True)
class _Entry:
    diagnosis: Diagnosis
    compact: str
    words: str
    preferred: bool


@functools.cache
def _index() -> tuple[_Entry, ...]:
    """Every billable code with its searchable text, the preferred chapters first."""
    cm = _classification()
    entries = []
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_category_or_subcategory(code) or not cm.is_leaf(code):
            continue
        # The release holds a few codes outside the ICD-10-CM code shape
        # ("QA0.0101"); diagnosis() refuses them, so search never offers them.
        if not _CODE_SHAPE.match(code):
            continue
        description = cm.get_description(code)
        # Searched too: the code's inclusion terms and its parent's
        # description, where the common names live ("PTSD" is in F43.1's,
        # not in F43.10's).
        parent = cm.get_parent(code)
        searchable = [description, *cm.get_inclusion_term(code)]
        if parent and cm.is_category_or_subcategory(parent):
            searchable.append(cm.get_description(parent))
        entries.append(
            _Entry(
                diagnosis=Diagnosis(code=code, description=description),
                compact=code.replace(".", ""),
                words=" ".join(_words(" ".join(searchable))),
                preferred=code.startswith(PREFERRED_CHAPTERS),
            )
        )
    entries.sort(key=lambda entry: (not entry.preferred, entry.diagnosis.code))
    return tuple(entries)


def search_diagnoses(query: str, *, limit: int = SEARCH_LIMIT) -> list[Diagnosis]:
    """Find billable codes by the start of their code or by every word of the query.

    "F43" or "f431" lists the codes that start so; "post traumatic stress"
    lists those whose description holds every word (in any order, hyphens
    counting as spaces). Mental and behavioural codes (F) and Z codes come
    first. An empty or overlong query finds nothing.
    """
    text = (query or "").strip()
    if not text or len(text) > MAX_QUERY:
        return []
    code = normalise(text)
    looks_like_code = bool(_CODE_SHAPE.match(code))
    compact = code.replace(".", "")
    words = _words(text)
    found: list[Diagnosis] = []
    for entry in _index():
        by_code = looks_like_code and entry.compact.startswith(compact)
        if by_code or all(word in entry.words for word in words):
            found.append(entry.diagnosis)
            if len(found) >= limit:
                break
    return found
