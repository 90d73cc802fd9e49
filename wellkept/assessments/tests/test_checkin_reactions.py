"""What a check-in moves in the apps above it, through hooks, in its own transaction."""

from __future__ import annotations

import pytest

from wellkept.assessments import services
from wellkept.assessments.hooks import RESPONSES_STORED, SAFETY_ALERT_RAISED
from wellkept.assessments.models import CheckIn, CheckInStatus, Response, SafetyAlert
from wellkept.audit.models import PseudonymousEntry
from wellkept.followup.models import Case
from wellkept.insights.models import Cell
from wellkept.insights.periods import Grain
from wellkept.insights.store import read_atoms

pytestmark = pytest.mark.django_db

PHQ9_RISK = {f"phq9_{i}": 1 for i in range(1, 10)}  # item 9 above 0: the safety item


def _answered(hospital, name: str, phq9: dict[str, int]) -> CheckIn:
    """A monthly check-in with every questionnaire answered, not yet submitted."""
    user, participant = hospital.people[name], hospital.participants[name]
    checkin = services.checkin_start(actor=user, participant=participant, schedule=hospital.monthly)
    for code, answers in (
        ("phq9", phq9),
        ("gad7", {f"gad7_{i}": 0 for i in range(1, 8)}),
        ("who5", {f"who5_{i}": 3 for i in range(1, 6)}),
    ):
        services.checkin_save_answers(
            actor=user, checkin=checkin, instrument_code=code, answers=answers
        )
    return checkin


def _submit(hospital, name: str, checkin: CheckIn) -> CheckIn:
    return services.checkin_submit(
        actor=hospital.people[name], checkin=checkin, idempotency_key=checkin.idempotency_key
    )


def _responses_counted(hospital, instrument: str) -> int:
    """Responses in the organisation's monthly cells (each grain counts every response)."""
    return sum(
        stats[0]
        for cell in Cell.objects.filter(
            organisation=hospital.organisation, instrument=instrument, grain=Grain.MONTH
        )
        for stats in read_atoms(cell).values()
    )


@pytest.fixture
def failing(request):
    """Connect a receiver that fails, to the hook named by the test; disconnect it after."""

    def broken(event: object) -> None:
        raise RuntimeError("a reaction failed")

    hook = request.param
    hook.connect(broken)
    yield hook
    hook.disconnect(broken)


def test_a_check_in_moves_the_aggregates_and_opens_a_case(hospital):
    before = _responses_counted(hospital, "phq9")
    _submit(hospital, "sara", _answered(hospital, "sara", PHQ9_RISK))  # sara agreed to alerts

    assert _responses_counted(hospital, "phq9") == before + 1
    alert = SafetyAlert.objects.get(participant=hospital.participants["sara"])
    assert Case.objects.filter(participant=alert.participant).count() == 1


def test_a_check_in_without_a_risk_signal_opens_no_case(hospital):
    _submit(hospital, "sara", _answered(hospital, "sara", {f"phq9_{i}": 0 for i in range(1, 10)}))

    assert not Case.objects.filter(participant=hospital.participants["sara"]).exists()


@pytest.mark.parametrize("failing", [RESPONSES_STORED, SAFETY_ALERT_RAISED], indirect=True)
def test_a_failing_reaction_rolls_the_check_in_back(hospital, failing):
    checkin = _answered(hospital, "sara", PHQ9_RISK)
    before = _responses_counted(hospital, "phq9")

    with pytest.raises(RuntimeError, match="a reaction failed"):
        _submit(hospital, "sara", checkin)

    checkin.refresh_from_db()
    assert checkin.status == CheckInStatus.IN_PROGRESS
    assert not Response.objects.filter(checkin=checkin).exists()
    assert not SafetyAlert.objects.exists()
    assert not Case.objects.exists()
    assert _responses_counted(hospital, "phq9") == before
    assert not PseudonymousEntry.objects.filter(event="checkin.submitted").exists()
