"""Forms: parse and check input; services do the writing."""

from __future__ import annotations

import contextlib
import functools
import secrets
from typing import Any

from allauth.account import forms as account_forms
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.core import context
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.internal.flows.add import validate_can_add_authenticator
from allauth.mfa.models import Authenticator
from allauth.mfa.totp import forms as totp_forms
from allauth.mfa.totp.internal import auth as totp_auth
from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from wellkept.accounts import throttle, totp
from wellkept.accounts.models import User
from wellkept.accounts.passwords import (
    MAX_LENGTH,
    MULTI_FACTOR_MIN_LENGTH,
    SINGLE_FACTOR_MIN_LENGTH,
    PasswordSubject,
)
from wellkept.accounts.selectors import authenticator_removal_refusal
from wellkept.deferred import after_response
from wellkept.orgs.models import InviteeRole, Organisation


def _code_widget() -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "autocomplete": "one-time-code",
            "inputmode": "numeric",
            "autocapitalize": "off",
            "spellcheck": "false",
            "maxlength": "20",
        }
    )


class LoginForm(account_forms.LoginForm):
    """allauth's login form, keeping the typed address out of the session table."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "E-mail address"
        self.fields["login"].widget.attrs.update(
            {"autocomplete": "username", "placeholder": "E-mail address"}
        )
        self.fields["password"].widget.attrs.update({"maxlength": str(MAX_LENGTH)})

    def user_credentials(self) -> dict:
        credentials: dict = super().user_credentials()
        if self.user is not None:
            # After authentication allauth logs the credentials' "email" into
            # the session (its authentication records and, during the second
            # factor step, the pending login). Sessions are stored in the
            # database unencrypted, so the address must not go with them.
            credentials.pop("email", None)
        return credentials

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean()
        pending = getattr(self, "_login", None)
        if pending is not None:
            pending.email = None
        return cleaned


class ResetPasswordForm(account_forms.ResetPasswordForm):
    """Hand the reset over to after the response: the same work for every address.

    allauth would look the account up (in clear) and send the mail inside
    the request, only for real accounts, which made a known address about
    7 ms slower. Here the request does nothing that depends on the address:
    the lookup through the blind index, the link and the mail all run in
    ``password_reset_send`` once the response has gone (wellkept.deferred).
    With ACCOUNT_PREVENT_ENUMERATION the page says the same for every
    address ("if an account exists, we sent a link").
    """

    def clean_email(self) -> str:
        email: str = get_account_adapter().clean_email(self.cleaned_data["email"])
        self.users: list[User] = []
        return email

    def save(self, request: HttpRequest, **kwargs: Any) -> str:
        from wellkept.accounts.services import password_reset_send

        email: str = self.cleaned_data["email"]
        after_response(functools.partial(password_reset_send, email=email))
        return email


def _mfa_throttle(user: Any) -> throttle.Throttle:
    return throttle.for_mfa(user_id=user.pk, ip=throttle.client_ip(context.request))


def _check_code_with_backoff(user: Any, check: Any) -> Any:
    """Run ``check`` (which raises on a wrong code) under the MFA back-off."""
    guard = _mfa_throttle(user)
    wait = throttle.retry_after(guard)
    if wait:
        raise ValidationError(throttle.refusal_message(wait), code="throttled")
    try:
        result = check()
    except ValidationError:
        throttle.register_failure(guard)
        refusal = throttle.failure_refusal(guard)
        if refusal:
            # Past an allowance a wrong code looks like a refused one.
            raise ValidationError(refusal, code="throttled") from None
        raise
    throttle.reset(guard)
    return result


class _CodeWithBackoff:
    """Our code widget and label, our TOTP window, and the back-off around the code check."""

    fields: dict[str, Any]
    cleaned_data: dict[str, Any]
    user: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget = _code_widget()
        self.fields["code"].label = "Code from your authenticator app, or a recovery code"

    def clean_code(self) -> str:
        code: str = _check_code_with_backoff(self.user, self._authenticate_code)
        return code

    def _authenticate_code(self) -> str:
        """Find the authenticator the code belongs to, as allauth does, with our TOTP window."""
        code: str = self.cleaned_data["code"]
        refusal = None
        main: Authenticator | None = None
        # Passkeys cannot check a typed code.
        for authenticator in Authenticator.objects.filter(user=self.user).exclude(
            type=Authenticator.Type.WEBAUTHN
        ):
            if main is None or authenticator.type == Authenticator.Type.TOTP:
                main = authenticator
            if authenticator.type == Authenticator.Type.TOTP:
                outcome = totp.authenticator_use_code(authenticator=authenticator, code=code)
                accepted = outcome is totp.Outcome.ACCEPTED
                refusal = totp.MESSAGES.get(outcome, refusal)
            else:
                accepted = authenticator.wrap().validate_code(code)
            if accepted:
                authenticator.user = self.user
                self.authenticator = authenticator
                return code
        if main is not None:
            self._emit_authentication_failed(main)  # type: ignore[attr-defined]
        if refusal:
            raise ValidationError(refusal, code="incorrect_code")
        raise get_mfa_adapter().validation_error("incorrect_code")


class MFAAuthenticateForm(_CodeWithBackoff, mfa_base_forms.AuthenticateForm):
    """The second step of signing in (authenticator or recovery code), with back-off."""


class MFAReauthenticateForm(_CodeWithBackoff, mfa_base_forms.ReauthenticateForm):
    """Confirm it is still you with a code before a sensitive action, with back-off."""


PENDING_TOTP_SESSION_KEY = totp_auth.SECRET_SESSION_KEY


def pending_totp_secret(request: HttpRequest) -> str:
    """Return the secret being enrolled, kept encrypted in the session.

    allauth keeps it in clear in the session, which our database-backed
    sessions would write to disk; we store it through the vault instead,
    under the same key so allauth still clears it once enrolment succeeds.
    One secret serves the whole set-up: allauth makes a new one on every
    page load, so someone who scanned the QR code, left and came back
    would hold a key the page no longer accepts.
    """
    adapter = get_mfa_adapter()
    sealed = request.session.get(PENDING_TOTP_SESSION_KEY)
    if isinstance(sealed, str):
        # A stale or tampered value (or one under a shredded key): start over.
        with contextlib.suppress(Exception):
            return adapter.decrypt(sealed)
    secret = totp_auth.generate_totp_secret()
    request.session[PENDING_TOTP_SESSION_KEY] = adapter.encrypt(secret)
    return secret


class ActivateTOTPForm(totp_forms.ActivateTOTPForm):
    """Confirm a new authenticator app with its first code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.user = kwargs.pop("user")
        # Skip allauth's __init__, which would put the secret in the session in clear.
        forms.Form.__init__(self, *args, **kwargs)
        self.secret = pending_totp_secret(context.request)
        self.fields["code"].widget = _code_widget()
        self.fields["code"].label = "Six-digit code from your authenticator app"

    def clean_code(self) -> str:
        validate_can_add_authenticator(self.user)
        code = self.cleaned_data["code"]

        def check() -> str:
            outcome = totp.check_code(self.secret, code).outcome
            if outcome is totp.Outcome.EXPIRED:
                raise ValidationError(totp.MESSAGES[outcome], code="incorrect_code")
            if outcome is not totp.Outcome.ACCEPTED:
                raise get_mfa_adapter().validation_error("incorrect_code")
            return str(code)

        result: str = _check_code_with_backoff(self.user, check)
        return result


