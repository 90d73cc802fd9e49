"""Scoring by the published rules: sums, proration, safety items, suggestions, refusals."""

from __future__ import annotations

import pytest

from wellkept.assessments.instruments import InvalidAnswers, get_instrument, score

from .conftest import answers_for


def phq9(**answers: int | None) -> dict[str, int | None]:
    return {f"phq9_{key}": value for key, value in answers.items()}


ALL_TWOS = phq9(**{str(n): 2 for n in range(1, 10)})


def test_it_adds_the_phq9_answers() -> None:
    result = score(get_instrument("phq9"), ALL_TWOS)
    assert (result.total, result.raw, result.answered, result.missing) == (18, 18, 9, 0)
    assert result.band is not None
    assert result.band.label == "Moderately severe"
    assert not result.prorated


def test_it_leaves_the_difficulty_question_out_of_the_total() -> None:
    answers = {**ALL_TWOS, "phq9_difficulty": 3}
    assert score(get_instrument("phq9"), answers).total == 18


def test_it_prorates_one_missing_phq9_answer() -> None:
    answers = {**ALL_TWOS, "phq9_4": None}
    result = score(get_instrument("phq9"), answers)
    # 16 from 8 answers: each missing answer counts as the mean, 2.
    assert (result.total, result.answered, result.missing, result.prorated) == (18, 8, 1, True)


def test_it_rounds_a_prorated_half_up_across_a_band_edge() -> None:
    answers = phq9(**{"1": 1, "2": 1, "3": 1, "4": 1, "5": 0, "6": 0, "7": 0, "8": 0})
    result = score(get_instrument("phq9"), answers)
    # 4 from 8 answers, times 9/8, is 4.5: half up gives 5, "mild" not "minimal".
    assert result.total == 5
    assert result.band is not None
    assert result.band.code == "mild"


def test_it_prorates_two_missing_gad7_answers() -> None:
    answers = {"gad7_1": 2, "gad7_2": 2, "gad7_3": 1, "gad7_4": 1, "gad7_5": 1}
    result = score(get_instrument("gad7"), answers)
    # 7 from 5 answers, times 7/5, is 9.8: rounds to 10, "moderate".
    assert (result.total, result.missing, result.prorated) == (10, 2, True)
    assert result.band is not None
    assert result.band.code == "moderate"


def test_it_does_not_score_a_phq9_with_three_missing() -> None:
    answers = {**ALL_TWOS, "phq9_1": None, "phq9_2": None}
    del answers["phq9_3"]
    result = score(get_instrument("phq9"), answers)
    assert (result.total, result.raw, result.band, result.prorated) == (None, None, None, False)
    assert (result.answered, result.missing) == (6, 3)
    assert result.suggestions == ()


def test_it_flags_item_9_even_when_nothing_else_is_answered() -> None:
    result = score(get_instrument("phq9"), {"phq9_9": 1})
    assert result.total is None
    assert result.safety_signal


@pytest.mark.parametrize(("answer", "signal"), [(0, False), (1, True), (2, True), (3, True)])
def test_it_flags_item_9_above_not_at_all(answer: int, signal: bool) -> None:
    result = score(get_instrument("phq9"), {**ALL_TWOS, "phq9_9": answer})
    assert result.safety_signal is signal


def test_it_raises_no_safety_signal_from_a_missing_item_9() -> None:
    assert not score(get_instrument("phq9"), {**ALL_TWOS, "phq9_9": None}).safety_signal


@pytest.mark.parametrize(
    ("code", "gap"), [("phq2", "phq2_2"), ("who5", "who5_3"), ("burnout1", "burnout1_1")]
)
def test_it_scores_only_complete_answers_without_a_proration_rule(code: str, gap: str) -> None:
    instrument = get_instrument(code)
    answers: dict[str, int | None] = {**answers_for(instrument, 1), gap: None}
    result = score(instrument, answers)
    assert (result.total, result.band, result.missing) == (None, None, 1)


@pytest.mark.parametrize(("raw", "suggested"), [(2, ()), (3, ("phq9",)), (6, ("phq9",))])
def test_it_suggests_the_phq9_after_a_phq2_of_3_or_more(raw: int, suggested: tuple) -> None:
    phq2 = get_instrument("phq2")
    assert score(phq2, answers_for(phq2, raw)).suggestions == suggested


@pytest.mark.parametrize(
    ("raw", "total", "suggested"),
    [(0, 0, ("depression_screening",)), (7, 28, ("depression_screening",)), (8, 32, ())],
)
def test_it_suggests_depression_screening_at_a_who5_of_28_or_less(
    raw: int, total: int, suggested: tuple
) -> None:
    who5 = get_instrument("who5")
    result = score(who5, answers_for(who5, raw))
    assert (result.raw, result.total, result.suggestions) == (raw, total, suggested)


def test_it_multiplies_the_who5_by_4() -> None:
    who5 = get_instrument("who5")
    result = score(who5, {f"who5_{n}": 5 for n in range(1, 6)})
    assert (result.raw, result.total) == (25, 100)
    assert result.band is not None
    assert result.band.code == "not_low"


def test_it_refuses_an_answer_that_is_not_an_option() -> None:
    with pytest.raises(InvalidAnswers) as caught:
        score(get_instrument("phq9"), {**ALL_TWOS, "phq9_3": 4})
    assert caught.value.errors == {"phq9_3": "That answer is not one of the options for item 3."}


def test_it_scores_only_numbers_not_form_text() -> None:
    with pytest.raises(InvalidAnswers, match="not one of the options for item 1"):
        score(get_instrument("phq9"), {**ALL_TWOS, "phq9_1": "2"})


def test_it_refuses_an_answer_to_another_instrument() -> None:
    with pytest.raises(InvalidAnswers, match=r"There is no question 'gad7_1' in the PHQ-9\."):
        score(get_instrument("phq9"), {**ALL_TWOS, "gad7_1": 1})
