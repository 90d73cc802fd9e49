"""No template in the repository may carry inline script or style.

The Content-Security-Policy forbids them, so an inline script would silently
not run in the browser; worse, allowing it back ('unsafe-inline') would let an
injected attribute run code. This test fails before a reviewer has to notice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SKIP_DIRS = {".venv", "var", "node_modules", ".git", "htmlcov", "build", "dist"}

TAG = re.compile(r"<[a-zA-Z][^<>]*>")
# A JSON data block (type="application/json") is data, never executed, so it
# is allowed; any other <script> must load a file.
INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc\s*=)(?![^>]*\btype\s*=\s*[\"']application/json)[^>]*>",
    re.IGNORECASE,
)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
JS_URL = re.compile(r"""=\s*["']?\s*javascript:""", re.IGNORECASE)
REMOTE_ASSET = re.compile(r"""<(?:script|link)\b[^>]*(?:src|href)\s*=\s*["'](?:https?:)?//""")


def repository_templates() -> list[Path]:
    found = []
    for path in REPO.rglob("*.html"):
        if SKIP_DIRS.isdisjoint(path.relative_to(REPO).parts):
            found.append(path)
    return sorted(found)


def problems_in(text: str) -> list[str]:
    problems = []
    if INLINE_SCRIPT.search(text):
        problems.append("inline <script> without src")
    if STYLE_ELEMENT.search(text):
        problems.append("<style> element")
    if REMOTE_ASSET.search(text):
        problems.append("script or stylesheet from another host")
    for tag in TAG.findall(text):
        if STYLE_ATTRIBUTE.search(tag):
            problems.append(f"style attribute in {tag[:60]}")
        if HANDLER_ATTRIBUTE.search(tag):
            problems.append(f"event handler attribute in {tag[:60]}")
        if JS_URL.search(tag):
            problems.append(f"javascript: URL in {tag[:60]}")
    return problems


def test_it_finds_the_templates_it_checks() -> None:
    names = {p.name for p in repository_templates()}
    assert {"base.html", "404.html", "500.html"} <= names


@pytest.mark.parametrize("path", repository_templates(), ids=lambda p: str(p.relative_to(REPO)))
def test_it_has_no_inline_script_or_style(path: Path) -> None:
    assert problems_in(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">go()</script>',
        "<style>p{}</style>",
        '<p style="color:red">x</p>',
        '<button onclick="go()">x</button>',
        '<body onload="go()">',
        '<a href="javascript:go()">x</a>',
        '<script src="https://cdn.example.org/x.js"></script>',
        '<link rel="stylesheet" href="//cdn.example.org/x.css">',
    ],
)
def test_it_catches_each_kind_of_inline_code(snippet: str) -> None:
    assert problems_in(snippet) != []


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="/static/wellkept/js/session.js" defer></script>',
        '<link rel="stylesheet" href="/static/wellkept/css/wellkept.css">',
        '<p data-session-left="900">Only one person can read this.</p>',
        '<script type="application/json" data-allauth-onload="x">{"a": 1}</script>',
    ],
)
def test_it_allows_self_hosted_files_and_data_attributes(snippet: str) -> None:
    assert problems_in(snippet) == []
