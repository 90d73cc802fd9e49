"""Helpers for the billing tests: a fee schedule and past sessions to charge."""

from __future__ import annotations

import datetime as dt
import zlib

from wellkept import clock
from wellkept.practice import services
from wellkept.practice.models import Appointment, AppointmentStatus, ServiceCode
from wellkept.practice.tests.conftest import SETUP, Practice
from wellkept.practice.tests.notes_helpers import with_service_codes

LONG_AGO = dt.date(2020, 1, 1)


def with_fees(practice: Practice) -> dict[str, ServiceCode]:
    """90834 at USD 120.00 and 90837 at USD 160.00 at Harbour, since 2020."""
    with_service_codes(practice)
    codes = {c.code: c for c in ServiceCode.objects.filter(organisation=practice.harbour)}
    for code, amount in (("90834", 12000), ("90837", 16000)):
        services.fee_set(
            actor=SETUP,
            organisation=practice.harbour,
            service_code=codes[code],
            amount=amount,
            currency="USD",
            effective_from=LONG_AGO,
        )
    return codes


def past_session(
    practice: Practice,
    client: str = "ada",
    therapist: str = "tess",
    days_ago: int = 2,
    status: str = AppointmentStatus.ATTENDED,
) -> Appointment:
    """A session held ``days_ago`` days ago (booking refuses the past, so made directly)."""
    start = clock.now().replace(microsecond=0) - dt.timedelta(days=days_ago)
    row = practice.clients[client]
    return Appointment.objects.create(
        organisation_id=row.organisation_id,
        client=row,
        therapist=practice.people[therapist],
        start=start,
        end=start + dt.timedelta(minutes=50),
        telehealth=True,
        status=status,
    )


def text_of(pdf: bytes) -> str:
    """The PDF's text streams, inflated where fpdf compressed them."""
    out = [pdf]
    for chunk in pdf.split(b"stream\n")[1:]:
        body = chunk.split(b"\nendstream")[0]
        try:
            out.append(zlib.decompress(body))
        except zlib.error:
            continue
    return b"".join(out).decode("latin-1")
