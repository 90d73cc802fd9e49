"""Questionnaires in the portal: due ones answered by the client, scored as in session.

Ada (Tess's client) answers the PHQ-9 Tess assigned her; staff cannot
answer for her through the portal, and Ben's results stay Ben's.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from wellkept import clock
from wellkept.accounts.models import User
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.portal import care, questionnaires
from wellkept.portal.models import PortalAppointmentRequest
from wellkept.portal.tests.conftest import SETUP, portal_user, signed_in
from wellkept.practice import services
from wellkept.practice.models import MeasureAlert, MeasureResult
from wellkept.practice.tests.measures_helpers import phq9, record

pytestmark = pytest.mark.django_db


def assign(practice, client: str = "ada", therapist: str = "tess", every_weeks=None):
    return services.measure_assign(
        actor=practice.people[therapist],
        client=practice.clients[client],
        instrument="phq9",
        every_weeks=every_weeks,
    )


def as_form(answers):
    return {k: str(v) for k, v in answers.items() if v is not None}


def test_it_scores_as_the_practice_scores_in_session(practice):
    ada = portal_user(practice.clients["ada"])
    assign(practice)
    answers = phq9(14)
    mine = questionnaires.portal_measure_submit(actor=ada, code="phq9", answers=answers)
    theirs = record(practice, answers)
    ours, session = json.loads(mine.result), json.loads(theirs.result)
    assert (ours["total"], ours["band"], ours["safety"]) == (
        session["total"],
        session["band"],
        session["safety"],
    )
    entry = AuditEntry.objects.get(
        event=EventType.PRACTICE_MEASURE_RECORDED,
        target=f"client:{practice.clients['ada'].pk}/measure:{mine.pk}",
    )
    assert entry.reason.endswith(" answered in the portal")
    assert entry.actor_id == str(ada.pk)


def test_it_refuses_a_questionnaire_not_due(practice):
    ada = portal_user(practice.clients["ada"])
    with pytest.raises(ValidationError, match="not due"):
        questionnaires.portal_measure_submit(actor=ada, code="phq9", answers=phq9(3))
    assign(practice)
    questionnaires.portal_measure_submit(actor=ada, code="phq9", answers=phq9(3))
    # Given once: answered, it is no longer due.
    with pytest.raises(ValidationError, match="not due"):
        questionnaires.portal_measure_submit(actor=ada, code="phq9", answers=phq9(3))


def test_it_shows_crisis_lines_at_once_and_alerts_the_therapist_on_a_safety_answer(
    practice, settings
):
    settings.WELLKEPT_TELEHEALTH_CRISIS_LINE = "0800 555 0199"
    ada = portal_user(practice.clients["ada"])
    assign(practice)
    browser = signed_in(ada)
    due = browser.get(reverse("portal:questionnaires"))
    assert reverse("portal:questionnaire_answer", args=["phq9"]) in due.text
    answered = browser.post(
        reverse("portal:questionnaire_answer", args=["phq9"]), as_form(phq9(12, item9=1))
    )
    assert answered.status_code == 302
    page = browser.get(answered["Location"])
    assert "0800 555 0199" in page.text
    assert "Your therapist has been told" in page.text
    assert MeasureAlert.objects.filter(therapist=practice.people["tess"]).count() == 1


def test_it_asks_again_for_a_missing_answer(practice):
    ada = portal_user(practice.clients["ada"])
    assign(practice)
    answers = as_form(phq9(5))
    answers.pop("phq9_3")
    page = signed_in(ada).post(reverse("portal:questionnaire_answer", args=["phq9"]), answers)
    assert page.status_code == 200
    assert "Choose an answer for question 3" in page.text
    assert not MeasureResult.objects.exists()


def test_it_hides_another_clients_result_and_an_unassigned_questionnaire(practice):
    ada = portal_user(practice.clients["ada"])
    bens = record(practice, phq9(9), who="theo", client="ben")
    browser = signed_in(ada)
    assert browser.get(reverse("portal:questionnaire_result", args=[bens.pk])).status_code == 404
    assert browser.get(reverse("portal:questionnaire_answer", args=["phq9"])).status_code == 404
    assert browser.get(reverse("portal:questionnaire_answer", args=["nonsense"])).status_code == 404
    assert AuditEntry.objects.filter(
        actor_id=str(ada.pk), outcome=Outcome.DENIED, target="portal:questionnaire-result:unknown"
    ).exists()


@pytest.mark.parametrize("who", ["tess", "fran", "bill", "sue"])
def test_it_lets_no_practice_role_answer_for_the_client(practice, who):
    assign(practice)
    browser = signed_in(practice.people[who])
    assert browser.get(reverse("portal:questionnaires")).status_code == 404
    posted = browser.post(reverse("portal:questionnaire_answer", args=["phq9"]), as_form(phq9(3)))
    assert posted.status_code == 404
    assert not MeasureResult.objects.exists()


def test_it_erases_the_clients_answers_and_requests_with_the_client(practice):
    ada = portal_user(practice.clients["ada"])
    assign(practice)
    questionnaires.portal_measure_submit(actor=ada, code="phq9", answers=phq9(4))
    first = clock.now() + dt.timedelta(days=3)
    care.portal_request_make(actor=ada, choices=[first], note="Mornings")
    services.client_erase(actor=SETUP, client=practice.clients["ada"])
    assert not MeasureResult.objects.filter(recorded_by=ada).exists()
    assert not PortalAppointmentRequest.objects.exists()
    assert not User.objects.filter(pk=ada.pk).exists()
