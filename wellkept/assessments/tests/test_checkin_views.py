"""The clinician's pages through the test client: join, check in, result, and the deny paths."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from wellkept.assessments.models import CheckIn, CheckInStatus, ProgrammeStatus, Response
from wellkept.audit.models import AuditEntry, PseudonymousEntry
from wellkept.consent.models import ConsentRecord
from wellkept.orgs.models import Participant, RoleCategory, Unit, UnitKind
from wellkept.orgs.selectors import participant_for_user

pytestmark = pytest.mark.django_db


def signed_in(client, user):
    client.force_login(user)
    return client


def _start(client, slug="pulse"):
    response = client.post(reverse("assessments:start", args=[slug]))
    assert response.status_code == 302, response.content
    return response["Location"]


def test_it_asks_a_clinician_who_has_not_joined_on_the_programme_page_itself(client, hospital):
    page = signed_in(client, hospital.people["nadia"]).get(reverse("assessments:programme"))
    assert page.status_code == 200
    html = page.content.decode()
    # The short layer first, the full notice one tap away, the form on the same page.
    assert html.index("Before you decide, in short") < html.index('<details class="notice-full">')
    assert "Read the full notice" in html
    assert "What this programme promises you" in html  # the full notice, inside <details>
    assert 'action="/me/programme/join/"' in html
    assert "I want to take part" in html


def test_the_short_notice_comes_from_the_published_notice(client, hospital):
    content = hospital.notice.content
    html = signed_in(client, hospital.people["nadia"]).get(reverse("assessments:join")).text
    short = html.split('<details class="notice-full">')[0]
    for promise in content["promises"]:
        assert escape(promise) in short
    assert escape(content["withdrawal"].split(". ")[0]) in short
    # What is kept, item by item, is the second layer.
    assert "Your answers, scores and results" not in short
    assert "Your answers, scores and results" in html


def test_it_groups_the_units_by_department_and_refuses_one_outside_the_programme(client, hospital):
    client = signed_in(client, hospital.people["nadia"])
    html = client.get(reverse("assessments:join")).text
    assert '<optgroup label="Medicine">' in html
    assert "Medicine (whole division)" in html
    assert f'<option value="{hospital.icu.pk}">Intensive care</option>' in html
    outside = Unit.objects.get(kind=UnitKind.HOSPITAL, organisation=hospital.organisation)
    response = client.post(
        reverse("assessments:join"),
        {
            "unit": outside.pk,
            "shift_type": hospital.day.pk,
            "role_category": "nurse",
            "notice_version": hospital.notice.version,
        },
    )
    assert response.status_code == 400
    assert "That unit is not in the list" in response.text
    assert (
        participant_for_user(user=hospital.people["nadia"], organisation=hospital.organisation)
        is None
    )


def test_it_asks_for_shift_and_role_with_one_tap_each(client, hospital):
    html = signed_in(client, hospital.people["nadia"]).get(reverse("assessments:join")).text
    assert html.count('type="radio" name="shift_type"') == 2
    assert html.count('type="radio" name="role_category"') == len(RoleCategory.choices)


def test_it_stores_nothing_when_a_clinician_does_not_join(client, hospital):
    before = Participant.objects.count()
    signed_in(client, hospital.people["nadia"]).get(reverse("assessments:join"))
    assert Participant.objects.count() == before


def test_it_joins_with_the_notice_and_choices(client, hospital):
    client = signed_in(client, hospital.people["nadia"])
    page = client.get(reverse("assessments:join"))
    assert b"notice version 1" in page.content.lower() or b"version 1" in page.content
    response = client.post(
        reverse("assessments:join"),
        {
            "unit": hospital.icu.pk,
            "shift_type": hospital.night.pk,
            "role_category": "nurse",
            "safety_alert": "on",
            "notice_version": hospital.notice.version,
        },
    )
    assert response.status_code == 302
    participant = participant_for_user(
        user=hospital.people["nadia"], organisation=hospital.organisation
    )
    record = ConsentRecord.objects.get(participant=participant)
    assert (record.take_part, record.follow_up_contact, record.safety_alert) == (True, False, True)


def test_it_explains_what_is_missing_when_joining(client, hospital):
    client = signed_in(client, hospital.people["nadia"])
    response = client.post(reverse("assessments:join"), {"notice_version": 1})
    assert response.status_code == 400
    assert b"Choose the unit or department you work in." in response.content
    assert b"Choose your role." in response.content
    assert b"Choose your usual shift pattern." in response.content


def test_it_refuses_a_join_against_an_old_notice_version(client, hospital):
    client = signed_in(client, hospital.people["nadia"])
    response = client.post(
        reverse("assessments:join"),
        {
            "unit": hospital.ward.pk,
            "shift_type": hospital.day.pk,
            "role_category": "nurse",
            "notice_version": 99,
        },
    )
    assert b"The notice changed while you were reading it" in response.content
    assert (
        participant_for_user(user=hospital.people["nadia"], organisation=hospital.organisation)
        is None
    )


def test_it_walks_through_a_check_in_one_page_per_questionnaire(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    step1 = _start(client)
    page = client.get(step1)
    assert b"Questionnaire 1 of 2" in page.content
    step2 = client.post(step1, {"phq2_1": "1", "phq2_2": "2"})
    assert step2.status_code == 302
    page = client.get(step2["Location"])
    assert b"Questionnaire 2 of 2" in page.content
    checkin = CheckIn.objects.get()
    done = client.post(
        step2["Location"], {"burnout1_1": "3", "idempotency_key": checkin.idempotency_key}
    )
    assert done.status_code == 302
    assert done["Location"].endswith("/result/")
    result = client.get(done["Location"])
    assert result.status_code == 200
    assert b"out of 6" in result.content
    assert b"Crisis line" in result.content
    # The same final form posted again adds nothing.
    client.post(step2["Location"], {"burnout1_1": "3", "idempotency_key": checkin.idempotency_key})
    assert Response.objects.count() == 2


def test_it_explains_a_missing_answer_and_keeps_the_page(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    step1 = _start(client)
    response = client.post(step1, {"phq2_1": "1"})
    assert response.status_code == 400
    assert b"Choose an answer for question 2." in response.content


def test_it_explains_a_tampered_answer(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    step1 = _start(client)
    response = client.post(step1, {"phq2_1": "9", "phq2_2": "0"})
    assert response.status_code == 400
    assert b"not one of the options for question 1" in response.content


def test_it_refuses_a_tampered_idempotency_key_without_storing(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    step1 = _start(client)
    step2 = client.post(step1, {"phq2_1": "1", "phq2_2": "0"})["Location"]
    response = client.post(step2, {"burnout1_1": "2", "idempotency_key": "forged"}, follow=True)
    assert b"does not belong to this check-in" in response.content
    assert not Response.objects.exists()


def test_it_tells_the_person_when_the_programme_closed_mid_check_in(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    step1 = _start(client)
    hospital.programme.status = ProgrammeStatus.CLOSED
    hospital.programme.save(update_fields=["status"])
    response = client.post(step1, {"phq2_1": "1", "phq2_2": "0"}, follow=True)
    assert b"programme is closed" in response.content


def test_it_shows_crisis_resources_first_when_the_safety_item_signals_risk(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    location = _start(client, "monthly")
    answers = {f"phq9_{i}": "1" for i in range(1, 10)}
    location = client.post(location, answers)["Location"]
    location = client.post(location, {f"gad7_{i}": "0" for i in range(1, 8)})["Location"]
    checkin = CheckIn.objects.get()
    done = client.post(
        location,
        {f"who5_{i}": "3" for i in range(1, 6)} | {"idempotency_key": checkin.idempotency_key},
    )
    page = client.get(done["Location"]).content.decode()
    assert page.index("You do not have to handle this alone") < page.index("<h2>Your result")
    assert "Crisis line" in page.split("<h2>Your result")[0]
    assert "Nobody has been told" in page  # Joe did not agree to safety alerts


def test_it_answers_404_for_someone_elses_check_in(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    _start(client)
    checkin = CheckIn.objects.get()
    other = signed_in(client, hospital.people["sara"])
    for url in (
        reverse("assessments:step", args=[checkin.pk, 1]),
        reverse("assessments:result", args=[checkin.pk]),
    ):
        assert other.get(url).status_code == 404
    assert AuditEntry.objects.filter(event="access.denied").exists()


@pytest.mark.parametrize("name", ["lena", "amira", "priya", "wendy"])
def test_it_gives_staff_no_way_into_a_participants_check_in(client, hospital, name):
    joe = signed_in(client, hospital.people["joe"])
    _start(joe)
    checkin = CheckIn.objects.get()
    client.logout()
    staff = signed_in(client, hospital.people[name])
    assert staff.get(reverse("assessments:result", args=[checkin.pk])).status_code in (302, 404)


def test_it_sends_anonymous_visitors_to_sign_in(client, hospital):
    response = client.get(reverse("assessments:programme"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_asks_for_consent_again_when_a_new_notice_is_published(client, hospital):
    from wellkept.assessments.tests.fixtures import SYSTEM
    from wellkept.consent.services import notice_publish

    notice_publish(actor=SYSTEM, organisation=hospital.organisation, privacy_contact="dpo@x")
    client = signed_in(client, hospital.people["joe"])
    response = client.get(reverse("assessments:programme"))
    assert response.status_code == 302
    assert response["Location"] == reverse("consent:manage")
    page = client.get(reverse("consent:manage"))
    assert b"The notice has changed" in page.content


def test_it_shows_a_finished_check_in_as_done(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    step1 = _start(client)
    step2 = client.post(step1, {"phq2_1": "0", "phq2_2": "0"})["Location"]
    checkin = CheckIn.objects.get()
    client.post(step2, {"burnout1_1": "1", "idempotency_key": checkin.idempotency_key})
    assert CheckIn.objects.get().status == CheckInStatus.SUBMITTED
    page = client.get(reverse("assessments:programme"))
    assert b"Done for this period" in page.content


def test_it_never_writes_a_participants_user_id_into_the_trail(client, hospital):
    client = signed_in(client, hospital.people["joe"])
    step2 = client.post(_start(client), {"phq2_1": "1", "phq2_2": "0"})["Location"]
    checkin = CheckIn.objects.get()
    done = client.post(step2, {"burnout1_1": "2", "idempotency_key": checkin.idempotency_key})
    for url in (
        done["Location"],
        reverse("assessments:programme"),
        reverse("lifecycle:mydata"),
        reverse("consent:manage"),
        reverse("lifecycle:export_json"),
    ):
        assert client.get(url).status_code == 200
    joe = str(hospital.people["joe"].pk)
    assert not AuditEntry.objects.filter(actor_id=joe).exists()
    token = hospital.participants["joe"].token
    # His own actions are in the pseudonymous chain, which holds no address,
    # request id or time of day to tie them to his sign-in.
    assert not AuditEntry.objects.filter(actor_label=f"participant:{token}").exists()
    own = PseudonymousEntry.objects.filter(actor_label=f"participant:{token}")
    assert own.count() > 5


def test_it_leaves_no_trace_of_a_clinician_who_has_not_joined(client, hospital):
    client = signed_in(client, hospital.people["nadia"])
    before = AuditEntry.objects.count()
    for url in (reverse("assessments:programme"), reverse("lifecycle:mydata")):
        assert client.get(url).status_code == 200
    assert AuditEntry.objects.count() == before
