"""django-allauth adapters: where Wellkept's rules plug into allauth."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from wellkept.accounts import throttle
from wellkept.accounts.models import readable_email
from wellkept.accounts.selectors import authenticator_removal_refusal
from wellkept.audit.events import EventType, Outcome
from wellkept.audit.services import audit_record
from wellkept.vault.services import Binding, Erased, decrypt_text, encrypt_text

# allauth's MFA adapter gives encrypt()/decrypt() no row or user, so MFA
# secrets live under one service subject bound to the authenticator table.
_MFA_BINDING = Binding(label="mfa.authenticator", row="-", field="data", subject="service:mfa")


def _email_of(user: Any) -> str | None:
    return readable_email(user) or None


def _audit_login_failed(request: HttpRequest, *, reason: str) -> None:
    # No target: the typed address is content, and looking the account up
    # here would make a failure slower for known addresses than for unknown.
    audit_record(
        actor=AnonymousUser(),
        event=EventType.AUTH_LOGIN_FAILED,
        outcome=Outcome.DENIED,
        reason=reason,
        request=request,
    )


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts come from invitations only.
        return False

    def _password_throttle(self, request: HttpRequest, credentials: dict[str, Any]) -> Any:
        return throttle.for_password(
            email=str(credentials.get("email") or ""), ip=self.get_client_ip(request)
        )

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # Replaces allauth's fixed-window "login_failed" limit (disabled in
        # settings) with our back-off. Runs before any lookup, so a waiting
        # caller learns nothing about whether the address has an account.
        # Only the account's counters refuse here; the per-network one never
        # blocks a correct password (a NAT would make it a site-wide lock).
        wait = throttle.retry_after(self._password_throttle(request, credentials))
        if wait:
            _audit_login_failed(request, reason="throttled")
            raise ValidationError(throttle.refusal_message(wait), code="throttled")

    def authenticate(self, request: HttpRequest, **credentials: Any) -> AbstractBaseUser | None:
        user = super().authenticate(request, **credentials)
        if user is not None:
            throttle.reset(self._password_throttle(request, credentials))
        return user

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        guard = self._password_throttle(request, credentials)
        throttle.register_failure(guard)
        # From a network over its allowance (or once the account's own
        # allowance is used up) a wrong password gets the refusal message, so
        # "refused" and "wrong" cannot be told apart. See wellkept.accounts.throttle.
        refusal = throttle.failure_refusal(guard)
        _audit_login_failed(request, reason="throttled" if refusal else "bad_credentials")
        if refusal:
            raise ValidationError(refusal, code="throttled")

    def login(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        # allauth calls this once every stage (password, second factor) passed.
        super().login(request, user)
        audit_record(
            actor=user,  # type: ignore[arg-type]
            event=EventType.AUTH_LOGIN,
            target=f"user:{user.pk}",
            request=request,
        )

    def logout(self, request: HttpRequest) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Before the logout, while the request still says who it was.
            audit_record(
                actor=user, event=EventType.AUTH_LOGOUT, target=f"user:{user.pk}", request=request
            )
        super().logout(request)

    def reauthenticate(self, user: AbstractBaseUser, password: str) -> bool:
        # allauth looks the address up in its EmailAddress table, which we
        # keep empty (addresses live only encrypted on the User).
        from allauth.core import context

        email = _email_of(user)
        if email is None:
            return False
        reauth_user = self.authenticate(context.request, email=email, password=password)
        return reauth_user is not None and reauth_user.pk == user.pk

    def send_notification_mail(
        self,
        template_prefix: str,
        user: AbstractBaseUser,
        context: dict[str, Any] | None = None,
        email: str | None = None,
    ) -> None:
        # Same reason: "your password was changed" and "two-factor
        # authentication was turned off" must reach the decrypted address.
        super().send_notification_mail(template_prefix, user, context, email or _email_of(user))


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "You cannot turn off your last second factor: add another authenticator "
            "first, or (if your role allows it) set a password of at least 15 characters."
        ),
    }

    def encrypt(self, text: str) -> str:
        return encrypt_text(text, binding=_MFA_BINDING)

    def decrypt(self, encrypted_text: str) -> str:
        value = decrypt_text(encrypted_text, binding=_MFA_BINDING)
        if isinstance(value, Erased):
            raise ValueError("The MFA secret store has been shredded.")
        return value

    def _get_user_identifier(self, user: AbstractBaseUser) -> str:
        # Used for the TOTP label and a passkey's account name, shown only in
        # the person's own authenticator.
        return _email_of(user) or "Wellkept account"

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        return authenticator_removal_refusal(authenticator) is None
