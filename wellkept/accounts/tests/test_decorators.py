"""reauth_required: a recent second factor (or password without one) before sensitive actions."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import reverse
from django.utils.http import urlencode

from wellkept import clock
from wellkept.access.guards import reauth_required
from wellkept.accounts.tests.conftest import enrol_totp, record_authentication, totp_code

pytestmark = pytest.mark.django_db

DEACTIVATE = reverse("mfa_deactivate_totp")


@reauth_required
def sensitive(request: HttpRequest) -> HttpResponse:
    return HttpResponse("done")


def now() -> float:
    return clock.now().timestamp()


def call(rf, user, client) -> HttpResponse:
    request = rf.post("/sensitive/")
    request.user = user
    request.session = client.session
    return sensitive(request)


def test_it_allows_an_action_within_five_minutes_of_an_mfa_step(client, nina, frozen_clock):
    enrol_totp(nina)
    client.force_login(nina)
    record_authentication(client, nina, "mfa", at=now(), type="totp", reauthenticated=True)
    frozen_clock(299)
    assert client.get(DEACTIVATE).status_code == 200


def test_it_sends_a_stale_session_to_mfa_reauthentication_and_back(client, nina, frozen_clock):
    enrol_totp(nina)
    client.force_login(nina)
    record_authentication(client, nina, "mfa", at=now(), type="totp")
    frozen_clock(301)
    response = client.get(DEACTIVATE)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_reauthenticate") + "?" + urlencode(
        {"next": DEACTIVATE}
    )


def test_it_does_not_accept_a_password_alone_once_mfa_is_on(client, nina, frozen_clock):
    enrol_totp(nina)
    client.force_login(nina)
    record_authentication(client, nina, "password", at=now(), reauthenticated=True)
    response = client.get(DEACTIVATE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_it_asks_a_participant_without_mfa_for_the_password(rf, client, nina, frozen_clock):
    client.force_login(nina)
    record_authentication(client, nina, "password", at=now())
    frozen_clock(301)
    response = call(rf, nina, client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate") + "?next=")


def test_it_accepts_a_recent_password_from_a_participant_without_mfa(rf, client, nina):
    client.force_login(nina)
    record_authentication(client, nina, "password", at=now())
    assert call(rf, nina, client).content == b"done"


def test_it_ignores_records_from_the_future(rf, client, nina, frozen_clock):
    enrol_totp(nina)
    client.force_login(nina)
    record_authentication(client, nina, "mfa", at=now() + 60, type="totp")
    assert call(rf, nina, client).status_code == 302


def test_it_ignores_records_that_belong_to_another_user(rf, client, nina, amira):
    enrol_totp(nina)
    client.force_login(nina)
    record_authentication(client, amira, "mfa", at=now(), type="totp")
    assert call(rf, nina, client).status_code == 302


@override_settings(WELLKEPT_REAUTH_SECONDS=60)
def test_it_reads_the_window_from_settings(rf, client, nina, frozen_clock):
    enrol_totp(nina)
    client.force_login(nina)
    record_authentication(client, nina, "mfa", at=now(), type="totp")
    frozen_clock(61)
    assert call(rf, nina, client).status_code == 302


def test_it_sends_anonymous_visitors_to_sign_in(rf, client):
    from django.contrib.auth.models import AnonymousUser

    response = call(rf, AnonymousUser(), client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_guards_viewing_and_signing_out_other_sessions(client, nina, frozen_clock):
    enrol_totp(nina)
    client.force_login(nina)
    record_authentication(client, nina, "mfa", at=now(), type="totp")
    frozen_clock(600)
    sessions = reverse("usersessions_list")
    # The list shows IP addresses and devices, so even looking needs a fresh step.
    for response in (client.get(sessions), client.post(sessions, {})):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("mfa_reauthenticate"))


def test_it_shows_the_sessions_list_right_after_an_mfa_step(client, nina):
    enrol_totp(nina)
    client.force_login(nina)
    record_authentication(client, nina, "mfa", at=now(), type="totp")
    assert client.get(reverse("usersessions_list")).status_code == 200


def test_it_asks_for_a_fresh_password_before_a_password_change(client, nina, frozen_clock):
    client.force_login(nina)
    record_authentication(client, nina, "password", at=now())
    frozen_clock(600)
    change = reverse("account_change_password")
    for response in (
        client.get(change),
        client.post(
            change,
            {
                "oldpassword": "violet kettle harbour sings",
                "password1": "a completely new passphrase",
                "password2": "a completely new passphrase",
            },
        ),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_reauthenticate"))
    nina.refresh_from_db()
    assert nina.check_password("violet kettle harbour sings")


def test_it_lets_a_freshly_authenticated_person_open_the_password_change(client, nina):
    client.force_login(nina)
    record_authentication(client, nina, "password", at=now())
    assert client.get(reverse("account_change_password")).status_code == 200


def test_it_completes_a_real_mfa_reauthentication(client, amira):
    client.force_login(amira)  # signed in long ago: no recent authentication recorded
    response = client.get(DEACTIVATE)
    assert response["Location"].startswith(reverse("mfa_reauthenticate"))
    response = client.post(response["Location"], {"code": totp_code(amira.totp_secret)})
    assert response.status_code == 302
    assert response["Location"] == DEACTIVATE
    assert client.get(DEACTIVATE).status_code == 200
