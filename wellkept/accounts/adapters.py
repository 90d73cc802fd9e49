"""django-allauth adapters: where Wellkept's rules plug into allauth."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest

from wellkept.vault.services import Binding, Erased, decrypt_text, encrypt_text

# allauth's MFA adapter gives encrypt()/decrypt() no row or user, so MFA
# secrets live under one service subject bound to the authenticator table.
_MFA_BINDING = Binding(label="mfa.authenticator", row="-", field="data", subject="service:mfa")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Accounts come from invitations only.
        return False


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return encrypt_text(text, binding=_MFA_BINDING)

    def decrypt(self, encrypted_text: str) -> str:
        value = decrypt_text(encrypted_text, binding=_MFA_BINDING)
        if isinstance(value, Erased):
            raise ValueError("The MFA secret store has been shredded.")
        return value

    def get_totp_label(self, user: Any) -> str:
        email = user.email
        return "Wellkept account" if isinstance(email, Erased) else str(email)
