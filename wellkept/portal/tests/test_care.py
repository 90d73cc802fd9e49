"""Portal appointment care: requests, moves and cancellations within the practice's notice.

Ada (Tess's client) has a portal login; Ben (Theo's) has an appointment
Ada must never reach. Tess and the front desk (Fran) answer requests;
billing (Bill), the supervisor (Sue) and another practice's front desk
(Olga) may not.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wellkept import clock
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.models import AuditEntry
from wellkept.portal import care
from wellkept.portal.models import PortalAppointmentRequest, PortalMembership, RequestStatus
from wellkept.portal.scopes import own_request_resource
from wellkept.portal.tests.conftest import portal_user, signed_in
from wellkept.practice.models import Appointment, AppointmentStatus
from wellkept.practice.services.schedule import appointment_cancel
from wellkept.practice.tests.conftest import raw_column
from wellkept.practice.tests.schedule import book, next_monday, rooms, slot

pytestmark = pytest.mark.django_db

NOTE = "Mornings are hard this month 4471"
HOUR = dt.timedelta(hours=1)


class Rollback(Exception):
    """Undo one Hypothesis example's writes inside the test's transaction."""


def ask(practice, ada, *, days: int = 3, appointment=None, note: str = NOTE):
    first = clock.now().replace(microsecond=0) + dt.timedelta(days=days)
    return care.portal_request_make(
        actor=ada, choices=[first, first + 2 * HOUR], note=note, appointment=appointment
    )


def later(hour: int = 10) -> dt.datetime:
    """A weekday at least a week ahead: well outside the notice."""
    return next_monday(hour) + dt.timedelta(days=7)


def test_it_allows_changes_exactly_at_the_notice_and_not_a_second_inside():
    now = clock.now()
    assert care.changeable_online(now + 24 * HOUR, now)
    assert not care.changeable_online(now + 24 * HOUR - dt.timedelta(seconds=1), now)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    hours_before=st.integers(min_value=-2, max_value=72),
    action=st.sampled_from(["cancel", "move"]),
    whose=st.sampled_from(["ada", "ben"]),
)
def test_it_lets_a_client_change_only_their_own_appointment_outside_the_notice(
    practice, monkeypatch, hours_before, action, whose
):
    start = next_monday(10)
    therapist = {"ada": "tess", "ben": "theo"}[whose]
    allowed = whose == "ada" and hours_before >= 24
    try:
        with transaction.atomic():
            ada = portal_user(practice.clients["ada"])
            monkeypatch.setattr(clock, "now", lambda: start - hours_before * HOUR)
            appointment = book(practice, whose, therapist, slot(start))
            refused: type[Exception] | None = None
            try:
                if action == "cancel":
                    care.portal_appointment_cancel(actor=ada, appointment=appointment)
                else:
                    ask(practice, ada, appointment=appointment)
            except (PermissionDenied, ValidationError) as exc:
                refused = type(exc)
            assert (refused is None) == allowed
            if whose == "ben":
                assert refused is PermissionDenied
            if allowed:
                appointment.refresh_from_db()
                if action == "cancel":
                    assert appointment.status == AppointmentStatus.CANCELLED
                else:
                    assert PortalAppointmentRequest.objects.filter(
                        appointment=appointment, status=RequestStatus.PENDING
                    ).exists()
            raise Rollback
    except Rollback:
        pass
    finally:
        monkeypatch.undo()


def test_it_cancels_through_the_practice_with_the_portal_reason(practice):
    ada = portal_user(practice.clients["ada"])
    appointment = book(practice, "ada", "tess", slot(later(10)))
    care.portal_appointment_cancel(actor=ada, appointment=appointment)
    entry = AuditEntry.objects.filter(event=EventType.PRACTICE_APPOINTMENT_CANCELLED).latest("id")
    assert entry.target == f"appointment:{appointment.pk}"
    assert entry.reason == care.CANCEL_REASON
    assert entry.actor_id == str(ada.pk)


def test_it_stores_the_note_encrypted_and_accept_books_the_chosen_time(practice):
    ada = portal_user(practice.clients["ada"])
    row = ask(practice, ada)
    assert NOTE not in raw_column(PortalAppointmentRequest, row.pk, "note")
    room = rooms(practice)["blue"]
    booked = care.portal_request_accept(
        actor=practice.people["tess"], appointment_request=row, choice=1, room=room
    )
    assert booked.start == row.choices[1]
    assert booked.client_id == practice.clients["ada"].pk
    row.refresh_from_db()
    assert row.status == RequestStatus.ACCEPTED
    assert row.booked_id == booked.pk


def test_it_refuses_an_accept_that_clashes_and_keeps_the_request_pending(practice):
    ada = portal_user(practice.clients["ada"])
    row = ask(practice, ada)
    room = rooms(practice)["blue"]
    taken = book(practice, "ada", "tess", slot(row.choices[0]))
    with pytest.raises(ValidationError, match="already has an appointment"):
        care.portal_request_accept(
            actor=practice.people["fran"], appointment_request=row, choice=0, room=room
        )
    row.refresh_from_db()
    assert row.status == RequestStatus.PENDING
    assert Appointment.objects.filter(therapist=practice.people["tess"]).get() == taken


def test_it_moves_the_appointment_when_a_reschedule_is_accepted(practice):
    ada = portal_user(practice.clients["ada"])
    appointment = book(practice, "ada", "tess", slot(later(10)))
    row = ask(practice, ada, appointment=appointment, days=2)
    care.portal_request_accept(actor=practice.people["tess"], appointment_request=row, choice=0)
    appointment.refresh_from_db()
    assert appointment.start == row.choices[0]
    assert appointment.status == AppointmentStatus.BOOKED


def test_it_declines_with_a_reason_the_client_reads_and_refuses_an_empty_one(practice):
    ada = portal_user(practice.clients["ada"])
    row = ask(practice, ada)
    with pytest.raises(ValidationError):
        care.portal_request_decline(
            actor=practice.people["fran"], appointment_request=row, reason=" "
        )
    care.portal_request_decline(
        actor=practice.people["fran"], appointment_request=row, reason="Tess is away that week."
    )
    row.refresh_from_db()
    assert row.status == RequestStatus.DECLINED
    assert "away" not in raw_column(PortalAppointmentRequest, row.pk, "decline_reason")
    page = signed_in(ada).get(reverse("portal:requests"))
    assert "Tess is away that week." in page.text


@pytest.mark.parametrize("who", ["bill", "sue", "theo", "olga"])
def test_it_refuses_answers_from_billing_supervisors_other_therapists_and_practices(practice, who):
    ada = portal_user(practice.clients["ada"])
    row = ask(practice, ada)
    with pytest.raises(PermissionDenied):
        care.portal_request_decline(
            actor=practice.people[who], appointment_request=row, reason="no"
        )
    assert (
        signed_in(practice.people[who])
        .get(reverse("portal:staff_request", kwargs={"pk": row.pk}))
        .status_code
        == 404
    )


def test_it_lists_pending_requests_to_the_therapist_and_front_desk(practice):
    ada = portal_user(practice.clients["ada"])
    row = ask(practice, ada)
    for who in ("tess", "fran"):
        page = signed_in(practice.people[who]).get(reverse("portal:staff_requests"))
        assert page.status_code == 200
        assert str(row.pk) in page.text
        detail = signed_in(practice.people[who]).get(
            reverse("portal:staff_request", kwargs={"pk": row.pk})
        )
        assert NOTE in detail.text
    assert (
        signed_in(practice.people["bill"]).get(reverse("portal:staff_requests")).status_code == 404
    )


def test_it_serves_the_client_pages_and_hides_another_clients_appointment(practice):
    ada = portal_user(practice.clients["ada"])
    browser = signed_in(ada)
    own = book(practice, "ada", "tess", slot(later(10)))
    other = book(practice, "ben", "theo", slot(later(12)))
    assert browser.get(reverse("portal:requests")).status_code == 200
    page = browser.get(reverse("portal:appointment", kwargs={"pk": own.pk}))
    assert page.status_code == 200
    assert "Cancel this appointment" in page.text
    assert browser.get(reverse("portal:appointment", kwargs={"pk": other.pk})).status_code == 404
    assert (
        browser.post(reverse("portal:appointment_cancel", kwargs={"pk": other.pk})).status_code
        == 404
    )
    assert AuditEntry.objects.filter(
        actor_id=str(ada.pk), outcome=Outcome.DENIED, target="portal:appointment:unknown"
    ).exists()
    other.refresh_from_db()
    assert other.status == AppointmentStatus.BOOKED


def test_it_tells_the_client_to_call_inside_the_notice(practice, monkeypatch, settings):
    settings.WELLKEPT_PORTAL_LATE_FEE_POLICY = "A late cancellation is charged in full."
    ada = portal_user(practice.clients["ada"])
    start = next_monday(10)
    own = book(practice, "ada", "tess", slot(start))
    monkeypatch.setattr(clock, "now", lambda: start - 3 * HOUR)
    browser = signed_in(ada)
    page = browser.get(reverse("portal:appointment", kwargs={"pk": own.pk}))
    assert "Please call the practice" in page.text
    assert "charged in full" in page.text
    response = browser.post(
        reverse("portal:appointment_cancel", kwargs={"pk": own.pk}), follow=True
    )
    assert "Please call the practice" in response.text
    own.refresh_from_db()
    assert own.status == AppointmentStatus.BOOKED


def test_it_makes_a_request_from_the_page_and_refuses_a_past_time(practice):
    ada = portal_user(practice.clients["ada"])
    browser = signed_in(ada)
    soon = (clock.now() + dt.timedelta(days=4)).strftime("%Y-%m-%dT10:00")
    past = (clock.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    refused = browser.post(reverse("portal:requests"), {"first_choice": past})
    assert refused.status_code == 200
    assert "at least 24 hours from now" in refused.text
    done = browser.post(reverse("portal:requests"), {"first_choice": soon, "note": NOTE})
    assert done.status_code == 302
    assert PortalAppointmentRequest.objects.filter(client=practice.clients["ada"]).count() == 1


@pytest.mark.parametrize("who", ["tess", "fran"])
def test_it_keeps_staff_out_of_the_clients_request_pages(practice, who):
    assert signed_in(practice.people[who]).get(reverse("portal:requests")).status_code == 404


def test_it_asks_to_move_from_the_appointment_page_once(practice):
    ada = portal_user(practice.clients["ada"])
    browser = signed_in(ada)
    own = book(practice, "ada", "tess", slot(later(10)))
    url = reverse("portal:appointment", kwargs={"pk": own.pk})
    soon = (clock.now() + dt.timedelta(days=4)).strftime("%Y-%m-%dT10:00")
    assert browser.post(url, {"first_choice": soon}).status_code == 302
    assert "You have asked to move" in browser.get(url).text
    again = browser.post(url, {"first_choice": soon})
    assert "already asked to move" in again.text


def test_it_accepts_and_declines_from_the_practice_pages(practice):
    ada = portal_user(practice.clients["ada"])
    first, second = ask(practice, ada), ask(practice, ada, days=5)
    tess = signed_in(practice.people["tess"])
    no_room = tess.post(
        reverse("portal:staff_request_accept", kwargs={"pk": first.pk}), {"accept-choice": "0"}
    )
    assert no_room.status_code == 200
    assert "Choose a room" in no_room.text
    room = rooms(practice)["blue"]
    booked = tess.post(
        reverse("portal:staff_request_accept", kwargs={"pk": first.pk}),
        {"accept-choice": "0", "accept-room": str(room.pk)},
    )
    assert booked.status_code == 302
    declined = tess.post(
        reverse("portal:staff_request_decline", kwargs={"pk": second.pk}),
        {"decline-reason": "Tess is away."},
    )
    assert declined.status_code == 302
    status = tess.get(reverse("portal:staff_status", kwargs={"pk": practice.clients["ada"].pk}))
    assert status.status_code == 200


@pytest.mark.parametrize(("value", "refused"), [("48", False), ("soon", True), ("400", True)])
def test_it_reads_the_notice_setting_and_refuses_a_bad_value(tmp_path, value, refused):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WELLKEPT_PORTAL")}
    env.update(WELLKEPT_VAR_DIR=str(tmp_path / "var"), WELLKEPT_PORTAL_NOTICE_HOURS=value)
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import wellkept.settings as s; print(s.WELLKEPT_PORTAL_NOTICE_HOURS)",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if refused:
        assert "WELLKEPT_PORTAL_NOTICE_HOURS" in done.stderr
        assert "ImproperlyConfigured" in done.stderr
    else:
        assert done.stdout.strip() == "48", done.stderr


def test_it_refuses_a_practice_cancel_decided_on_another_clients_portal(practice):
    ada = portal_user(practice.clients["ada"])
    bens = book(practice, "ben", "theo", slot(later(12)))
    membership = PortalMembership.objects.get(user=ada)
    with pytest.raises(PermissionDenied):
        appointment_cancel(
            actor=ada,
            appointment=bens,
            own_portal=own_request_resource(membership, f"appointment:{bens.pk}"),
        )
    bens.refresh_from_db()
    assert bens.status == AppointmentStatus.BOOKED


def test_a_joint_session_cannot_be_cancelled_or_moved_by_one_member_online(practice):
    """A couple's session is billed to one member; that member alone may not cancel it for all."""
    from wellkept.practice import services as practice_services
    from wellkept.practice.models import CaseKind
    from wellkept.practice.tests.conftest import SETUP

    tess = practice.people["tess"]
    practice_services.client_assign(actor=SETUP, client=practice.clients["ben"], therapist=tess)
    case = practice_services.case_create(
        actor=practice.people["fran"],
        organisation=practice.harbour,
        kind=CaseKind.COUPLE,
        members=[practice.clients["ada"], practice.clients["ben"]],
        therapists=[tess],
    )
    ada = portal_user(practice.clients["ada"])
    appointment = book(practice, "ada", "tess", slot(later(10)))
    Appointment.objects.filter(pk=appointment.pk).update(case=case)
    appointment.refresh_from_db()

    assert not care.own_state(appointment).changeable
    with pytest.raises(ValidationError) as cancelled:
        care.portal_appointment_cancel(actor=ada, appointment=appointment)
    assert cancelled.value.code == "joint"
    with pytest.raises(ValidationError) as moved:
        ask(practice, ada, appointment=appointment)
    assert moved.value.code == "joint"
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED
