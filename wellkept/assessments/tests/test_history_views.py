"""The participant's results over time: a chart and table per questionnaire, bands, the change."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from wellkept import clock
from wellkept.assessments import services
from wellkept.assessments.history import change_since_last
from wellkept.assessments.instruments import get_instrument
from wellkept.assessments.selectors import HistoryPoint
from wellkept.audit.models import PseudonymousEntry

pytestmark = pytest.mark.django_db

HISTORY = reverse("assessments:history")


def pulse_weeks_ago(hospital, name, weeks_ago, phq2, burnout, monkeypatch):
    """Submit a weekly pulse dated ``weeks_ago`` weeks back, through the ordinary services."""
    user, participant = hospital.people[name], hospital.participants[name]
    then = clock.now() - dt.timedelta(weeks=weeks_ago)
    with monkeypatch.context() as patch:
        patch.setattr("wellkept.clock.now", lambda: then)
        checkin = services.checkin_start(
            actor=user, participant=participant, schedule=hospital.pulse
        )
        services.checkin_save_answers(
            actor=user,
            checkin=checkin,
            instrument_code="phq2",
            answers={"phq2_1": phq2[0], "phq2_2": phq2[1]},
        )
        services.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code="burnout1", answers={"burnout1_1": burnout}
        )
        services.checkin_submit(
            actor=user, checkin=checkin, idempotency_key=checkin.idempotency_key
        )


@pytest.fixture
def joe_with_history(hospital, monkeypatch):
    # PHQ-2 totals 1, 4, 2 (lower is better); burnout 2, 2, 3.
    for weeks_ago, phq2, burnout in ((2, (0, 1), 2), (1, (2, 2), 2), (0, (1, 1), 3)):
        pulse_weeks_ago(hospital, "joe", weeks_ago, phq2, burnout, monkeypatch)
    return hospital


def test_it_shows_each_questionnaire_with_chart_table_bands_and_change(client, joe_with_history):
    client.force_login(joe_with_history.people["joe"])
    response = client.get(HISTORY)
    assert response.status_code == 200
    html = response.text
    phq2 = html.split('id="history-phq2"', 1)[1].split("</section>", 1)[0]
    assert '<svg viewBox="0 0 320 160" role="img"' in phq2
    assert "All 3 results as a table, newest first" in phq2
    assert phq2.count("<tr><td>") == 3
    # The change, in words: 4 then 2 on PHQ-2, where lower is better.
    assert "down 2 points from 4" in phq2
    assert "which is better" in phq2
    # The bands, with the latest one marked.
    assert "What the scores mean" in phq2
    assert "bands__band--current" in phq2
    burnout = html.split('id="history-burnout1"', 1)[1].split("</section>", 1)[0]
    assert "up 1 point from 2" in burnout
    assert "which is not as good" in burnout


def test_it_puts_questionnaires_in_the_programmes_order(client, joe_with_history):
    client.force_login(joe_with_history.people["joe"])
    html = client.get(HISTORY).text
    assert html.index('id="history-phq2"') < html.index('id="history-burnout1"')


def test_it_shows_only_the_persons_own_results(client, joe_with_history):
    client.force_login(joe_with_history.people["sara"])
    html = client.get(HISTORY).text
    assert "No results yet" in html
    assert 'id="history-phq2"' not in html


def test_it_reads_the_history_through_the_policy_in_one_audited_read(client, joe_with_history):
    client.force_login(joe_with_history.people["joe"])
    token = joe_with_history.participants["joe"].token
    # A participant's own reads are in the pseudonymous chain (no link to the login).
    reads = PseudonymousEntry.objects.filter(target__contains=token, event="record.read")
    before = reads.count()
    client.get(HISTORY)
    after = reads.count()
    assert after - before >= 1
    assert after - before <= 2  # the participant row, and the results in one query


@pytest.mark.parametrize("name", ["nadia", "lena", "amira", "priya"])
def test_it_is_not_found_for_anyone_not_taking_part(client, hospital, name):
    user = hospital.people[name]
    if name != "nadia":
        TOTP.activate(user, generate_totp_secret())  # staff reach pages only with MFA
    client.force_login(user)
    assert client.get(HISTORY).status_code == 404


def test_the_programme_page_sums_up_the_latest_results_and_links_the_history(
    client, joe_with_history
):
    client.force_login(joe_with_history.people["joe"])
    html = client.get(reverse("assessments:programme")).text
    assert "Your latest results" in html
    assert "down 2 since last time" in html
    assert f'href="{HISTORY}"' in html


def test_the_programme_page_offers_one_obvious_next_step(client, hospital):
    client.force_login(hospital.people["joe"])
    html = client.get(reverse("assessments:programme")).text
    assert html.count('class="button button--wide"') == 1
    assert "Next: weekly pulse" in html
    assert "Start monthly check-in" in html  # still there, as a secondary choice


def point(day: int, total: int | None) -> HistoryPoint:
    return HistoryPoint(
        day=dt.date(2026, 3, day), total=total, band=None, band_label=None, response_id=day
    )


@pytest.mark.parametrize(
    ("code", "totals", "delta", "better"),
    [
        ("phq9", (10, 7), -3, True),  # fewer symptoms
        ("phq9", (7, 10), 3, False),
        ("who5", (40, 60), 20, True),  # more wellbeing
        ("who5", (60, 40), -20, False),
        ("gad7", (5, 5), 0, None),
    ],
)
def test_it_words_the_change_by_whether_higher_is_better(code, totals, delta, better):
    change = change_since_last(get_instrument(code), [point(1, totals[0]), point(8, totals[1])])
    assert change is not None
    assert (change.delta, change.better) == (delta, better)


def test_there_is_no_change_before_two_scored_results():
    assert change_since_last(get_instrument("phq9"), [point(1, 4)]) is None
