"""Failed bearer-token attempts are throttled and recorded like failed sign-ins (issue 15)."""

from __future__ import annotations

import pytest

from wellkept.accounts import throttle
from wellkept.audit.models import AuditEntry
from wellkept.insights.tests.test_api import DASHBOARD, bearer, staffed, token_for

__all__ = ["staffed"]

pytestmark = pytest.mark.django_db


def test_wrong_tokens_are_throttled_audited_and_a_good_token_still_works(staffed):
    good = token_for(staffed, "lena")
    prefix = good.split(".", 1)[0]
    guess = f"{prefix}.{'x' * 43}"
    statuses = []
    for _ in range(throttle.ACCOUNT_PASSWORD_FREE_FAILURES + 2):
        statuses.append(bearer(guess).get(DASHBOARD, {"instrument": "phq9"}).status_code)
    # Wrong is 401 while within the allowance, then 429 with how long to wait.
    assert statuses[: throttle.PAIR_FREE_FAILURES] == [401] * throttle.PAIR_FREE_FAILURES
    assert statuses[-1] == 429
    refused = bearer(guess).get(DASHBOARD, {"instrument": "phq9"})
    assert int(refused["Retry-After"]) >= 1
    assert "Too many failed attempts" in refused.json()["detail"]
    failures = AuditEntry.objects.filter(event="auth.login_failed", target=f"api_token:{prefix}")
    assert failures.count() == len(statuses) + 1
    assert {e.reason for e in failures} == {"api token: bad_token", "api token: throttled"}
    assert all(e.outcome == "denied" for e in failures)
    # While the token's own counters wait, even the right one waits (like a password).
    assert bearer(good).get(DASHBOARD, {"instrument": "phq9"}).status_code == 429


def test_guessing_many_tokens_from_one_network_is_answered_as_throttled(staffed):
    good = token_for(staffed, "lena")
    answers = set()
    for n in range(throttle.ADDRESS_FREE_FAILURES + 2):
        made_up = f"{n:010d}.{'y' * 43}"
        answers.add(bearer(made_up).get(DASHBOARD, {"instrument": "phq9"}).status_code)
    assert answers == {401, 429}
    # A right token from the same busy network is not locked out.
    assert bearer(good).get(DASHBOARD, {"instrument": "phq9"}).status_code == 200
    # Malformed tokens count too, under no prefix.
    assert bearer("nonsense").get(DASHBOARD, {"instrument": "phq9"}).status_code == 429
    assert AuditEntry.objects.filter(event="auth.login_failed", target="").exists()
