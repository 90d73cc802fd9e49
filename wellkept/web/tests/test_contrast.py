"""Text colours in the stylesheet meet WCAG 2.2 AA contrast (4.5:1, 3:1 for controls)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders


def css_variables() -> dict[str, str]:
    path = finders.find("wellkept/css/wellkept.css")
    assert path is not None
    css = Path(path).read_text(encoding="utf-8")
    return dict(re.findall(r"(--wk-[a-z-]+):\s*(#[0-9a-fA-F]{6})", css))


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


TEXT_PAIRS = [
    ("--wk-text", "--wk-bg"),
    ("--wk-text", "--wk-surface"),
    ("--wk-muted", "--wk-bg"),
    ("--wk-muted", "--wk-surface"),
    ("--wk-link", "--wk-surface"),
    ("--wk-link", "--wk-bg"),
    ("--wk-on-primary", "--wk-primary"),
    ("--wk-on-primary", "--wk-primary-hover"),
    ("--wk-on-header", "--wk-header"),
    ("--wk-header-muted", "--wk-header"),
    ("--wk-primary", "--wk-info-bg"),
    ("--wk-info-text", "--wk-info-bg"),
    ("--wk-success-text", "--wk-success-bg"),
    ("--wk-warning-text", "--wk-warning-bg"),
    ("--wk-error-text", "--wk-error-bg"),
    ("--wk-on-primary", "--wk-danger"),
]
NON_TEXT_PAIRS = [
    ("--wk-control-border", "--wk-surface"),
    ("--wk-focus", "--wk-surface"),
    ("--wk-focus", "--wk-bg"),
]


@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS)
def test_it_gives_text_at_least_aa_contrast(fg: str, bg: str) -> None:
    colours = css_variables()
    assert contrast(colours[fg], colours[bg]) >= 4.5


@pytest.mark.parametrize(("fg", "bg"), NON_TEXT_PAIRS)
def test_it_gives_controls_and_focus_at_least_3_to_1(fg: str, bg: str) -> None:
    colours = css_variables()
    assert contrast(colours[fg], colours[bg]) >= 3


def test_it_computes_contrast_like_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") < 4.5
