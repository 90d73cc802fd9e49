"""Totals fall in the published bands, on both sides of every boundary."""

from __future__ import annotations

import pytest

from wellkept.assessments.instruments import get_instrument, instruments, score

from .conftest import answers_for

PUBLISHED = {
    # Kroenke, Spitzer & Williams 2001: cut-points 5, 10, 15, 20.
    "phq9": [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately_severe"),
        (19, "moderately_severe"),
        (20, "severe"),
        (27, "severe"),
    ],
    # Kroenke, Spitzer & Williams 2003: 3 or more is a positive screen.
    "phq2": [(0, "negative"), (2, "negative"), (3, "positive"), (6, "positive")],
    # Spitzer et al. 2006: cut-points 5, 10, 15.
    "gad7": [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
    # Topp et al. 2015: 28 or less and 50 or less; totals are multiples of 4.
    "who5": [
        (0, "very_low"),
        (28, "very_low"),
        (32, "low"),
        (48, "low"),
        (52, "not_low"),
        (100, "not_low"),
    ],
    # Rohland et al. 2004, Dolan et al. 2015: 3 or more is burnout.
    "burnout1": [(1, "no_burnout"), (2, "no_burnout"), (3, "burnout"), (5, "burnout")],
}
CASES = [(code, total, band) for code, cases in PUBLISHED.items() for total, band in cases]


@pytest.mark.parametrize(("code", "total", "band"), CASES)
def test_it_scores_into_the_published_band(code: str, total: int, band: str) -> None:
    instrument = get_instrument(code)
    result = score(instrument, answers_for(instrument, total // instrument.multiplier))
    assert result.total == total
    assert result.band is not None
    assert result.band.code == band


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_it_covers_every_whole_number_in_the_range_once(code: str) -> None:
    instrument = get_instrument(code)
    for total in range(instrument.minimum, instrument.maximum + 1):
        assert sum(total in band for band in instrument.bands) == 1, total


def test_it_bands_who5_totals_that_are_not_multiples_of_4() -> None:
    who5 = get_instrument("who5")
    assert [who5.band_for(total).code for total in (29, 50, 51)] == ["low", "low", "not_low"]


def test_it_tests_every_shipped_instrument() -> None:
    assert set(PUBLISHED) == set(instruments())


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_it_words_every_band_as_a_screening_result(code: str) -> None:
    for band in get_instrument(code).bands:
        assert "not a diagnosis" in band.meaning or "not a full assessment" in band.meaning
        assert len(band.meaning) < 260, band.code
