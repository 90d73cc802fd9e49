"""The discharge page says how many future appointments the discharge cancelled."""

from __future__ import annotations

import pytest
from django.urls import reverse

from wellkept.practice.tests.conftest import signed_in
from wellkept.practice.tests.schedule import book, next_monday, slot

pytestmark = pytest.mark.django_db


def discharge_from_the_page(practice, who: str = "fran"):
    url = reverse("practice:client_discharge", args=[practice.clients["ada"].pk])
    return signed_in(practice.people[who]).post(
        url + "?org=harbour", {"reason_code": "completed", "confirm": "on"}, follow=True
    )


def test_it_says_how_many_future_appointments_were_cancelled(practice) -> None:
    book(practice, "ada", "tess", slot(next_monday(10)))
    book(practice, "ada", "tess", slot(next_monday(12)))
    page = discharge_from_the_page(practice)
    code = practice.clients["ada"].code
    assert f"Client {code} is discharged. 2 future appointments were cancelled." in page.text


def test_it_says_when_there_was_no_future_appointment_to_cancel(practice) -> None:
    page = discharge_from_the_page(practice, "tess")
    assert "No future appointment was booked." in page.text
