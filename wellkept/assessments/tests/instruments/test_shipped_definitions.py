"""The shipped definitions load, carry the published codes, and are found by code and version."""

from __future__ import annotations

from pathlib import Path

import pytest

from wellkept.assessments.instruments import (
    UnknownInstrument,
    all_versions,
    get_instrument,
    instruments,
    load_instrument,
    loader,
)

from .conftest import TOY

SHIPPED = sorted(loader.DEFINITIONS.glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[path.name for path in SHIPPED])
def test_it_loads_every_shipped_file(path: Path) -> None:
    instrument = load_instrument(path)
    assert f"{instrument.code}-{instrument.version}.toml" == path.name
    assert instrument.licence
    assert instrument.citation
    assert instrument.sources
    assert instrument.missing_source


def test_it_ships_the_five_instruments() -> None:
    assert set(instruments()) == {"phq9", "phq2", "gad7", "who5", "burnout1"}
    assert [i.key for i in all_versions()] == [
        "burnout1@1.0",
        "gad7@1.0",
        "phq2@1.0",
        "phq9@1.0",
        "who5@1.0",
    ]


def test_it_gives_the_published_phq9_shape_and_codes() -> None:
    phq9 = get_instrument("phq9")
    assert phq9.key == "phq9@1.0"
    assert (phq9.minimum, phq9.maximum, phq9.multiplier, phq9.higher_is_better) == (0, 27, 1, False)
    assert (phq9.loinc_panel, phq9.loinc_total) == ("44249-1", "44261-6")
    assert [item.loinc for item in phq9.scored_items] == [
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
    ]
    assert [(o.value, o.label, o.loinc) for o in phq9.item("phq9_1").options] == [
        (0, "Not at all", "LA6568-5"),
        (1, "Several days", "LA6569-3"),
        (2, "More than half the days", "LA6570-1"),
        (3, "Nearly every day", "LA6571-9"),
    ]
    assert phq9.safety_item_ids == ("phq9_9",)
    assert phq9.item("phq9_9").text.startswith("Thoughts that you would be better off dead")
    assert not phq9.item("phq9_difficulty").scored
    assert (phq9.missing_rule, phq9.max_missing, phq9.rounding) == ("prorate", 2, "half_up")


def test_it_gives_the_published_gad7_shape_and_codes() -> None:
    gad7 = get_instrument("gad7")
    assert (gad7.minimum, gad7.maximum) == (0, 21)
    assert (gad7.loinc_panel, gad7.loinc_total) == ("69737-5", "70274-6")
    assert [item.loinc for item in gad7.scored_items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]
    assert gad7.safety_item_ids == ()
    assert (gad7.missing_rule, gad7.max_missing) == ("prorate", 2)


def test_it_asks_the_phq2_in_the_phq9_words() -> None:
    phq2, phq9 = get_instrument("phq2"), get_instrument("phq9")
    assert [(i.text, i.options, i.loinc) for i in phq2.items] == [
        (i.text, i.options, i.loinc) for i in phq9.items[:2]
    ]
    assert (phq2.loinc_panel, phq2.loinc_total) == ("55757-9", "55758-7")
    assert (phq2.minimum, phq2.maximum, phq2.missing_rule) == (0, 6, "none")


def test_it_scales_the_who5_to_100_with_higher_better() -> None:
    who5 = get_instrument("who5")
    assert (who5.minimum, who5.maximum, who5.multiplier, who5.higher_is_better) == (0, 100, 4, True)
    assert [o.label for o in who5.item("who5_1").options] == [
        "All of the time",
        "Most of the time",
        "More than half of the time",
        "Less than half of the time",
        "Some of the time",
        "At no time",
    ]
    assert who5.item("who5_1").values == (5, 4, 3, 2, 1, 0)
    assert who5.loinc_panel is None


def test_it_scores_the_burnout_item_from_1_to_5() -> None:
    burnout = get_instrument("burnout1")
    [item] = burnout.items
    assert item.values == (1, 2, 3, 4, 5)
    assert item.options[0].label == "I enjoy my work. I have no symptoms of burnout."
    assert item.options[4].label.startswith("I feel completely burned out")
    assert (burnout.minimum, burnout.maximum, burnout.missing_rule) == (1, 5, "none")


def test_it_names_the_known_codes_for_an_unknown_one() -> None:
    with pytest.raises(
        UnknownInstrument,
        match=r"^No instrument has the code 'phq8'\. Known codes: burnout1, gad7, phq2, phq9, "
        r"who5\.$",
    ):
        get_instrument("phq8")


def test_it_names_the_known_versions_for_an_unknown_one() -> None:
    with pytest.raises(
        LookupError, match=r"^PHQ-9 has no version '2\.0'\. Known versions: 1\.0\.$"
    ):
        get_instrument("phq9", "2.0")


def test_it_returns_a_named_version() -> None:
    assert get_instrument("gad7", "1.0") is get_instrument("gad7")


def test_it_picks_the_latest_version_by_number(tmp_path: Path, monkeypatch) -> None:
    for version in ("1.9", "1.10"):
        text = TOY.replace('version = "1.0"', f'version = "{version}"')
        (tmp_path / f"toy-{version}.toml").write_text(text, encoding="utf-8")
    monkeypatch.setattr(loader, "DEFINITIONS", tmp_path)
    loader._catalogue.cache_clear()
    try:
        assert get_instrument("toy").version == "1.10"
        assert [i.version for i in all_versions()] == ["1.9", "1.10"]
    finally:
        loader._catalogue.cache_clear()


def test_it_hands_out_a_copy_of_the_catalogue() -> None:
    instruments().clear()
    assert "phq9" in instruments()


def test_it_names_the_instrument_when_an_item_is_unknown() -> None:
    with pytest.raises(KeyError, match="PHQ-9 has no item 'phq9_10'"):
        get_instrument("phq9").item("phq9_10")


def test_it_refuses_a_band_for_a_score_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"A PHQ-9 score is between 0 and 27, so 28 has no band\."):
        get_instrument("phq9").band_for(28)
