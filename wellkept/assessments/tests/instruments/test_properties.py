"""Properties that hold for any answers, item by item, checked with generated answers."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wellkept.assessments.instruments import Instrument, check_answers, get_instrument, score

CODES = ["phq9", "phq2", "gad7", "who5", "burnout1"]
PRORATED = ["phq9", "gad7"]


def complete(instrument: Instrument) -> st.SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries(
        {item.id: st.sampled_from(item.values) for item in instrument.scored_items}
    )


def published_proration(answered: list[int], items: int) -> int:
    """Return the NHS Data Dictionary rule, mean-substituted, rounded half up, computed apart."""
    exact = Decimal(sum(answered)) * items / Decimal(len(answered))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_it_totals_the_sum_times_the_multiplier(code: str, data: st.DataObject) -> None:
    instrument = get_instrument(code)
    answers = data.draw(complete(instrument))
    result = score(instrument, answers)
    assert result.raw == sum(answers.values())
    assert result.total == sum(answers.values()) * instrument.multiplier
    assert (result.answered, result.missing, result.prorated) == (len(answers), 0, False)


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_it_moves_the_total_by_the_multiplier_for_one_step(code: str, data: st.DataObject) -> None:
    instrument = get_instrument(code)
    answers = data.draw(complete(instrument))
    raisable = [i for i in instrument.scored_items if answers[i.id] + 1 in i.values]
    if not raisable:
        return  # every answer at its maximum: nothing to raise
    item = data.draw(st.sampled_from(raisable))
    before = score(instrument, answers).total
    after = score(instrument, {**answers, item.id: answers[item.id] + 1}).total
    assert before is not None
    assert after == before + instrument.multiplier


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_it_puts_the_total_inside_its_band(code: str, data: st.DataObject) -> None:
    instrument = get_instrument(code)
    result = score(instrument, data.draw(complete(instrument)))
    assert result.band is not None
    assert result.band.minimum <= (result.total or 0) <= result.band.maximum
    assert instrument.minimum <= (result.total or 0) <= instrument.maximum


@given(data=st.data())
def test_it_signals_risk_exactly_when_phq9_item_9_is_above_zero(data: st.DataObject) -> None:
    phq9 = get_instrument("phq9")
    answers = {item.id: data.draw(st.none() | st.sampled_from(item.values)) for item in phq9.items}
    result = score(phq9, answers)
    assert result.safety_signal is ((answers["phq9_9"] or 0) > 0)


@pytest.mark.parametrize("code", PRORATED)
@given(data=st.data())
def test_it_prorates_one_or_two_missing_by_the_published_rule(
    code: str, data: st.DataObject
) -> None:
    instrument = get_instrument(code)
    answers: dict[str, int | None] = dict(data.draw(complete(instrument)))
    ids = [item.id for item in instrument.scored_items]
    gaps = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=2, unique=True))
    for item_id in gaps:
        answers[item_id] = None
    given_answers = [v for v in answers.values() if v is not None]
    result = score(instrument, answers)
    assert result.prorated
    assert (result.answered, result.missing) == (len(ids) - len(gaps), len(gaps))
    assert result.total == published_proration(given_answers, len(ids))
    assert result.band is not None
    assert result.band.minimum <= result.total <= result.band.maximum


@given(data=st.data())
def test_it_gives_no_phq9_total_with_three_or_more_missing_but_still_flags_risk(
    data: st.DataObject,
) -> None:
    phq9 = get_instrument("phq9")
    answers: dict[str, int | None] = dict(data.draw(complete(phq9)))
    ids = [item.id for item in phq9.scored_items]
    gaps = data.draw(st.lists(st.sampled_from(ids), min_size=3, max_size=9, unique=True))
    for item_id in gaps:
        answers[item_id] = None
    result = score(phq9, answers)
    assert (result.total, result.raw, result.band, result.suggestions) == (None, None, None, ())
    assert result.missing == len(gaps)
    assert result.safety_signal is ((answers["phq9_9"] or 0) > 0)


@pytest.mark.parametrize("code", ["phq2", "who5", "burnout1"])
@given(data=st.data())
def test_it_never_prorates_without_a_published_rule(code: str, data: st.DataObject) -> None:
    instrument = get_instrument(code)
    answers: dict[str, int | None] = dict(data.draw(complete(instrument)))
    gap = data.draw(st.sampled_from(sorted(answers)))
    result = score(instrument, {**answers, gap: None})
    assert (result.total, result.prorated) == (None, False)


@pytest.mark.parametrize("code", CODES)
@given(data=st.data())
def test_it_accepts_every_complete_set_of_options(code: str, data: st.DataObject) -> None:
    instrument = get_instrument(code)
    assert check_answers(instrument, data.draw(complete(instrument))) == {}
