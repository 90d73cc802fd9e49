"""MFA: mandatory for staff, offered to participants, secrets encrypted, last factor kept."""

from __future__ import annotations

import time

import pytest
from allauth.mfa.models import Authenticator
from django.db import connection
from django.urls import reverse

from wellkept.accounts.forms import PENDING_TOTP_SESSION_KEY
from wellkept.accounts.tests.conftest import (
    enrol_totp,
    has_authenticator,
    record_authentication,
    totp_code,
)
from wellkept.vault.crypto import looks_sealed

pytestmark = pytest.mark.django_db


def fresh_mfa(client, user) -> None:
    record_authentication(client, user, "mfa", at=time.time(), type="totp")


def test_it_sends_staff_without_mfa_to_enrolment_from_any_page(client, lena):
    client.force_login(lena)
    for path in (reverse("web:home"), reverse("accounts:home"), reverse("usersessions_list")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("mfa_activate_totp")


def test_it_lets_staff_without_mfa_reach_enrolment_and_sign_out(client, lena):
    client.force_login(lena)
    record_authentication(client, lena, "password", at=time.time())
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_lets_staff_with_mfa_go_anywhere(client, amira):
    client.force_login(amira)
    assert client.get(reverse("accounts:home")).status_code == 200


def test_it_does_not_force_mfa_on_participants_but_offers_it(client, nina):
    client.force_login(nina)
    response = client.get(reverse("accounts:home"))
    assert response.status_code == 200
    assert "Set up an authenticator app" in response.content.decode()


def test_it_stops_offering_mfa_once_the_participant_has_it(client, nina):
    enrol_totp(nina)
    client.force_login(nina)
    assert (
        "Set up an authenticator app" not in client.get(reverse("accounts:home")).content.decode()
    )


def test_it_enrols_an_authenticator_app_and_shows_the_qr_code_and_key(client, lena):
    client.force_login(lena)
    record_authentication(client, lena, "password", at=time.time())
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    assert 'autocomplete="one-time-code"' in page
    assert "<script>" not in page
    assert "style=" not in page
    secret = page.split('data-totp-secret="', 1)[1].split('"', 1)[0]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert has_authenticator(lena, Authenticator.Type.TOTP)
    assert client.get(reverse("web:home")).status_code == 200


def test_it_keeps_the_pending_secret_encrypted_in_the_session(client, lena):
    client.force_login(lena)
    record_authentication(client, lena, "password", at=time.time())
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = page.split('data-totp-secret="', 1)[1].split('"', 1)[0]
    stored = client.session[PENDING_TOTP_SESSION_KEY]
    assert secret not in stored
    assert looks_sealed(stored)


def test_it_refuses_a_wrong_first_code(client, lena):
    client.force_login(lena)
    record_authentication(client, lena, "password", at=time.time())
    client.get(reverse("mfa_activate_totp"))
    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert response.status_code == 200
    assert not has_authenticator(lena, Authenticator.Type.TOTP)


def test_it_stores_no_totp_secret_in_clear(amira):
    with connection.cursor() as cursor:
        cursor.execute("SELECT data FROM mfa_authenticator WHERE user_id = %s", [amira.pk.hex])
        rows = [r[0] for r in cursor.fetchall()]
        if not rows:
            cursor.execute("SELECT data FROM mfa_authenticator WHERE user_id = %s", [str(amira.pk)])
            rows = [r[0] for r in cursor.fetchall()]
    assert rows
    raw = " ".join(str(r) for r in rows)
    assert amira.totp_secret not in raw
    stored = Authenticator.objects.get(user=amira, type=Authenticator.Type.TOTP).data["secret"]
    assert looks_sealed(stored)
    # And the stored value still works.
    totp = Authenticator.objects.get(user=amira, type=Authenticator.Type.TOTP).wrap()
    assert totp.validate_code(totp_code(amira.totp_secret))


def test_it_lets_a_participant_with_a_long_password_turn_mfa_off(client, nina):
    enrol_totp(nina)
    client.force_login(nina)
    fresh_mfa(client, nina)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not has_authenticator(nina, Authenticator.Type.TOTP)


def test_it_keeps_the_last_factor_of_a_participant_whose_password_is_short(client, nina):
    nina.set_password("tq9#Lm2vXp")
    nina.save(update_fields=["password", "password_meets_single_factor"])
    enrol_totp(nina)
    client.force_login(nina)
    fresh_mfa(client, nina)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "shorter than 15 characters" in response.content.decode()
    assert has_authenticator(nina, Authenticator.Type.TOTP)


def test_it_keeps_the_last_factor_of_staff(client, amira):
    client.force_login(amira)
    fresh_mfa(client, amira)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 200
    assert "Your role" in response.content.decode()
    assert has_authenticator(amira, Authenticator.Type.TOTP)


def test_it_keeps_a_staff_members_last_passkey(client, lena):
    passkey = Authenticator.objects.create(
        user=lena, type=Authenticator.Type.WEBAUTHN, data={"name": "Lena's key"}
    )
    client.force_login(lena)
    fresh_mfa(client, lena)
    response = client.post(reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk}))
    assert response.status_code == 302
    assert Authenticator.objects.filter(pk=passkey.pk).exists()