class DeactivateTOTPForm(totp_forms.DeactivateTOTPForm):
    """Turn the authenticator app off, unless it is the last factor that must stay."""

    def clean(self) -> dict[str, Any] | None:
        refusal = authenticator_removal_refusal(self.authenticator)
        if refusal:
            raise ValidationError(refusal, code="cannot_delete_authenticator")
        return super().clean()


class InvitationForm(forms.Form):
    """What an administrator fills in to invite a colleague."""

    email = forms.EmailField(
        label="E-mail address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="The invitation link is sent to this address.",
    )
    role = forms.ChoiceField(label="Role", choices=InviteeRole.choices)
    organisation = forms.ModelChoiceField(
        label="Organisation", queryset=Organisation.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, organisations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organisation"]
        if isinstance(field, forms.ModelChoiceField):
            field.queryset = organisations


class AcceptInvitationForm(forms.Form):
    """The invitee chooses a password; staff, who add MFA at once, may use a shorter one."""

    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "maxlength": str(MAX_LENGTH)}
        ),
        # The help text names the one length that applies (set in __init__).
        help_text="",
    )
    password2 = forms.CharField(
        label="Type the same password again",
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "new-password", "maxlength": str(MAX_LENGTH)}
        ),
    )

    def __init__(self, *args: Any, email: str, mfa_required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.subject = PasswordSubject(email=email, mfa_required=mfa_required)
        length = MULTI_FACTOR_MIN_LENGTH if mfa_required else SINGLE_FACTOR_MIN_LENGTH
        then = (
            "you will set up two-step sign-in next"
            if mfa_required
            else "you can add two-step sign-in later, and then a shorter one is enough"
        )
        self.fields["password1"].help_text = (
            f"Use at least {length} characters; {then}. Spaces, symbols and pasting are all "
            "fine. It must not be a common or breached password, or contain your e-mail "
            "address or the word “wellkept”."
        )

    def clean_password1(self) -> str:
        password: str = self.cleaned_data["password1"]
        password_validation.validate_password(password, self.subject)  # type: ignore[arg-type]
        return password

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if (
            first
            and second is not None
            and not secrets.compare_digest(first.encode(), second.encode())
        ):
            self.add_error("password2", "The two passwords are not the same.")
        return cleaned
