"""Password reset takes the same time for an address with an account and one without.

Before: the reset mail was sent inside the request, for real accounts only,
about 7 ms slower (p < 1e-17 over 200 + 200 requests; 92 % correct guesses
with 5 requests an address). Now the request does the same work for every
address and the lookup and mail run after the response (wellkept.deferred).

The detector is shown to catch a planted 7 ms difference in the same run, so
passing means something: see timing.py for the statistics.
"""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from wellkept import deferred
from wellkept.accounts.forms import ResetPasswordForm
from wellkept.accounts.tests.timing import compare

# Committed data: the mail is looked up and sent in the worker thread, as in
# production; and production's password hasher, since this is about timing.
# Timing: CI runs it on a quiet machine, not beside the parallel workers.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.argon2, pytest.mark.timing]

RESET = reverse("account_reset_password")
KNOWN = "nina.nurse@stannes.example"
UNKNOWN = "nobody.here@stannes.example"
# A leak this size must be caught; the issue measured 7 ms.
LEAK_MS = 7.0
# What the test can tell apart from nothing.
RESOLUTION_MS = 3.0


@pytest.fixture
def real_worker(settings, nina):  # type: ignore[no-untyped-def]
    settings.WELLKEPT_DEFERRED_INLINE = False
    # Rate limits answer known and unknown addresses alike (they count the
    # typed address); off here so 500 requests are all real resets.
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": False}
    yield
    assert deferred.wait_idle(timeout=30)


def poster(client: Client, email: str):  # type: ignore[no-untyped-def]
    def post() -> None:
        response = client.post(RESET, {"email": email})
        assert response.status_code == 302

    return post


def test_it_answers_a_known_and_an_unknown_address_in_the_same_time(real_worker) -> None:
    client = Client()
    verdict = compare(poster(client, KNOWN), poster(client, UNKNOWN), resolution_ms=RESOLUTION_MS)
    print(f"reset timing, known - unknown: {verdict}")  # noqa: T201 - quoted in the report
    assert verdict.excludes(RESOLUTION_MS), str(verdict)
    # And the mail did go, after the responses, to the known address only.
    assert deferred.wait_idle(timeout=30)
    assert mail.outbox
    assert {tuple(m.to) for m in mail.outbox} == {(KNOWN,)}


def test_the_detector_catches_a_7_ms_leak(real_worker, monkeypatch) -> None:
    """The old behaviour, planted: extra work in the request for known addresses only."""
    original = ResetPasswordForm.save

    def leaky_save(self, request, **kwargs):  # type: ignore[no-untyped-def]
        if self.cleaned_data["email"] == KNOWN:
            time.sleep(LEAK_MS / 1000)
        return original(self, request, **kwargs)

    monkeypatch.setattr(ResetPasswordForm, "save", leaky_save)
    client = Client()
    verdict = compare(poster(client, KNOWN), poster(client, UNKNOWN), resolution_ms=RESOLUTION_MS)
    print(f"reset timing with a planted 7 ms leak: {verdict}")  # noqa: T201
    assert verdict.shows(RESOLUTION_MS), str(verdict)
