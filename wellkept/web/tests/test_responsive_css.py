"""The stylesheet keeps every page within a phone's width.

Layout needs a browser to check fully (see docs/screenshots/); these tests
pin the rules that fixed the problems found there, so they do not regress.
"""

from __future__ import annotations

import re
from pathlib import Path

from django.contrib.staticfiles import finders

PHONE = "@media (max-width: 40rem)"
NARROW = "@media (max-width: 64rem)"
WIDE = "@media (min-width: 48.0625rem)"


def stylesheet() -> str:
    path = finders.find("wellkept/css/wellkept.css")
    assert path is not None
    return re.sub(r"/\*.*?\*/", "", Path(path).read_text(encoding="utf-8"), flags=re.DOTALL)


def block(css: str, opening: str) -> str:
    """Return the body of the first block that starts with ``opening``."""
    start = css.index(opening)
    depth = 0
    for i in range(css.index("{", start), len(css)):
        depth += {"{": 1, "}": -1}.get(css[i], 0)
        if depth == 0:
            return css[css.index("{", start) + 1 : i]
    raise AssertionError(f"unclosed block {opening!r}")


def top_level(css: str) -> str:
    """Drop every nested block (@media, @supports), keeping the plain rules."""
    kept, depth, at_rule = [], 0, False
    for i, char in enumerate(css):
        if char == "{":
            depth += 1
            if depth == 1:
                opening = css[css.rfind("}", 0, i) + 1 : i]
                at_rule = opening.strip().startswith("@")
                if at_rule:
                    del kept[len(kept) - len(opening) :]
        if not (at_rule and depth >= 1):
            kept.append(char)
        if char == "}":
            depth -= 1
            if depth == 0:
                at_rule = False
    return "".join(kept)


def declarations(css: str, selector: str) -> dict[str, str]:
    """Merge the declarations of every top-level rule for exactly ``selector``."""
    found: dict[str, str] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", top_level(css)):
        if selector in {s.strip() for s in selectors.split(",")}:
            for name, value in re.findall(r"([a-z-]+)\s*:\s*([^;]+);", body):
                found[name] = " ".join(value.split())
    return found


def test_it_keeps_a_table_on_a_narrow_screen_inside_its_own_scroll_box() -> None:
    table = declarations(block(stylesheet(), NARROW), "table")

    assert table["display"] == "block"
    assert table["overflow-x"] == "auto"
    assert table["max-width"] == "100%"
    # Without it a visually hidden header (position: absolute) is laid out
    # against the page and stretched it to 750 px on a 390 px phone.
    assert table["position"] == "relative"
    # The edge shadows that tell a reader more columns are off-screen.
    assert "local" in table["background"]
    assert "scroll" in table["background"]


def test_it_leaves_a_gap_between_the_sign_in_card_and_the_footer() -> None:
    css = stylesheet()

    main = declarations(css, ".layout-entrance .site-main")
    footer = declarations(css, ".layout-entrance .site-footer")
    assert main["margin"] == "2rem auto"
    assert footer["margin-top"] == "auto"
    assert declarations(block(css, PHONE), ".layout-entrance .site-main")["margin-bottom"]


def test_it_shows_the_menu_as_a_disclosure_on_phones_and_a_row_on_wide_screens() -> None:
    css = stylesheet()
    wide = block(block(css, WIDE), "@supports selector(::details-content)")

    assert declarations(css, ".site-menu__panel")["position"] == "absolute"
    assert declarations(wide, ".site-menu__toggle") == {"display": "none"}
    assert declarations(wide, ".site-menu::details-content")["content-visibility"] == "visible"
    assert declarations(wide, ".site-menu__panel")["position"] == "static"
    # The role label keeps its own box beside the links instead of wrapping
    # onto a header line of its own.
    assert declarations(wide, ".site-menu__panel .site-header__roles")["flex"] == "0 0 auto"
