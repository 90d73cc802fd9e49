"""A broken definition file is refused with a sentence that names the field and the fix."""

from __future__ import annotations

import re

import pytest

from wellkept.assessments.instruments import InstrumentFileError, load_instrument

from .conftest import WriteDefinition


def problems_of(path) -> tuple[str, ...]:
    with pytest.raises(InstrumentFileError) as caught:
        load_instrument(path)
    return caught.value.problems


def test_it_accepts_the_toy_definition(write_definition: WriteDefinition) -> None:
    instrument = load_instrument(write_definition())
    assert instrument.key == "toy@1.0"
    assert [band.code for band in instrument.bands] == ["low", "high"]


def test_it_names_a_missing_field(write_definition: WriteDefinition) -> None:
    path = write_definition({'title = "Toy questionnaire"\n': ""})
    assert problems_of(path) == ("title is required but missing.",)


def test_it_names_the_file_and_stays_a_value_error(write_definition: WriteDefinition) -> None:
    path = write_definition({'title = "Toy questionnaire"\n': ""})
    with pytest.raises(ValueError, match=r"^toy-1\.0\.toml: title is required but missing\.$"):
        load_instrument(path)


def test_it_names_an_unknown_field(write_definition: WriteDefinition) -> None:
    path = write_definition({'short_title = "Toy"\n': 'short_title = "Toy"\ncolour = "red"\n'})
    assert problems_of(path) == (
        "colour is not a field of this format; check the spelling or remove it.",
    )


def test_it_refuses_a_quoted_number(write_definition: WriteDefinition) -> None:
    path = write_definition({"multiplier = 1": 'multiplier = "1"'})
    assert problems_of(path) == ("scoring.multiplier must be a whole number, not the text '1'.",)


def test_it_refuses_an_unknown_missing_rule(write_definition: WriteDefinition) -> None:
    path = write_definition({'missing_rule = "prorate"': 'missing_rule = "average"'})
    assert problems_of(path) == (
        "scoring.missing_rule must be 'prorate' or 'none', not the text 'average'.",
    )


def test_it_finds_overlapping_bands(write_definition: WriteDefinition) -> None:
    path = write_definition({"minimum = 3\nmaximum = 6\nlabel": "minimum = 2\nmaximum = 6\nlabel"})
    assert problems_of(path) == (
        "the bands low (0 to 2) and high (2 to 6) overlap: score 2 would fall in both.",
    )


def test_it_finds_a_gap_between_bands(write_definition: WriteDefinition) -> None:
    path = write_definition({"minimum = 3\nmaximum = 6\nlabel": "minimum = 4\nmaximum = 6\nlabel"})
    assert problems_of(path) == ("no band covers score 3, between low (0 to 2) and high (4 to 6).",)


def test_it_finds_scores_above_the_highest_band(write_definition: WriteDefinition) -> None:
    path = write_definition({"minimum = 3\nmaximum = 6\nlabel": "minimum = 3\nmaximum = 5\nlabel"})
    assert problems_of(path) == (
        "no band covers score 6: the highest band, high (3 to 5), ends below the highest score 6.",
    )


def test_it_finds_scores_below_the_lowest_band(write_definition: WriteDefinition) -> None:
    path = write_definition({"minimum = 0\nmaximum = 2\nlabel": "minimum = 1\nmaximum = 2\nlabel"})
    assert problems_of(path) == (
        "no band covers score 0: the lowest band, low (1 to 2), starts above the lowest score 0.",
    )


def test_it_finds_an_upside_down_band(write_definition: WriteDefinition) -> None:
    path = write_definition({"minimum = 0\nmaximum = 2\nlabel": "minimum = 2\nmaximum = 0\nlabel"})
    assert problems_of(path) == ("the band low starts at 2 but ends at 0.",)


