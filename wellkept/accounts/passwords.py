"""Password rules after NIST SP 800-63B rev. 4 and OWASP ASVS 5.0 level 2.

Length is the rule that matters: at least 15 characters when the password is
the only factor, at least 8 when a second factor is (or must be) in use, and
up to 128 accepted so that passphrases and password managers work. Every
password is checked against lists of common and breached passwords shipped
with the project, and against the person's own context. There are no
composition rules and no forced rotation (both make passwords weaker in
practice), and nothing here stops people from pasting.
"""

from __future__ import annotations

import gzip
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.contrib.auth.password_validation import CommonPasswordValidator
from django.core.exceptions import ValidationError

SINGLE_FACTOR_MIN_LENGTH = 15
MULTI_FACTOR_MIN_LENGTH = 8
MAX_LENGTH = 128

EXTRA_BREACHED_LIST = Path(__file__).resolve().parent / "data" / "breached-passwords.txt.gz"

# Words that make a password guessable for anyone attacking this service.
SERVICE_WORDS = ("wellkept",)


@dataclass(frozen=True)
class PasswordSubject:
    """Who a password is for, before a User row exists (an invitation being accepted)."""

    email: str
    mfa_required: bool


def _normalise(password: str) -> str:
    # NFKC folds look-alike forms (full-width letters, ligatures) so they
    # cannot slip a listed password past the comparison.
    return unicodedata.normalize("NFKC", password).strip().lower()


def mfa_applies(user: Any) -> bool:
    """True when the account has, or must have, a second factor."""
    if isinstance(user, PasswordSubject):
        return user.mfa_required
    if user is None or getattr(user, "pk", None) is None or user._state.adding:
        return False
    from wellkept.accounts.selectors import user_has_mfa
    from wellkept.orgs.selectors import user_is_staff

    return user_is_staff(user) or user_has_mfa(user)


def min_length_for(user: Any) -> int:
    """Return the minimum password length that applies to ``user``."""
    return MULTI_FACTOR_MIN_LENGTH if mfa_applies(user) else SINGLE_FACTOR_MIN_LENGTH


def meets_single_factor_length(password: str) -> bool:
    return len(password) >= SINGLE_FACTOR_MIN_LENGTH


def _email_of(user: Any) -> str:
    if isinstance(user, PasswordSubject):
        return user.email
    if user is None or getattr(user, "pk", None) is None:
        return ""
    from wellkept.accounts.models import readable_email

    # An erased or missing address has nothing to compare against.
    return readable_email(user)


class LengthValidator:
    """At least 15 characters alone, at least 8 with a second factor, at most 128."""

    def validate(self, password: str, user: Any = None) -> None:
        minimum = min_length_for(user)
        if len(password) < minimum:
            if minimum == SINGLE_FACTOR_MIN_LENGTH:
                message = (
                    "Use at least %(min)d characters. Your password is the only thing "
                    "protecting this account, so it needs to be long; a few unrelated "
                    "words make an easy-to-remember passphrase."
                )
            else:
                message = "Use at least %(min)d characters."
            raise ValidationError(message, code="password_too_short", params={"min": minimum})
        if len(password) > MAX_LENGTH:
            raise ValidationError(
                "Use at most %(max)d characters.",
                code="password_too_long",
                params={"max": MAX_LENGTH},
            )

    def get_help_text(self) -> str:
        return (
            f"Use at least {SINGLE_FACTOR_MIN_LENGTH} characters, or at least "
            f"{MULTI_FACTOR_MIN_LENGTH} if your account uses two-factor authentication "
            f"(up to {MAX_LENGTH}). Spaces, symbols and pasting are all fine; there are "
            "no rules about mixing character types."
        )


@cache
def _breached_passwords() -> frozenset[str]:
    # Django's list is already lower-cased; ours is written lower-cased.
    common = CommonPasswordValidator().passwords
    with gzip.open(EXTRA_BREACHED_LIST, "rt", encoding="utf-8") as handle:
        extra = {line.strip() for line in handle if line.strip() and not line.startswith("#")}
    return frozenset({_normalise(p) for p in common} | extra)


class BreachedPasswordValidator:
    """Refuse passwords that appear on a common or breached-password list."""

    def validate(self, password: str, user: Any = None) -> None:
        if _normalise(password) in _breached_passwords():
            raise ValidationError(
                "This password appears in lists of common or breached passwords that "
                "attackers try first. Choose a different one.",
                code="password_breached",
            )

    def get_help_text(self) -> str:
        return "It must not be a common password or one known from data breaches."


class ContextValidator:
    """Refuse passwords built from the person's e-mail address or the service name."""

    # Very short local parts ("jo") would refuse ordinary words by accident.
    MIN_PART_LENGTH = 3

    def validate(self, password: str, user: Any = None) -> None:
        folded = _normalise(password)
        for word in SERVICE_WORDS:
            if word in folded:
                raise ValidationError(
                    "Your password must not contain the name of this service.",
                    code="password_contains_service_name",
                )
        local_part = _normalise(_email_of(user).partition("@")[0])
        if len(local_part) >= self.MIN_PART_LENGTH and local_part in folded:
            raise ValidationError(
                "Your password must not contain your e-mail address or its first part.",
                code="password_contains_email",
            )

    def get_help_text(self) -> str:
        return "It must not contain your e-mail address or the word “wellkept”."
