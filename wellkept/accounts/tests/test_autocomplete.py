"""Every autocomplete attribute on the account pages is one the HTML standard defines.

A value browsers do not understand (such as "username email") is ignored:
password managers then guess, and screen readers lose the field's purpose
(WCAG 1.3.5; axe-core's "autocomplete-valid").
"""

from __future__ import annotations

import re
import time

import pytest
from django.urls import reverse

from wellkept.accounts.tests.conftest import record_authentication

pytestmark = pytest.mark.django_db


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# HTML Living Standard, "Autofill": field names, and the contact ones that
# may follow home/work/mobile/fax/pager.
FIELDS = _words(
    """name honorific-prefix given-name additional-name family-name honorific-suffix nickname
    username new-password current-password one-time-code organization-title organization
    street-address address-line1 address-line2 address-line3 address-level4 address-level3
    address-level2 address-level1 country country-name postal-code cc-name cc-given-name
    cc-additional-name cc-family-name cc-number cc-exp cc-exp-month cc-exp-year cc-csc cc-type
    transaction-currency transaction-amount language bday bday-day bday-month bday-year sex url
    photo"""
)
CONTACT_FIELDS = _words(
    """tel tel-country-code tel-national tel-area-code tel-local tel-local-prefix
    tel-local-suffix tel-extension email impp"""
)
CONTACT_KINDS = {"home", "work", "mobile", "fax", "pager"}


def is_valid_autocomplete(value: str) -> bool:
    tokens = value.lower().split()
    if tokens in (["on"], ["off"]):
        return True
    if tokens and tokens[-1] == "webauthn":
        tokens = tokens[:-1]
    if tokens and tokens[0].startswith("section-"):
        tokens = tokens[1:]
    if tokens and tokens[0] in {"shipping", "billing"}:
        tokens = tokens[1:]
    if len(tokens) == 1:
        return tokens[0] in FIELDS or tokens[0] in CONTACT_FIELDS
    return len(tokens) == 2 and tokens[0] in CONTACT_KINDS and tokens[1] in CONTACT_FIELDS


def autocomplete_values(html: str) -> list[str]:
    return re.findall(r'autocomplete="([^"]*)"', html)


def test_the_checker_knows_valid_from_invalid_values() -> None:
    for good in (
        "username",
        "current-password",
        "one-time-code",
        "work email",
        "off",
        "section-a shipping street-address",
        "username webauthn",
    ):
        assert is_valid_autocomplete(good), good
    for bad in ("username email", "e-mail", "", "work username", "email username"):
        assert not is_valid_autocomplete(bad), bad


def test_the_sign_in_page_uses_only_valid_autocomplete_values(client) -> None:
    values = autocomplete_values(client.get(reverse("account_login")).content.decode())
    assert "username" in values
    assert [v for v in values if not is_valid_autocomplete(v)] == []


def test_the_account_pages_use_only_valid_autocomplete_values(client, amira, lena) -> None:
    client.force_login(amira)
    record_authentication(client, amira, "mfa", at=time.time(), type="totp")
    pages = ["account_change_password", "accounts:invitation_list", "account_reset_password"]
    for name in pages:
        html = client.get(reverse(name)).content.decode()
        bad = [v for v in autocomplete_values(html) if not is_valid_autocomplete(v)]
        assert bad == [], name
    client.logout()
    client.force_login(lena)
    record_authentication(client, lena, "password", at=time.time())
    html = client.get(reverse("mfa_activate_totp")).content.decode()
    assert [v for v in autocomplete_values(html) if not is_valid_autocomplete(v)] == []
