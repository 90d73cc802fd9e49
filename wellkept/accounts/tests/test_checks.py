"""Check wellkept.E020: behind a proxy, production must know how to find the client address."""

from __future__ import annotations

import pytest
from django.test import override_settings

from wellkept.accounts.checks import check_client_address_source

BEHIND_PROXY = {
    "PRODUCTION": True,
    "WELLKEPT_BEHIND_PROXY": True,
    "ALLAUTH_TRUSTED_PROXY_COUNT": 0,
    "ALLAUTH_TRUSTED_CLIENT_IP_HEADER": None,
}


def ids_with(**changes: object) -> set[str]:
    with override_settings(**{**BEHIND_PROXY, **changes}):
        return {message.id for message in check_client_address_source()}


def test_it_refuses_a_proxy_without_a_trusted_client_address() -> None:
    assert ids_with() == {"wellkept.E020"}


@pytest.mark.parametrize(
    "changes",
    [
        {"ALLAUTH_TRUSTED_PROXY_COUNT": 1},
        {"ALLAUTH_TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"},
        {"WELLKEPT_BEHIND_PROXY": False},
        {"PRODUCTION": False},
    ],
)
def test_it_accepts_a_configured_or_proxyless_setup(changes: dict[str, object]) -> None:
    assert ids_with(**changes) == set()


def test_it_is_registered() -> None:
    from django.core import checks

    assert check_client_address_source in checks.registry.registry.get_checks()
