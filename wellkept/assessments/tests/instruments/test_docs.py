"""docs/instruments.md describes every shipped instrument and its bands as the files define them."""

from __future__ import annotations

from pathlib import Path

import pytest

from wellkept.assessments.instruments import instruments

DOC = Path(__file__).resolve().parents[4] / "docs" / "instruments.md"


@pytest.mark.parametrize("code", sorted(instruments()))
def test_it_documents_every_band_with_its_range(code: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    instrument = instruments()[code]
    assert f"(`{code}`)" in text, f"add a section for {code} to docs/instruments.md"
    for band in instrument.bands:
        row = f"| {band.minimum}\N{EN DASH}{band.maximum} | {band.label} |"
        assert row in text, f"docs/instruments.md: {code} needs the row {row!r}"


@pytest.mark.parametrize("code", sorted(instruments()))
def test_it_documents_the_safety_items(code: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"(`{code}`)", 1)[1].split("\n## ", 1)[0]
    expected = "**Safety item.** None" if not instruments()[code].safety_item_ids else "Item 9"
    assert expected in section