def test_it_does_not_let_anyone_remove_someone_elses_passkey(client, lena, nina):
    enrol_totp(nina)
    passkey = Authenticator.objects.create(
        user=lena, type=Authenticator.Type.WEBAUTHN, data={"name": "Lena's key"}
    )
    client.force_login(nina)
    fresh_mfa(client, nina)
    response = client.post(reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk}))
    assert response.status_code == 404


def test_it_shows_recovery_codes_right_after_enrolment_without_another_prompt(client, lena):
    client.force_login(lena)
    record_authentication(client, lena, "password", at=time.time())
    page = client.get(reverse("mfa_activate_totp")).content.decode()
    secret = page.split('data-totp-secret="', 1)[1].split('"', 1)[0]
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("mfa_view_recovery_codes")
    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_it_keeps_the_factor_when_its_audit_event_cannot_be_written(client, nina, monkeypatch):
    """The removal and its audit event commit together, or neither does."""
    enrol_totp(nina)
    client.force_login(nina)
    fresh_mfa(client, nina)

    def audit_down(**kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr("wellkept.accounts.audit_signals.audit_record", audit_down)
    with pytest.raises(RuntimeError):
        client.post(reverse("mfa_deactivate_totp"))
    assert has_authenticator(nina, Authenticator.Type.TOTP)


# ---- Removing a second factor ends the person's other sessions (issue 15) -------------


def _second_device(user):
    from django.test import Client

    other = Client()
    other.force_login(user)
    assert other.get(reverse("accounts:home")).status_code == 200  # its session is tracked
    return other


def _signed_out(client) -> bool:
    response = client.get(reverse("accounts:home"))
    return response.status_code == 302 and "login" in response["Location"]


def test_turning_off_the_authenticator_app_signs_out_every_other_session(client, nina):
    from wellkept.audit.models import AuditEntry

    enrol_totp(nina)
    laptop, phone = _second_device(nina), _second_device(nina)
    client.force_login(nina)
    fresh_mfa(client, nina)
    assert client.post(reverse("mfa_deactivate_totp")).status_code == 302
    assert not has_authenticator(nina, Authenticator.Type.TOTP)
    assert _signed_out(laptop)
    assert _signed_out(phone)
    assert client.get(reverse("accounts:home")).status_code == 200  # the one that did it
    entry = AuditEntry.objects.filter(event="auth.logout").latest("id")
    assert entry.reason == "2 other session(s) ended: a second factor (totp) was removed"


def test_removing_a_passkey_signs_out_the_other_sessions_and_a_refusal_does_not(client, lena):
    enrol_totp(lena)
    passkey = Authenticator.objects.create(
        user=lena, type=Authenticator.Type.WEBAUTHN, data={"name": "Lena's key"}
    )
    other = _second_device(lena)
    client.force_login(lena)
    fresh_mfa(client, lena)
    client.post(reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk}))
    assert not Authenticator.objects.filter(pk=passkey.pk).exists()
    assert _signed_out(other)
    # The last factor of staff is kept, and so are the sessions.
    other = _second_device(lena)
    fresh_mfa(client, lena)
    client.post(reverse("mfa_deactivate_totp"))
    assert has_authenticator(lena, Authenticator.Type.TOTP)
    assert not _signed_out(other)