def test_it_finds_an_unknown_safety_item(write_definition: WriteDefinition) -> None:
    path = write_definition({'safety_items = ["toy_2"]': 'safety_items = ["toy_3"]'})
    assert problems_of(path) == (
        "scoring.safety_items names toy_3, which is not an item of this instrument.",
    )


def test_it_finds_a_duplicate_option_value(write_definition: WriteDefinition) -> None:
    path = write_definition({'value = 2\nlabel = "Often"': 'value = 1\nlabel = "Often"'})
    found = problems_of(path)
    assert "answers.frequency gives the value 1 to more than one option." in found


def test_it_finds_a_duplicate_item_id(write_definition: WriteDefinition) -> None:
    path = write_definition({'id = "toy_2"': 'id = "toy_1"'})
    assert "the item id toy_1 is used more than once; item ids must be unique." in problems_of(path)


def test_it_wants_item_ids_to_start_with_the_code(write_definition: WriteDefinition) -> None:
    path = write_definition({'id = "toy_2"': 'id = "phq9_2"', '["toy_2"]': '["phq9_2"]'})
    assert problems_of(path) == (
        "items[1] (phq9_2): the id must start with 'toy_', the instrument's code.",
    )


def test_it_finds_an_undefined_answer_set(write_definition: WriteDefinition) -> None:
    path = write_definition(
        {
            'text = "Second question"\nanswers = "frequency"': (
                'text = "Second question"\nanswers = "frequncy"'
            )
        }
    )
    assert problems_of(path) == (
        "items[1] (toy_2) uses answers 'frequncy', which are not defined; defined: frequency.",
    )


@pytest.mark.parametrize(
    ("bad", "expected"),
    [
        ("4425-09", "items[1].loinc (toy_2): '4425-09' is not a LOINC code"),
        ("44255", "items[1].loinc (toy_2): '44255' is not a LOINC code"),
        ("44255-9", "items[1].loinc (toy_2): '44255-9' fails the LOINC check digit"),
    ],
)
def test_it_refuses_a_bad_loinc_code(
    write_definition: WriteDefinition, bad: str, expected: str
) -> None:
    path = write_definition({'loinc = "44255-8"': f'loinc = "{bad}"'})
    [found] = problems_of(path)
    assert found.startswith(expected)


def test_it_refuses_a_bad_loinc_answer_code(write_definition: WriteDefinition) -> None:
    path = write_definition({'loinc = "LA6569-3"': 'loinc = "6569-3"'})
    [found] = problems_of(path)
    assert found.startswith(
        "answers.frequency[1].loinc: '6569-3' is not a LOINC answer code; they start with LA"
    )


def test_it_refuses_a_bad_panel_code(write_definition: WriteDefinition) -> None:
    path = write_definition({'panel = "44249-1"': 'panel = "PHQ9"'})
    [found] = problems_of(path)
    assert found.startswith("loinc.panel: 'PHQ9' is not a LOINC code")


def test_it_refuses_a_version_without_a_minor_part(write_definition: WriteDefinition) -> None:
    path = write_definition({'version = "1.0"': 'version = "1"'}, name="toy-1.toml")
    assert problems_of(path) == (
        "version: '1' is not valid here; write it like 1.0 (major.minor).",
    )


def test_it_wants_the_file_named_after_code_and_version(
    write_definition: WriteDefinition,
) -> None:
    path = write_definition(name="toy-2.0.toml")
    assert problems_of(path) == (
        "the file must be named toy-1.0.toml to match its code 'toy' and version '1.0'.",
    )


def test_it_checks_the_declared_range_against_the_options(
    write_definition: WriteDefinition,
) -> None:
    path = write_definition({"maximum = 6\nmultiplier": "maximum = 7\nmultiplier"})
    found = problems_of(path)
    assert found[0] == (
        "scoring.minimum and scoring.maximum say 0 to 7, but the scored items' options "
        "times the multiplier 1 give 0 to 6."
    )
    assert (
        "no band covers score 7: the highest band, high (3 to 6), ends below the "
        "highest score 7." in found
    )


