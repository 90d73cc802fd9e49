"""check_answers says, per item and in plain words, what is wrong with submitted answers."""

from __future__ import annotations

import pytest

from wellkept.assessments.instruments import check_answers, get_instrument

COMPLETE = {f"phq9_{n}": 1 for n in range(1, 10)}


def test_it_accepts_complete_answers_without_the_optional_question() -> None:
    assert check_answers(get_instrument("phq9"), COMPLETE) == {}


def test_it_accepts_the_optional_question_when_answered() -> None:
    assert check_answers(get_instrument("phq9"), {**COMPLETE, "phq9_difficulty": 3}) == {}


@pytest.mark.parametrize("blank", [None, ""])
def test_it_asks_for_a_missing_scored_answer(blank: object) -> None:
    answers = {**COMPLETE, "phq9_3": blank}
    assert check_answers(get_instrument("phq9"), answers) == {
        "phq9_3": "Choose one of the answers for item 3."
    }


def test_it_asks_for_every_missing_answer() -> None:
    assert check_answers(get_instrument("gad7"), {}) == {
        f"gad7_{n}": f"Choose one of the answers for item {n}." for n in range(1, 8)
    }


@pytest.mark.parametrize("value", [4, -1, "4", " 2", "2.0", "two", 2.0, True, [1]])
def test_it_refuses_a_value_that_is_not_an_option(value: object) -> None:
    answers = {**COMPLETE, "phq9_3": value}
    assert check_answers(get_instrument("phq9"), answers) == {
        "phq9_3": "That answer is not one of the options for item 3."
    }


def test_it_reads_whole_numbers_sent_as_form_text() -> None:
    answers = {key: str(value) for key, value in COMPLETE.items()}
    assert check_answers(get_instrument("phq9"), {**answers, "phq9_difficulty": "0"}) == {}


def test_it_numbers_the_optional_question_as_the_form_does() -> None:
    answers = {**COMPLETE, "phq9_difficulty": 7}
    assert check_answers(get_instrument("phq9"), answers) == {
        "phq9_difficulty": "That answer is not one of the options for item 10."
    }


def test_it_names_a_question_that_is_not_in_the_instrument() -> None:
    answers = {**COMPLETE, "phq9_10": 1}
    assert check_answers(get_instrument("phq9"), answers) == {
        "phq9_10": "There is no question 'phq9_10' in the PHQ-9."
    }


def test_it_refuses_a_who5_value_outside_0_to_5() -> None:
    answers = {f"who5_{n}": 5 for n in range(1, 6)}
    answers["who5_2"] = 6
    assert check_answers(get_instrument("who5"), answers) == {
        "who5_2": "That answer is not one of the options for item 2."
    }


def test_it_refuses_0_for_the_burnout_item() -> None:
    assert check_answers(get_instrument("burnout1"), {"burnout1_1": 0}) == {
        "burnout1_1": "That answer is not one of the options for item 1."
    }