def test_it_wants_no_missing_answers_under_rule_none(write_definition: WriteDefinition) -> None:
    path = write_definition({'missing_rule = "prorate"': 'missing_rule = "none"'})
    assert problems_of(path) == (
        "scoring.max_missing must be 0 when missing_rule is 'none'.",
        "scoring.rounding only applies when missing_rule is 'prorate'.",
    )


def test_it_wants_a_rounding_rule_for_proration(write_definition: WriteDefinition) -> None:
    path = write_definition({'rounding = "half_up"\n': ""})
    assert problems_of(path) == (
        "scoring.rounding is required when missing_rule is 'prorate' (use 'half_up').",
    )


def test_it_wants_one_answer_left_after_proration(write_definition: WriteDefinition) -> None:
    path = write_definition({"max_missing = 1": "max_missing = 2"})
    assert problems_of(path) == (
        "scoring.max_missing is 2, but with 2 scored items at least one must be answered; "
        "lower it.",
    )


def test_it_finds_a_suggestion_outside_the_range(write_definition: WriteDefinition) -> None:
    path = write_definition(
        {'code = "more"\nminimum = 3\nmaximum = 6': ('code = "more"\nminimum = 3\nmaximum = 9')}
    )
    assert problems_of(path) == (
        "suggestions[0] (more) covers 3 to 9, outside the score range 0 to 6.",
    )


def test_it_lists_every_problem_at_once(write_definition: WriteDefinition) -> None:
    path = write_definition(
        {
            'safety_items = ["toy_2"]': 'safety_items = ["toy_9"]',
            "minimum = 3\nmaximum = 6\nlabel": ("minimum = 4\nmaximum = 6\nlabel"),
        }
    )
    with pytest.raises(InstrumentFileError) as caught:
        load_instrument(path)
    assert str(caught.value) == (
        "toy-1.0.toml has 2 problems:\n"
        "  - scoring.safety_items names toy_9, which is not an item of this instrument.\n"
        "  - no band covers score 3, between low (0 to 2) and high (4 to 6)."
    )
    assert caught.value.path == path


def test_it_reports_a_toml_syntax_error(write_definition: WriteDefinition) -> None:
    path = write_definition({'title = "Toy questionnaire"': 'title = "Toy questionnaire'})
    [found] = problems_of(path)
    assert re.match(r"is not valid TOML: .+\(at line 3, column \d+\)\.$", found)


def test_it_reports_a_missing_file(tmp_path) -> None:
    assert problems_of(tmp_path / "phq9-9.9.toml") == ("there is no such file.",)


def test_it_refuses_an_option_without_a_code_labelled_two_ways(
    write_definition: WriteDefinition,
) -> None:
    # Options without LOINC codes are exported under their value alone.
    path = write_definition(
        {
            '[[items]]\nid = "toy_1"': (
                '[[answers.other]]\nvalue = 0\nlabel = "Not once"\n\n'
                '[[answers.other]]\nvalue = 1\nlabel = "Sometimes"\n\n'
                '[[answers.other]]\nvalue = 2\nlabel = "Often"\n\n'
                '[[answers.other]]\nvalue = 3\nlabel = "Always"\n\n'
                '[[items]]\nid = "toy_1"'
            ),
            'label = "Never"\nloinc = "LA6568-5"': 'label = "Never"',
            'text = "First question"\nanswers = "frequency"': (
                'text = "First question"\nanswers = "other"'
            ),
        }
    )
    assert problems_of(path) == (
        "options without a LOINC code are exported under their value, so the value 0 cannot "
        "be labelled both 'Never' and 'Not once'; give them LOINC answer codes or one label.",
    )


def test_it_wants_the_version_in_quotes(write_definition: WriteDefinition) -> None:
    path = write_definition({'version = "1.0"': "version = 1.0"})
    assert problems_of(path) == ("version must be text in quotes, not 1.0.",)
